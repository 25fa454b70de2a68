"""The push connection: events from the simulated lock, each fired exactly once.

Drives the lock as a person would (keypad, doorbell) and restarts both sides: the edge
driver (while the hardware keeps its unacknowledged events) and Home Assistant's entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
import logging
from typing import Any

from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ezlock.coordinator import RECONNECT_MAX
from ezlock_edge.app import EdgeApp, EdgeOptions
from tests.support.lock import ADMIN_PASSWORD, sim_of
from tests.support.waiting import eventually

from .common import current, entity_id, fired, paired_entry, setup_entry, state_of


async def test_keypad_password_unlocks(hass: HomeAssistant, edge: EdgeApp) -> None:
    """L-40: a password typed at the keypad unlocks; the access event names the user."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    access = fired(hass, "access")

    await sim_of(edge).keypad([*ADMIN_PASSWORD, "confirm"])
    await eventually(
        lambda: state_of(hass, "lock", "lock").state == "unlocked", "the unlock"
    )
    await eventually(lambda: bool(access), "the access event")

    admin = (await edge.core.list_users())[0]
    assert len(access) == 1
    assert access[0].attributes["event_type"] == "unlocked_password"
    assert access[0].attributes["user_number"] == admin.number
    assert access[0].attributes["user_name"] == admin.name
    assert state_of(hass, "lock", "lock").attributes["changed_by"] == admin.name


async def test_wrong_password_is_a_failed_attempt(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """A wrong password fires ``unlock_failed`` with the reason; the bolt stays."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    access = fired(hass, "access")
    before = state_of(hass, "lock", "lock").state

    await sim_of(edge).keypad([*"917364", "confirm"])
    await eventually(lambda: bool(access), "the failed attempt")
    assert access[0].attributes["event_type"] == "unlock_failed"
    assert access[0].attributes["method"] == "password"
    assert access[0].attributes["reason"] == "no_match"
    assert state_of(hass, "lock", "lock").state == before


async def test_doorbell_rings_once(hass: HomeAssistant, edge: EdgeApp) -> None:
    """L-49: the doorbell key fires the doorbell event entity's ``ring``."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    rings = fired(hass, "doorbell")
    await sim_of(edge).keypad(["doorbell"])
    await eventually(lambda: bool(rings), "the ring")
    assert rings[0].attributes["event_type"] == "ring"
    assert rings[0].attributes["device_class"] == "doorbell"


async def test_edge_restart_unavailable_then_back(
    hass: HomeAssistant,
    edge: EdgeApp,
    edge_options: EdgeOptions,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Edge driver down: unavailable, one log line; back: events missed are fired once."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    rings = fired(hass, "doorbell")
    port = edge.port
    caplog.set_level(logging.INFO, logger="custom_components.ezlock")

    await edge.stop()
    await eventually(
        lambda: state_of(hass, "lock", "lock").state == STATE_UNAVAILABLE,
        "the lock to become unavailable",
    )
    # Several reconnection attempts fail while the edge driver is down.
    for _ in range(3):
        async_fire_time_changed(
            hass, dt_util.utcnow() + timedelta(seconds=RECONNECT_MAX)
        )
        await hass.async_block_till_done()

    # The doorbell rings while the edge driver is down: the hardware keeps the event.
    await sim_of(edge).keypad(["doorbell"])
    restarted = EdgeApp(replace(edge_options, port=port))
    await restarted.start()
    try:
        async_fire_time_changed(
            hass, dt_util.utcnow() + timedelta(seconds=RECONNECT_MAX)
        )
        await eventually(
            lambda: state_of(hass, "lock", "lock").state != STATE_UNAVAILABLE,
            "the lock to come back",
        )
        await eventually(lambda: bool(rings), "the ring missed while down")
        await hass.async_block_till_done()
        assert len(rings) == 1
        lost = [r for r in caplog.records if "Lost the connection" in r.getMessage()]
        back = [r for r in caplog.records if "is back" in r.getMessage()]
        assert len(lost) == 1
        assert len(back) == 1
    finally:
        await restarted.stop()


async def test_home_assistant_restart_fires_nothing_old(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Old events are not fired again after a reload; ones missed meanwhile are, once."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    rings = fired(hass, "doorbell")
    await sim_of(edge).keypad(["doorbell"])
    await eventually(lambda: bool(rings), "the first ring")

    handled = entry.runtime_data.last_seq
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await sim_of(edge).keypad(["doorbell"])
    await eventually(
        lambda: edge.core.state.last_seq > handled,
        "the second ring at the lock",
    )
    await setup_entry(hass, entry)
    await eventually(lambda: len(rings) >= 2, "the ring missed while unloaded")
    await hass.async_block_till_done()
    assert len(rings) == 2
    assert rings[0].state != rings[1].state


def _writes(hass: HomeAssistant, entry_id: str) -> list[str]:
    """Record every entity of ``entry_id`` written from now on (changed or the same).

    Home Assistant fires ``state_reported`` for a write that changes nothing and
    ``state_changed`` for one that does; both are work done for the write.
    """
    ours = {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    }
    written: list[str] = []

    @callback
    def _ours(data: Mapping[str, Any]) -> bool:
        return data["entity_id"] in ours

    @callback
    def _note(event: Event[Any]) -> None:
        written.append(event.data["entity_id"])

    for kind in (EVENT_STATE_CHANGED, EVENT_STATE_REPORTED):
        hass.bus.async_listen(kind, _note, event_filter=_ours)
    return written


async def test_an_event_rewrites_no_entity_it_does_not_change(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Issue #18: a state push writes only the entities it changes.

    The state after a ring differs in its ``last_seq`` only (the driver does not even
    send it); an unlock changes the bolt. Neither rewrites the lock's other entities.
    """
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    doorbell = entity_id(hass, "event", "doorbell")
    lock = entity_id(hass, "lock", "lock")
    written = _writes(hass, entry.entry_id)

    await sim_of(edge).keypad(["doorbell"])
    await eventually(lambda: doorbell in written, "the ring")
    # Whatever the driver pushed after the first ring came before the second's event.
    rung = coordinator.last_seq
    await sim_of(edge).keypad(["doorbell"])
    await eventually(lambda: (coordinator.last_seq or 0) > (rung or 0), "a second ring")
    await hass.async_block_till_done()
    # The ring's own entities: the doorbell, and the visitor's snapshot it carries.
    assert set(written) == {doorbell, entity_id(hass, "image", "last_visitor")}

    written.clear()
    await sim_of(edge).keypad([*ADMIN_PASSWORD, "confirm"])
    await eventually(lambda: current(hass, lock).state == "unlocked", "the unlock")
    await hass.async_block_till_done()
    # The lock (its bolt), the access event and the snapshot it carries; nothing an
    # unlock does not change (the battery, the counts, the switches, the camera).
    assert set(written) == {
        lock,
        entity_id(hass, "event", "access"),
        entity_id(hass, "image", "last_visitor"),
    }
