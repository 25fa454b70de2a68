"""Issue #11.5: availability tells the truth, and the push loop survives its listeners.

A hardware link pulled at the simulated lock (its pty closed, as a USB adapter pulled
out) makes exactly the entities that read it unavailable, against the real edge
driver; a link down for over a minute is a repair issue. A listener's bug is logged
once and the stream goes on; an unexpected error in the stream is a reconnection.
"""

from __future__ import annotations

from datetime import timedelta
import logging

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ezlock.client import LockEvent, LockState
from custom_components.ezlock.const import DOMAIN
from custom_components.ezlock.coordinator import RECONNECT_MIN, EzlockCoordinator
from custom_components.ezlock.lock_issues import LINK_GRACE, issue_id
from ezlock_edge.app import EdgeApp
from tests.support.lock import ADMIN_PASSWORD, sim_of
from tests.support.waiting import eventually

from .common import fired, paired_entry, setup_entry, state_of

DOMAIN_LOGGER = "custom_components.ezlock"
# What the MCU reports: the lock itself, the door, battery, tamper and the radios.
MCU_ENTITIES = (
    ("lock", "lock"),
    ("binary_sensor", "door"),
    ("binary_sensor", "tamper"),
    ("binary_sensor", "emergency_power"),
    ("sensor", "battery"),
    ("sensor", "power_source"),
)
# The edge driver's own data: it does not depend on a cable.
EDGE_ENTITIES = (
    ("sensor", "user_count"),
    ("sensor", "password_count"),
    ("binary_sensor", "lockout"),
    ("switch", "remote_unlock_enabled"),
    ("event", "access"),
)
MODULE_COUNTS = (
    ("sensor", "fingerprint_count"),
    ("sensor", "face_count"),
    ("sensor", "palm_count"),
)


def _unavailable(hass: HomeAssistant) -> set[str]:
    """Return the keys of the entities above that are unavailable now."""
    return {
        key
        for platform, key in (*MCU_ENTITIES, *EDGE_ENTITIES, *MODULE_COUNTS)
        if state_of(hass, platform, key).state == STATE_UNAVAILABLE
    }


def _link_issue(
    issues: ir.IssueRegistry, entry_id: str, link: str
) -> ir.IssueEntry | None:
    return issues.async_get_issue(DOMAIN, issue_id(f"link_down_{link}", entry_id))


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the integration's error records (not Home Assistant's own)."""
    return [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.name.startswith(DOMAIN_LOGGER)
    ]


def _move_time(hass: HomeAssistant, seconds: float) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))


async def test_mcu_cable_pulled_makes_its_entities_unavailable(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Lock, door, battery, tamper: unavailable without the MCU; the rest is not."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    assert _unavailable(hass) == set()
    locked = state_of(hass, "lock", "lock").state

    await sim_of(edge).unplug("mcu")
    mcu = {key for _, key in MCU_ENTITIES}
    await eventually(lambda: _unavailable(hass) == mcu, "the MCU's entities gone")

    await sim_of(edge).replug("mcu")
    await eventually(lambda: _unavailable(hass) == set(), "the MCU's entities back")
    assert state_of(hass, "lock", "lock").state == locked


@pytest.mark.parametrize("link", ["fingerprint", "face", "palm"])
async def test_a_module_cable_pulled_makes_its_count_unavailable(
    hass: HomeAssistant, edge: EdgeApp, link: str
) -> None:
    """A module's credential count follows its link; the lock stays available."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    await sim_of(edge).unplug(link)
    await eventually(
        lambda: _unavailable(hass) == {f"{link}_count"}, f"the {link} count gone"
    )
    await sim_of(edge).replug(link)
    await eventually(lambda: _unavailable(hass) == set(), f"the {link} count back")


