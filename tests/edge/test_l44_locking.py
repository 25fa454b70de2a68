"""Locking and everyday settings (L-44 to L-49), at the keypad and from the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.errors import InvalidRequestError
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.vocabulary.mcu import DoorDirection, Key, McuEvent, McuEventKind
from tests.support.lock import ADMIN_PASSWORD

from .rig_support import running_lock


async def test_l44_outside_lock_with_confirm_and_inside_lock_button(
    tmp_path: Path,
) -> None:
    """L-44: confirm on the keypad locks from outside; the rear button from inside."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("bolt", state="unlocked")
        await rig.sim.door("open")
        await rig.keys("confirm")
        await rig.heard("door_not_locked")  # not while the door stands open
        await rig.sim.door("closed")
        await rig.keys("confirm")
        await rig.event("locked", source="keypad")
        await rig.heard("door_locked")
        await rig.sim.mechanical_key("unlock")
        await rig.event("unlocked", method="mechanical_key")
        await rig.sim.lock_button()
        await rig.event("locked", source="lock_button")
        assert await rig.bolt() == "locked"
        assert rig.core.state.last_operation is not None
        assert rig.core.state.last_operation.source == "lock_button"


async def test_l45_countdown_lock_restarts_when_the_door_closes(
    tmp_path: Path,
) -> None:
    """L-45: locks by itself N s after an unlock; opening and closing restarts it."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        with pytest.raises(InvalidRequestError) as err:
            await rig.core.update_settings(countdown_lock_seconds=4)
        assert err.value.fields == {"countdown_lock_seconds": "5-300"}
        await rig.core.update_settings(
            countdown_lock_enabled=True, countdown_lock_seconds=10
        )
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("bolt", state="unlocked")
        await rig.advance(8)
        await rig.sim.door("open")
        await rig.event("door", state="open")
        await rig.advance(30)  # no countdown while the door stands open
        await rig.sim.door("closed")
        await rig.event("door", state="closed")
        await rig.advance(9)
        assert "locked" not in rig.types()
        await rig.advance(1)
        await rig.event("locked", source="countdown")
        assert rig.core.state.countdown_lock_at is None


async def test_l45_one_shot_countdown_from_the_app(tmp_path: Path) -> None:
    """L-45: ``POST /countdown_lock``: lock once, N seconds from now."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.mechanical_key("unlock")
        await rig.event("bolt", state="unlocked")
        lock_at = await rig.core.countdown_lock(5)
        assert rig.core.state.countdown_lock_at == lock_at
        await rig.advance(5)
        await rig.event("locked", source="countdown")


async def test_l46_door_direction_decides_the_motor(tmp_path: Path) -> None:
    """L-46: chosen at installation on the keypad (2 = left), used by every unlock."""
    clock = ManualClock()
    left_hand_door = SimulatedLock(
        clock=clock, motor_travel=0, handing=DoorDirection.LEFT
    )
    await left_hand_door.start()
    async with running_lock(tmp_path, clock=clock, sim=left_hand_door) as rig:
        await rig.keys()
        await rig.heard("set_door_direction")
        await rig.keys("2")
        await rig.event("settings_changed", changes={"door_direction": "left"})
        await rig.create_first_admin()
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("bolt", state="unlocked")
        panel = await rig.sim.panel()
        assert (panel["door_direction"], panel["last_motor_direction"]) == (
            "left",
            "left",
        )
        await rig.core.update_settings(door_direction="right")
        await rig.shows("door_direction", "right")
    await left_hand_door.stop()


async def test_l47_away_mode_alarm_and_disarm(tmp_path: Path) -> None:
    """L-47: armed on the keypad; opening from inside alarms; a credential disarms."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.keys("away")
        await rig.event("away_mode", armed=True)
        await rig.heard("away_mode_on")
        await rig.sim.door("open")
        await rig.event("alarm", alarm="away_intrusion")
        await rig.shows("siren", True)
        await rig.sim.door("closed")
        await rig.keys("confirm")
        await rig.event("locked", source="keypad")
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("away_mode", armed=False)
        await rig.event("alarm_cleared", alarm="away_intrusion")
        assert not rig.core.get_settings().away_mode


async def test_l48_one_time_mute_until_an_unlock_from_outside(tmp_path: Path) -> None:
    """L-48: holding 0 silences the lock; the next unlock by a person ends it."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.keys(hold="0")
        await rig.event("mute", muted=True)
        await rig.shows("volume", 0)
        doorbells = await rig.count("doorbell")
        await rig.keys("doorbell")
        await rig.event("doorbell")
        assert await rig.count("doorbell") == doorbells  # silent
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("mute", muted=False)
        await rig.heard("door_unlocked")
        await rig.shows("volume", 2)
        assert not rig.core.state.as_dict()["muted"]


async def test_l49_doorbell(tmp_path: Path) -> None:
    """L-49: the doorbell key rings and raises an event."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.keys("doorbell")
        await rig.event("doorbell")
        await rig.heard("doorbell")


async def test_l49_presses_that_arrive_together_ring_once(tmp_path: Path) -> None:
    """L-49: each press is an event; presses in one burst of MCU events chime once.

    A burst is what the MCU link hands over together (one window of events); a prompt
    said between two presses makes the second ring again, and so does a later burst.
    """
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.keys("doorbell")
        await rig.heard("doorbell")
        rings = await rig.count("doorbell")
        mcu_events = rig.core._mcu_events
        number = (rig.core.events.last_mcu_seq or 0) + 1000

        async def burst(*keys: Key) -> None:
            nonlocal number
            async with mcu_events.batch():
                for key in keys:
                    number += 1
                    await mcu_events.handle(McuEvent(number, McuEventKind.KEY, key=key))

        def doorbells() -> int:
            return [e.type for e in rig.core.events.query(limit=1000)].count("doorbell")

        await burst(*[Key.DOORBELL] * 5)
        assert (await rig.count("doorbell"), doorbells()) == (rings + 1, 6)
        await burst(Key.DOORBELL, Key.AWAY, Key.DOORBELL)  # away mode is said between
        assert (await rig.count("doorbell"), doorbells()) == (rings + 3, 8)
        await burst(Key.DOORBELL)
        assert (await rig.count("doorbell"), doorbells()) == (rings + 4, 9)


async def test_l43_l45_settings_are_checked_and_shown_in_the_state(
    tmp_path: Path,
) -> None:
    """Settings from the app are validated, kept across restarts and in the state."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()  # L-26: security settings need an admin
        with pytest.raises(InvalidRequestError) as err:
            await rig.core.update_settings(volume=4, colour="red", muted="yes")
        assert err.value.fields == {
            "volume": "0-3",
            "colour": "unknown setting",
            "muted": "true or false",
        }
        await rig.core.update_settings(wifi_enabled=False, remote_unlock_enabled=True)
        await rig.event(
            "settings_changed",
            changes={"remote_unlock_enabled": True, "wifi_enabled": False},
        )
        await rig.shows("wifi_enabled", False)
        state = rig.core.state.as_dict()
        assert state["wifi_rssi"] is None
        assert state["remote_unlock_enabled"]
        assert state["credentials"]["face"] == {"count": 0, "capacity": 50}
    async with running_lock(tmp_path) as rig:
        assert rig.core.get_settings().remote_unlock_enabled
