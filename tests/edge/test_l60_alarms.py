"""Alarms and maintenance (L-60 to L-67): tamper, battery, reset, info, pairing, events."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.errors import InvalidVerificationCodeError, PairingClosedError
from ezlock_edge.vocabulary.mcu import Key, McuEvent, McuEventKind
from tests.support.lock import ADMIN_PASSWORD
from tests.support.waiting import eventually

from .rig_support import running_lock, simulated_lock


async def test_l60_tamper_sounds_the_siren_for_a_minute(tmp_path: Path) -> None:
    """L-60: forced removal: siren for about a minute, an alarm event, then clear."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.tamper()
        await rig.event("alarm", alarm="tamper")
        await rig.heard("tamper_alarm")
        await rig.shows("siren", True)
        assert rig.core.state.tamper
        await rig.advance(60)
        await rig.event("alarm_cleared", alarm="tamper")
        await rig.shows("siren", False)
        assert not rig.core.state.tamper


async def test_l62_low_battery_warning(tmp_path: Path) -> None:
    """L-62: low battery: event, voice warning, blinking LED; cleared when charged."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.battery(15)
        await rig.event("battery", percent=15, low=True)
        await rig.event("alarm", alarm="low_battery")
        await rig.heard("low_battery")

        async def warning_led() -> bool:
            return await rig.led("low_battery") == "blink"

        await eventually(warning_led, "the low-battery LED blinks")
        await rig.sim.battery(90)
        await rig.event("alarm_cleared", alarm="low_battery")
        assert rig.core.state.battery_percent == 90


async def test_l63_factory_reset_wipes_everything(tmp_path: Path) -> None:
    """L-63: SET held at power-up, then confirm: no users, no credentials, defaults."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.core.update_settings(remote_unlock_enabled=True, volume=3)
        await rig.sim.set_button("power_up")
        await rig.heard("factory_reset_confirm")
        await rig.keys("confirm")
        await rig.event("factory_reset")
        await rig.heard("factory_reset_done")
        assert await rig.core.list_users() == []
        assert await rig.core.list_credentials() == []
        assert not rig.core.state.admin_exists
        assert not rig.core.get_settings().remote_unlock_enabled
        await rig.type_password(ADMIN_PASSWORD)
        assert "unlocked" not in rig.types()


async def test_l63_factory_reset_is_cancelled_by_any_other_key(tmp_path: Path) -> None:
    """L-63: only confirm resets."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.set_button("power_up")
        await rig.heard("factory_reset_confirm")
        await rig.keys("back")
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("unlocked")
        assert "factory_reset" not in rig.types()


async def test_l64_system_information(tmp_path: Path) -> None:
    """L-64: the menu's confirm reads out the system information; serial matches."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.enter_menu()
        await rig.keys("confirm")
        await rig.heard("system_info")
        label = await rig.sim.label()
        assert rig.core.info.serial == label["serial"]
        assert label["verification_code"] not in str(rig.core.state.as_dict())


async def test_l65_pairing_window(tmp_path: Path) -> None:
    """L-65: SET long press opens 3 minutes, 0 blinks; one pairing; 5 wrong codes close it."""
    async with running_lock(tmp_path) as rig:
        code = (await rig.sim.label())["verification_code"]
        with pytest.raises(PairingClosedError):
            rig.core.consume_pairing(code)
        await rig.sim.set_button("long")
        await rig.event("pairing", status="opened")
        await rig.heard("pairing_mode")

        async def is_open() -> bool:
            return bool(rig.core.pairing_open)

        async def zero_blinks() -> bool:
            return bool(await rig.led("0") == "blink")

        await eventually(zero_blinks, "the 0 key blinks")
        rig.core.consume_pairing(code)
        client = rig.core.add_client("Home Assistant", "ab" * 32)
        await rig.event("pairing", status="paired", client_id=client.id)
        with pytest.raises(PairingClosedError):
            rig.core.consume_pairing(code)
        await rig.sim.set_button("long")
        await eventually(is_open, "the window opened again")
        for _ in range(5):
            with pytest.raises(InvalidVerificationCodeError):
                rig.core.consume_pairing("WRONG")
        with pytest.raises(PairingClosedError):
            rig.core.consume_pairing(code)
        await rig.sim.set_button("long")
        await eventually(is_open, "the window opened a third time")
        await rig.advance(180)
        assert not rig.core.pairing_open
        await rig.heard("pairing_ended")
        assert [e.data["status"] for e in rig.events if e.type == "pairing"] == [
            "opened",
            "closed",
            "paired",
            "opened",
            "closed",
            "opened",
            "closed",
        ]


