"""Repairs for the modules' templates, against the real edge driver and its modules.

A module another host set up holds templates no credential owns; a module emptied
elsewhere lost the templates of credentials. The modules are changed the way that other
host would, with the modules' own commands on their simulated UARTs while no edge driver
holds them (tests/support/modules.py); Home Assistant reads them through the lock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ezlock.client import CredentialType
from custom_components.ezlock.const import DOMAIN, TEMPLATE_ISSUES
from custom_components.ezlock.coordinator import RECONNECT_MAX
from custom_components.ezlock.lock_issues import issue_id
from ezlock_edge.app import EdgeApp, EdgeOptions
from ezlock_edge.sim.lock import SimulatedLock
from tests.support.lock import ADMIN_PASSWORD, enroll_in_view
from tests.support.modules import (
    empty_fingerprints_elsewhere,
    empty_module_elsewhere,
    store_finger_elsewhere,
)
from tests.support.waiting import eventually

from .common import paired_entry, setup_entry, start_edge


def _open(hass: HomeAssistant, entry_id: str) -> dict[str, dict[str, str]]:
    """Return the template issues open for an entry: translation key -> placeholders."""
    registry = ir.async_get(hass)
    found: dict[str, dict[str, str]] = {}
    for key in TEMPLATE_ISSUES.values():
        issue = registry.async_get_issue(DOMAIN, issue_id(key, entry_id))
        if issue is not None:
            assert issue.is_fixable
            assert issue.translation_key == key
            found[key] = dict(issue.translation_placeholders or {})
    return found


async def _flow(hass: HomeAssistant, key: str, entry_id: str) -> dict[str, Any]:
    """Open the repair flow of an issue; return its first result."""
    flows = hass.data["repairs"]["flow_manager"]
    result: dict[str, Any] = await flows.async_init(
        DOMAIN, data={"issue_id": issue_id(key, entry_id)}
    )
    return result


async def _confirm(
    hass: HomeAssistant, flow_id: str, user_input: dict[str, str] | None = None
) -> dict[str, Any]:
    """Submit a repair flow's form."""
    result: dict[str, Any] = await hass.data["repairs"]["flow_manager"].async_configure(
        flow_id, user_input or {}
    )
    return result


async def test_another_hosts_fingerprints_deleted_from_the_module(
    hass: HomeAssistant, sim: SimulatedLock, edge_options: EdgeOptions
) -> None:
    """A module set up elsewhere: one repair per module, fixed by deleting its templates."""
    assert await async_setup_component(hass, "repairs", {})
    await store_finger_elsewhere(sim, "stranger", (3, 150))
    edge = await start_edge(edge_options)
    try:
        entry = await paired_entry(hass, edge)
        await setup_entry(hass, entry)
        assert _open(hass, entry.entry_id) == {
            "unknown_templates_fingerprint": {"title": entry.title, "slots": "3, 150"}
        }

        # The lock requires an admin's PIN for remote changes: the form asks for it.
        client = entry.runtime_data.client
        await client.update_settings(require_pin_for_remote=True)
        await eventually(
            lambda: entry.runtime_data.data.require_pin_for_remote, "the PIN required"
        )
        result = await _flow(hass, "unknown_templates_fingerprint", entry.entry_id)
        assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "confirm")
        assert result["description_placeholders"] == {
            "title": entry.title,
            "slots": "3, 150",
        }
        assert [str(key) for key in result["data_schema"].schema] == ["pin"]
        result = await _confirm(hass, result["flow_id"], {"pin": "000000"})
        assert result["errors"] == {"base": "invalid_pin"}
        assert _open(hass, entry.entry_id)  # nothing deleted
        result = await _confirm(hass, result["flow_id"], {"pin": ADMIN_PASSWORD})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert _open(hass, entry.entry_id) == {}

        [deleted] = [
            e
            for e in edge.core.events.query(limit=1000)
            if e.type == "templates_deleted"
        ]
        assert deleted.data["slots"] == [3, 150]
        assert deleted.data["by_client"]["name"] == "Home Assistant"
        modules = {m.credential_type: m for m in await client.get_templates()}
        assert not any(m.mismatch for m in modules.values())
    finally:
        await edge.stop()


