"""Setting up, unloading and removing an entry against the real edge driver."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.ezlock.const import CONF_FINGERPRINT, DOMAIN
from custom_components.ezlock.lock_issues import issue_id
from ezlock_edge.app import EdgeApp
from tests.support.waiting import eventually

from .common import paired_entry, setup_entry, state_of


async def test_setup_and_unload(
    hass: HomeAssistant, edge: EdgeApp, hass_storage: dict[str, Any]
) -> None:
    """A paired entry loads, streams, unloads cleanly and remembers its last seq."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert state_of(hass, "lock", "lock").state != STATE_UNAVAILABLE

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    unloaded = hass.config_entries.async_get_entry(entry.entry_id)
    assert unloaded is not None
    assert unloaded.state is ConfigEntryState.NOT_LOADED
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    assert stored["last_seq"] == edge.core.state.last_seq


async def test_edge_down_at_start_retries(hass: HomeAssistant, edge: EdgeApp) -> None:
    """test-before-setup: an unreachable edge driver means "retry later"."""
    entry = await paired_entry(hass, edge)
    await edge.stop()
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_changed_certificate_is_refused(
    hass: HomeAssistant, edge: EdgeApp, issue_registry: ir.IssueRegistry
) -> None:
    """Another certificate than the pinned one: no connection, a repair issue."""
    entry = await paired_entry(hass, edge)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_FINGERPRINT: "00" * 32}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    issue = issue_registry.async_get_issue(
        DOMAIN, issue_id("fingerprint_changed", entry.entry_id)
    )
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.CRITICAL
    assert issue.is_fixable


async def test_revoked_token_starts_reauth(hass: HomeAssistant, edge: EdgeApp) -> None:
    """A token revoked at the lock: setup fails and asks to pair again."""
    entry = await paired_entry(hass, edge)
    edge.core.revoke_client(entry.data["client_id"])
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_revoked_while_running(hass: HomeAssistant, edge: EdgeApp) -> None:
    """Revoking closes the push connection (4001): unavailable, then reauth."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    edge.core.revoke_client(entry.data["client_id"])
    await eventually(
        lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)),
        "the reauth flow",
    )
    assert state_of(hass, "lock", "lock").state == STATE_UNAVAILABLE


async def test_remove_forgets_the_lock(
    hass: HomeAssistant, edge: EdgeApp, hass_storage: dict[str, Any]
) -> None:
    """Removing the entry deletes its stored seq."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert f"{DOMAIN}.{entry.entry_id}" in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{entry.entry_id}" not in hass_storage