async def test_l66_events_survive_restart_once_each(tmp_path: Path) -> None:
    """L-66: every event kept, numbered on across a restart, none handled twice."""
    clock = ManualClock()
    async with simulated_lock(tmp_path, clock) as sim:
        async with running_lock(tmp_path, sim=sim, clock=clock) as rig:
            await rig.create_first_admin()
            await rig.type_password(ADMIN_PASSWORD)
            await rig.event("unlocked")
            await rig.keys("doorbell")
            await rig.event("doorbell")
            before = [e.seq for e in rig.core.events.query(limit=1000)]
        await sim.keypad(["doorbell"])  # while the edge driver is down
        async with running_lock(tmp_path, sim=sim, clock=clock) as rig:
            last = rig.core.state.as_dict()["last_operation"]
            assert (last["type"], last["method"]) == ("unlocked", "password")
            await rig.event("doorbell")
            after = [e.seq for e in rig.core.events.query(limit=1000)]
            doorbells = [
                e for e in rig.core.events.query(limit=1000) if e.type == "doorbell"
            ]
        assert after[: len(before)] == before
        assert after == list(range(1, len(after) + 1))
        assert len(doorbells) == 2


async def test_l66_a_resent_mcu_event_is_handled_once(tmp_path: Path) -> None:
    """L-66: the MCU resends what was not acknowledged; after a restart, too, once only."""
    clock = ManualClock()
    async with simulated_lock(tmp_path, clock) as sim:
        async with running_lock(tmp_path, sim=sim, clock=clock) as rig:
            await rig.create_first_admin()
            await rig.keys("doorbell")
            await rig.event("doorbell")
            handled = rig.core.events.last_mcu_seq
            assert handled is not None
        async with running_lock(tmp_path, sim=sim, clock=clock) as rig:
            # The MCU resends what it holds first (oldest first, one at a time): only
            # then can an event newer than all of them come, as the one injected below.
            mcu = sim._mcu
            assert mcu is not None
            await eventually(
                lambda: not mcu.pending_events, "the MCU's resends handled"
            )
            doorbell = McuEvent(seq=handled, kind=McuEventKind.KEY, key=Key.DOORBELL)
            await rig.core._mcu_events.handle(doorbell)  # the ACK was lost in the crash
            await rig.core._mcu_events.handle(replace(doorbell, seq=handled + 1000))
            await rig.event("doorbell")
            stored = [e.type for e in rig.core.events.query(limit=1000)]
            assert stored.count("doorbell") == 2


async def test_l67_jam_door_left_open_and_emergency_power(tmp_path: Path) -> None:
    """L-67: a jammed bolt, a door left open, a power bank: each an alarm event."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.jam()
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("bolt", state="jammed")
        await rig.event("alarm", alarm="jammed")
        await rig.sim.mechanical_key("unlock")
        await rig.event("alarm_cleared", alarm="jammed")
        await rig.sim.door("open")
        await rig.event("door", state="open")
        await rig.advance(120)
        await rig.event("alarm", alarm="door_left_open")
        await rig.sim.door("closed")
        await rig.event("alarm_cleared", alarm="door_left_open")
        await rig.sim.emergency_power(True)
        await rig.event("power", source="emergency")
        await rig.event("alarm", alarm="emergency_power")
        assert rig.core.state.as_dict()["power_source"] == "emergency"
        await rig.sim.emergency_power(False)
        await rig.event("alarm_cleared", alarm="emergency_power")
