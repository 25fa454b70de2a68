"""The ezlock integration: a local, paired smart lock driven by the ezlock edge driver."""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .client import EzlockClient
from .const import (
    CONF_FINGERPRINT,
    DOMAIN,
    ISSUE_FACTORY_RESET,
    ISSUE_FINGERPRINT_CHANGED,
    ISSUES,
)
from .coordinator import EzlockConfigEntry, EzlockCoordinator, async_remove_store
from .lock_issues import issue_id
from .services import async_setup_services

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.CAMERA,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.LOCK,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, whether or not a lock is loaded (action-setup)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EzlockConfigEntry) -> bool:
    """Connect to the edge driver, pinned to the certificate learned at pairing."""
    client = EzlockClient(
        async_get_clientsession(hass),
        entry.data[CONF_HOST],
        entry.data[CONF_PORT],
        fingerprint=entry.data[CONF_FINGERPRINT],
        token=entry.data[CONF_TOKEN],
    )
    coordinator = EzlockCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    # A working connection means any re-pairing the user was asked for is done.
    for kind in (ISSUE_FINGERPRINT_CHANGED, ISSUE_FACTORY_RESET):
        ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry.entry_id))
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    coordinator.async_start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EzlockConfigEntry) -> bool:
    """Unload the platforms; the push task and coordinator stop with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: EzlockConfigEntry) -> None:
    """Forget what was stored and raised for the removed lock."""
    await async_remove_store(hass, entry.entry_id)
    for kind in ISSUES:
        ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry.entry_id))
