"""L-06, L-08, L-12: battery, emergency power and Bluetooth as the lock reports them.

What the lock's own panel shows and what ``/state`` says must agree, at once, without
waiting for the minute's status poll (issue #13). The clock stands still in these
tests, so nothing here can come from a poll.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.waiting import eventually

from .rig_support import Rig, running_lock


def _state(rig: Rig) -> dict[str, Any]:
    state: dict[str, Any] = rig.core.state.as_dict()
    return state


async def _agrees(rig: Rig, **expected: Any) -> None:
    """Wait until ``/state`` shows ``expected`` (the panel already does)."""

    def agreed() -> bool:
        state = _state(rig)
        return all(state[key] == value for key, value in expected.items())

    await eventually(agreed, f"the lock's state showing {expected}")


async def test_l06_l08_flat_battery_on_a_power_bank_stays_flat_and_low(
    tmp_path: Path,
) -> None:
    """L-06, L-08: "當電池耗盡時，使用Type-C電源線將前面板的緊急電源接口連接至行動電源".

    A flat battery (0 %) cannot report itself: the electronics are dead until the power
    bank goes in. The level and the low-voltage warning must then be the true ones.
    """
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        assert (_state(rig)["battery_percent"], _state(rig)["low_battery"]) == (
            100,
            False,
        )
        await rig.sim.battery(0)
        await rig.sim.emergency_power(True)
        await rig.event("power", source="emergency")
        panel = await rig.sim.panel()
        assert (panel["battery_percent"], panel["low_battery"]) == (0, True)
        await _agrees(
            rig, battery_percent=0, low_battery=True, power_source="emergency"
        )
        await rig.event("battery", percent=0, low=True)
        await rig.event("alarm", alarm="low_battery")
        # The person opens the door with the power bank in (the manual's emergency unlock).
        await rig.type_password("482915")
        await rig.event("unlocked", method="password")
        assert (_state(rig)["battery_percent"], _state(rig)["low_battery"]) == (0, True)


async def test_l06_battery_swapped_while_on_emergency_power(tmp_path: Path) -> None:
    """L-06: a charged battery put in while the power bank runs the lock is reported.

    The controller keeps running on the power bank and sees the new voltage at its next
    measurement (once a minute).
    """
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.battery(0)
        await rig.sim.emergency_power(True)
        await _agrees(rig, battery_percent=0, low_battery=True)
        await rig.sim.battery(80)
        await rig.sim.clock(advance=61)
        await _agrees(rig, battery_percent=80, low_battery=False)
        await rig.event("alarm_cleared", alarm="low_battery")
        await rig.sim.emergency_power(False)
        await _agrees(rig, battery_percent=80, power_source="battery")


async def test_l12_bluetooth_state_follows_the_lock(tmp_path: Path) -> None:
    """L-12: "您可以查看藍牙連接狀態": connected while the phone is there, idle when it left."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        assert _state(rig)["bluetooth"] == "idle"
        await rig.sim.bluetooth("000000")  # an unknown key: the phone still connected
        await rig.shows("bluetooth", "connected")
        await _agrees(rig, bluetooth="connected")
        await rig.sim.clock(advance=3)  # the phone's session ends (3 s)
        await rig.shows("bluetooth", "idle")
        await _agrees(rig, bluetooth="idle")
        assert rig.types().count("bluetooth") == 0  # a radio state, not an event