async def test_lost_templates_credentials_removed(
    hass: HomeAssistant, sim: SimulatedLock, edge_options: EdgeOptions
) -> None:
    """Face and palm modules emptied elsewhere: their credentials go, not the last admin's.

    L-27: the lock keeps the last admin's only credential; the flow names who kept it.
    """
    assert await async_setup_component(hass, "repairs", {})
    edge = await start_edge(edge_options)
    admin = (await edge.core.list_users())[0]
    bob = await edge.core.create_user("Bob")
    await enroll_in_view(edge, admin.number, "palm", "alice")
    bob_face = await enroll_in_view(edge, bob.number, "face", "bob")
    # The admin's palm becomes their only credential (their keypad password goes).
    [password] = [
        c
        for c in await edge.core.list_credentials(admin.number)
        if c.type == "password"
    ]
    await edge.core.delete_credential(password.id)
    await edge.stop()
    await empty_module_elsewhere(sim, "face")
    await empty_module_elsewhere(sim, "palm")
    edge = await start_edge(edge_options)
    try:
        entry = await paired_entry(hass, edge)
        await setup_entry(hass, entry)
        assert _open(hass, entry.entry_id) == {
            "missing_templates_face": {"title": entry.title, "people": "Bob"},
            "missing_templates_palm": {"title": entry.title, "people": admin.name},
        }

        result = await _flow(hass, "missing_templates_face", entry.entry_id)
        assert result["description_placeholders"] == {
            "title": entry.title,
            "people": "Bob",
        }
        result = await _confirm(hass, result["flow_id"])
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert bob_face not in {c.id for c in await edge.core.list_credentials()}
        assert [u.name for u in await edge.core.list_users()] == [admin.name, "Bob"]

        result = await _flow(hass, "missing_templates_palm", entry.entry_id)
        result = await _confirm(hass, result["flow_id"])
        assert (result["type"], result["reason"]) == (
            FlowResultType.ABORT,
            "last_admin",
        )
        assert result["description_placeholders"] == {"name": admin.name}
        assert _open(hass, entry.entry_id) == {
            "missing_templates_palm": {"title": entry.title, "people": admin.name}
        }

        # Unloaded, the entry cannot fix anything.
        result = await _flow(hass, "missing_templates_palm", entry.entry_id)
        assert await hass.config_entries.async_unload(entry.entry_id)
        result = await _confirm(hass, result["flow_id"])
        assert (result["type"], result["reason"]) == (
            FlowResultType.ABORT,
            "not_loaded",
        )
        result = await _flow(hass, "missing_templates_palm", entry.entry_id)
        assert (result["type"], result["reason"]) == (
            FlowResultType.ABORT,
            "not_loaded",
        )

        # Loaded again, the admin gets a password, so the lost palm may go. Deleted
        # elsewhere while the repair is open: the issue goes by itself (a credential
        # change reads the modules again), and the fix finds nothing left to delete.
        await setup_entry(hass, entry)
        client = entry.runtime_data.client
        await client.set_password(admin.number, "582914")
        result = await _flow(hass, "missing_templates_palm", entry.entry_id)
        [palm] = [
            c
            for c in await client.list_credentials(admin.number)
            if c.type is CredentialType.PALM
        ]
        await client.delete_credential(palm.id)
        await eventually(
            lambda: not _open(hass, entry.entry_id), "the repair gone by itself"
        )
        result = await _confirm(hass, result["flow_id"])
        assert result["type"] is FlowResultType.CREATE_ENTRY
    finally:
        await edge.stop()


async def test_fix_refused_then_resolved_elsewhere(
    hass: HomeAssistant, sim: SimulatedLock, edge: EdgeApp, edge_options: EdgeOptions
) -> None:
    """Raised after a reconnection; each refusal said in the form; gone once clean."""
    assert await async_setup_component(hass, "repairs", {})
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    assert _open(hass, entry.entry_id) == {}
    port = edge.port
    key = "unknown_templates_fingerprint"

    # The edge driver restarts with a module another host added a fingerprint to.
    await edge.stop()
    await store_finger_elsewhere(sim, "stranger", (7,))
    restarted = EdgeApp(replace(edge_options, port=port))
    await restarted.start()
    try:
        async_fire_time_changed(
            hass, dt_util.utcnow() + timedelta(seconds=RECONNECT_MAX)
        )
        await eventually(
            lambda: key in _open(hass, entry.entry_id), "the repair after reconnecting"
        )
        flow = await _flow(hass, key, entry.entry_id)
        assert flow["step_id"] == "confirm"

        # An enrollment may be storing a template in that module: refused, said.
        enrollment = await restarted.core.start_enrollment(1, "fingerprint")
        result = await _confirm(hass, flow["flow_id"])
        assert (result["step_id"], result["errors"]) == (
            "confirm",
            {"base": "enrollment_busy"},
        )
        await restarted.core.cancel_enrollment(enrollment.id)

        # The module does not answer.
        await sim.unplug("fingerprint")
        await eventually(
            lambda: restarted.core.state.devices["fingerprint"].value == "disconnected",
            "the fingerprint module unplugged",
        )
        result = await _flow(hass, key, entry.entry_id)
        assert (result["type"], result["reason"]) == (
            FlowResultType.ABORT,
            "module_unavailable",
        )
        result = await _confirm(hass, flow["flow_id"])
        assert result["errors"] == {"base": "module_unavailable"}
        assert key in _open(hass, entry.entry_id)  # an unread module changes nothing
        await sim.replug("fingerprint")
        await eventually(
            lambda: restarted.core.state.devices["fingerprint"].value == "connected",
            "the fingerprint module back",
        )

        # The lock does not answer: a read changes nothing, the form says why.
        await restarted.stop()
        await entry.runtime_data.templates.async_refresh()
        assert key in _open(hass, entry.entry_id)
        result = await _confirm(hass, flow["flow_id"])
        assert result["errors"] == {"base": "cannot_connect"}
        result = await _flow(hass, key, entry.entry_id)
        assert (result["type"], result["reason"]) == (
            FlowResultType.ABORT,
            "cannot_connect",
        )

        # Meanwhile the other host emptied the module: opening the repair finds it
        # clean, says so and the issue goes (before Home Assistant reconnects).
        await empty_fingerprints_elsewhere(sim)
        restarted = EdgeApp(replace(edge_options, port=port))
        await restarted.start()
        result = await _flow(hass, key, entry.entry_id)
        assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "resolved")
        assert _open(hass, entry.entry_id) == {}
    finally:
        await restarted.stop()