async def test_a_link_down_over_a_minute_is_a_repair_issue(
    hass: HomeAssistant, edge: EdgeApp, issue_registry: ir.IssueRegistry
) -> None:
    """A blip is no issue; a minute down is one, and it goes once the link is back."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    sim = sim_of(edge)
    coordinator: EzlockCoordinator = entry.runtime_data

    def link(name: str, value: str) -> bool:
        return coordinator.data.devices[name] == value

    # A blip: back before the minute is over, nothing to repair.
    await sim.unplug("palm")
    await eventually(lambda: link("palm", "disconnected"), "the palm link down")
    _move_time(hass, LINK_GRACE - 1)
    await hass.async_block_till_done()
    await sim.replug("palm")
    await eventually(lambda: link("palm", "connected"), "the palm link back")
    _move_time(hass, 2 * LINK_GRACE)
    await hass.async_block_till_done()
    assert _link_issue(issue_registry, entry.entry_id, "palm") is None

    # Down for over a minute: an issue, for that link only, gone when it is back.
    await sim.unplug("mcu")
    await eventually(lambda: link("mcu", "disconnected"), "the MCU link down")
    _move_time(hass, LINK_GRACE - 1)
    await hass.async_block_till_done()
    assert _link_issue(issue_registry, entry.entry_id, "mcu") is None
    _move_time(hass, LINK_GRACE + 1)
    await hass.async_block_till_done()
    issue = _link_issue(issue_registry, entry.entry_id, "mcu")
    assert issue is not None
    assert (issue.severity, issue.is_fixable) == (ir.IssueSeverity.ERROR, False)
    assert issue.translation_placeholders == {"title": entry.title}
    assert _link_issue(issue_registry, entry.entry_id, "palm") is None

    await sim.replug("mcu")
    await eventually(
        lambda: _link_issue(issue_registry, entry.entry_id, "mcu") is None,
        "the issue gone with the link back",
    )


async def test_a_failing_listener_is_no_disconnect(
    hass: HomeAssistant, edge: EdgeApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A listener raising (even TimeoutError) is logged once; the stream goes on.

    Before, its TimeoutError was taken for the connection's (the entities went
    unavailable and the client reconnected), and any other exception ended the push
    task while the entities stayed available with a state that no longer moved.
    """
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    heard: list[LockEvent] = []

    def broken_event_listener(event: LockEvent) -> None:
        raise TimeoutError("a bug in a listener")

    def broken_entity() -> None:
        raise ValueError("a bug in an entity")

    coordinator.async_add_event_listener(broken_event_listener)
    coordinator.async_add_event_listener(heard.append)  # after the broken one
    coordinator.async_add_listener(broken_entity)
    rings = fired(hass, "doorbell")
    sim = sim_of(edge)

    await sim.keypad(["doorbell"])
    await eventually(lambda: len(rings) == 1 and len(heard) == 1, "the first ring")
    await sim.keypad(["doorbell"])
    await eventually(lambda: len(rings) == 2 and len(heard) == 2, "the second ring")
    # The state still moves: an unlock at the keypad reaches the lock entity.
    await sim.keypad([*ADMIN_PASSWORD, "confirm"])
    await eventually(
        lambda: state_of(hass, "lock", "lock").state == "unlocked", "the unlock"
    )
    assert coordinator.streaming
    messages = [record.getMessage() for record in caplog.records]
    assert not [text for text in messages if "Lost the connection" in text]
    errors = {
        record.exc_info[0]: record.getMessage()
        for record in _errors(caplog)
        if record.exc_info
    }
    assert len(_errors(caplog)) == 2
    assert set(errors) == {TimeoutError, ValueError}
    assert "broken_event_listener" in errors[TimeoutError]
    assert "broken_entity" in errors[ValueError]


# aiohttp 3.14 re-arms a client WebSocket's heartbeat timer when data arrives during a
# close the client started (_flush_heartbeat_reset after _set_closed); each stream
# ended by the parser's bug is such a close. The timer finds the socket closed.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_an_unexpected_error_in_the_stream_reconnects(
    hass: HomeAssistant,
    edge: EdgeApp,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug in reading a message: unavailable, logged once, reconnected after backoff.

    The bug is made by wrapping the client's state parser (the edge driver and the
    client are real): it fails on two states in a row, the first one of two
    connections, then parses again.
    """
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    parse = LockState.from_json.__func__  # type: ignore[attr-defined]
    failures = [2]

    def buggy(cls: type[LockState], data: object) -> LockState:
        if failures[0]:
            failures[0] -= 1
            raise RuntimeError("a bug in the parser")
        state: LockState = parse(cls, data)
        return state

    monkeypatch.setattr(LockState, "from_json", classmethod(buggy))
    await sim_of(edge).door("open")  # an event, then a state (the door) that fails
    await eventually(
        lambda: state_of(hass, "lock", "lock").state == STATE_UNAVAILABLE,
        "the lock unavailable",
    )
    # Reconnecting after each backoff (time moved on while waiting): the next
    # connection's first state fails again, the one after it parses.

    def back() -> bool:
        # The first two backoffs, not more: further on, aiohttp's heartbeat would
        # fire too (a ping left unanswered while time jumps is a lost connection).
        _move_time(hass, 4 * RECONNECT_MIN)
        return state_of(hass, "lock", "lock").state != STATE_UNAVAILABLE

    await eventually(back, "the lock back")
    assert failures == [0]
    errors = _errors(caplog)
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].exc_info is not None
    assert errors[0].exc_info[0] is RuntimeError
    assert "push connection" in errors[0].getMessage()
