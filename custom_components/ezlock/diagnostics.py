"""Diagnostics: what a bug report needs, with every secret and identifier removed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST, CONF_TOKEN
from homeassistant.core import HomeAssistant

from .const import CONF_CLIENT_ID, CONF_CODE_HASH, CONF_CODE_SALT, CONF_FINGERPRINT
from .coordinator import EzlockConfigEntry

TO_REDACT: Final = {
    CONF_TOKEN,
    CONF_HOST,
    CONF_CLIENT_ID,
    CONF_FINGERPRINT,
    CONF_CODE_HASH,
    CONF_CODE_SALT,
    "tls_fingerprint",
    "serial",
    "name",
    "verification_code",
    "code",
    "key",
    "password",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EzlockConfigEntry
) -> dict[str, Any]:
    """Return the entry, the lock's identity and state, and the connection's health."""
    coordinator = entry.runtime_data
    return async_redact_data(
        {
            "entry": {"data": dict(entry.data), "options": dict(entry.options)},
            "info": asdict(coordinator.info),
            "state": asdict(coordinator.data),
            "connection": {
                "streaming": coordinator.streaming,
                "last_error": repr(coordinator.last_exception)
                if coordinator.last_exception
                else None,
                "last_seq": coordinator.last_seq,
            },
        },
        TO_REDACT,
    )
