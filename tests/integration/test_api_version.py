"""An edge driver of another API version: a clear repair issue, no endless retries.

The edge driver is the real one, started through its embedding API with another
``api_version`` (what /info, auth_ok and zeroconf announce); the client is not mocked.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ezlock.client import API_VERSION
from custom_components.ezlock.const import DOMAIN
from custom_components.ezlock.coordinator import RECONNECT_MAX
from custom_components.ezlock.lock_issues import issue_id
from ezlock_edge.app import EdgeApp, EdgeOptions
from tests.support.waiting import eventually

from .common import paired_entry, setup_entry, start_edge


def _state(entry: ConfigEntry) -> ConfigEntryState:
    """Read the state anew (an earlier assert narrowed the attribute for mypy)."""
    return entry.state


@pytest.mark.parametrize(
    ("edge_version", "issue"),
    [(API_VERSION - 1, "edge_outdated"), (API_VERSION + 1, "integration_outdated")],
)
async def test_other_api_version_fails_setup_with_issue(
    hass: HomeAssistant,
    edge: EdgeApp,
    edge_options: EdgeOptions,
    issue_registry: ir.IssueRegistry,
    edge_version: int,
    issue: str,
) -> None:
    """Setup fails for good (no retry as "malformed state"); the issue says what to update.

    Then the edge driver is updated: reloading sets the entry up and the issue goes.
    """
    entry = await paired_entry(hass, edge)
    same_address = replace(edge_options, port=edge.port)
    await edge.stop()
    other = await start_edge(replace(same_address, api_version=edge_version))
    try:
        assert not await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.SETUP_ERROR
        assert entry.reason is not None
        found = issue_registry.async_get_issue(DOMAIN, issue_id(issue, entry.entry_id))
        assert found is not None
        assert not found.is_fixable
        assert found.severity is ir.IssueSeverity.ERROR
        assert found.translation_key == issue
        assert found.translation_placeholders == {
            "title": entry.title,
            "edge_version": str(edge_version),
            "supported": str(API_VERSION),
        }
    finally:
        await other.stop()

    updated = await start_edge(same_address)
    try:
        assert await hass.config_entries.async_reload(entry.entry_id)
        assert _state(entry) is ConfigEntryState.LOADED
        assert (
            issue_registry.async_get_issue(DOMAIN, issue_id(issue, entry.entry_id))
            is None
        )
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await updated.stop()


# aiohttp 3.14 re-arms a client WebSocket's heartbeat timer when the close frame of a
# close the client started arrives (_flush_heartbeat_reset after _set_closed); ending
# the stream on the version mismatch is such a close. The timer finds the socket closed.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_edge_replaced_while_running(
    hass: HomeAssistant,
    edge: EdgeApp,
    edge_options: EdgeOptions,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The push connection meets another version: the entry sets up again and fails."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    older = replace(edge_options, port=edge.port, api_version=API_VERSION - 1)
    await edge.stop()
    other = await start_edge(older)
    try:
        async_fire_time_changed(
            hass, dt_util.utcnow() + timedelta(seconds=RECONNECT_MAX)
        )
        await eventually(
            lambda: entry.state is ConfigEntryState.SETUP_ERROR, "the failed setup"
        )
        key = issue_id("edge_outdated", entry.entry_id)
        assert issue_registry.async_get_issue(DOMAIN, key) is not None
    finally:
        await other.stop()
