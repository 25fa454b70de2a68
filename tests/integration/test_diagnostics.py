"""Diagnostics carry what a bug report needs and none of the secrets."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant

from custom_components.ezlock.diagnostics import async_get_config_entry_diagnostics
from ezlock_edge.app import EdgeApp
from tests.support.lock import verification_code

from .common import paired_entry, setup_entry


async def test_diagnostics_redacted(hass: HomeAssistant, edge: EdgeApp) -> None:
    """Token, pin, address, serial and names are redacted; the state is there."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    dumped = json.dumps(diagnostics)

    secrets = [
        entry.data["token"],
        entry.data["fingerprint"],
        entry.data["client_id"],
        edge.core.info.serial,
        await verification_code(edge),
    ]
    for secret in secrets:
        assert secret not in dumped
    assert diagnostics["entry"]["data"]["token"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["host"] == "**REDACTED**"
    assert diagnostics["info"]["serial"] == "**REDACTED**"
    assert diagnostics["state"]["battery_percent"] == edge.core.state.battery_percent
    assert diagnostics["state"]["camera"] == {  # L-13: whether the live view is on
        "reason": None,
        "viewers": 0,
        "width": 640,
        "height": 480,
        "fps": 5,
    }
    assert diagnostics["connection"]["streaming"] is True
    assert diagnostics["connection"]["last_seq"] == entry.runtime_data.last_seq
