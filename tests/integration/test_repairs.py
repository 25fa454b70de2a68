"""Repair issues the person must act on, and the flow that fixes them by re-pairing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ezlock.const import CONF_FINGERPRINT, DOMAIN
from custom_components.ezlock.coordinator import RECONNECT_MAX
from custom_components.ezlock.lock_issues import issue_id
from ezlock_edge.app import EdgeApp, EdgeOptions
from tests.support.lock import sim_of
from tests.support.waiting import eventually

from .common import paired_entry, setup_entry, state_of


async def test_fingerprint_issue_fixed_by_pairing_again(
    hass: HomeAssistant, edge: EdgeApp, issue_registry: ir.IssueRegistry
) -> None:
    """The fix flow for a changed certificate starts the re-pairing flow."""
    assert await async_setup_component(hass, "repairs", {})
    entry = await paired_entry(hass, edge)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_FINGERPRINT: "11" * 32}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    key = issue_id("fingerprint_changed", entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, key) is not None

    flows = hass.data["repairs"]["flow_manager"]
    result = await flows.async_init(DOMAIN, data={"issue_id": key})
    assert result["step_id"] == "confirm"
    result = await flows.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    progress = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in progress] == [SOURCE_REAUTH]
    assert issue_registry.async_get_issue(DOMAIN, key) is None


async def test_factory_reset_raises_issue(
    hass: HomeAssistant, edge: EdgeApp, issue_registry: ir.IssueRegistry
) -> None:
    """L-63: a factory reset at the lock asks the person to pair again."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    sim = sim_of(edge)
    await sim.set_button("power_up")
    await sim.keypad(["confirm"])
    # The reset wipes every pairing: the edge driver ends the stream (4001) and
    # re-pairing is offered; the factory_reset event must have arrived before that.
    await eventually(
        lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)),
        "re-pairing to be offered",
    )
    key = issue_id("factory_reset", entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, key) is not None


async def test_certificate_change_while_running(
    hass: HomeAssistant,
    edge: EdgeApp,
    edge_options: EdgeOptions,
    tmp_path: Path,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The edge driver comes back with another certificate: refused, repair issue."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    port = edge.port
    await edge.stop()
    impostor = EdgeApp(replace(edge_options, data_dir=tmp_path / "impostor", port=port))
    await impostor.start()
    try:
        async_fire_time_changed(
            hass, dt_util.utcnow() + timedelta(seconds=RECONNECT_MAX)
        )
        key = issue_id("fingerprint_changed", entry.entry_id)
        await eventually(
            lambda: issue_registry.async_get_issue(DOMAIN, key) is not None,
            "the certificate issue",
        )
        assert state_of(hass, "lock", "lock").state == STATE_UNAVAILABLE
        assert not entry.runtime_data.streaming
    finally:
        await impostor.stop()
