"""The drivers on bad wiring: line noise, unplugged and replugged links (issue #3).

Noise damages bytes (flipped, dropped, duplicated) in both directions; a command must
then either complete with the right answer or fail with DeviceTimeout, and the link
must work again as soon as the line is clean. An unplugged link is reported
disconnected, reconnected when it comes back, and a command in progress survives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest

from ezlock_edge.devices.hardware import Hardware
from ezlock_edge.devices.models import FingerMatch
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.vocabulary.errors import (
    DeviceDisconnected,
    DeviceError,
    DeviceRejected,
    DeviceTimeout,
)
from ezlock_edge.vocabulary.link import LinkState
from ezlock_edge.vocabulary.mcu import DoorState, McuEvent, McuEventKind, McuStatus
from tests.support.waiting import eventually


async def test_twenty_percent_noise(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """At 20 % damaged bytes every command completes correctly or fails cleanly.

    MCU commands (CRC-16) complete or raise DeviceTimeout. The modules' own checks
    (EF01's 16-bit sum, EF AA's XOR parity) miss some multi-byte damage, so a module
    answer garbled past its check may also surface as DeviceRejected; never as a wrong
    result here.
    """

    async def mcu_status() -> McuStatus:
        # Everything but the Wi-Fi signal strength, which varies from read to read.
        return replace(await hardware.mcu.status(), wifi_rssi=0)

    queries: dict[str, Callable[[], Awaitable[object]]] = {
        "mcu": mcu_status,
        "fingerprint": hardware.fingerprint.slots,
        "face": hardware.face.slots,
        "palm": hardware.palm.slots,
    }
    clean = {link: await query() for link, query in queries.items()}
    for link in queries:
        await sim_lock.noise(link, 0.2)

    async def attempt(link: str) -> object:
        try:
            return await queries[link]()
        except DeviceError as err:
            return err

    noisy = dict(
        zip(queries, await asyncio.gather(*map(attempt, queries)), strict=True)
    )
    for link, outcome in noisy.items():
        failures = (
            (DeviceTimeout,) if link == "mcu" else (DeviceTimeout, DeviceRejected)
        )
        assert outcome == clean[link] or isinstance(outcome, failures), (link, outcome)
        if isinstance(outcome, DeviceTimeout):
            assert "did not answer" in str(outcome)
    panel = await sim_lock.panel()
    assert all(panel["links"][link]["damaged_bytes"] > 0 for link in queries)

    for link in queries:
        await sim_lock.noise(link, 0.0)
    assert {link: await query() for link, query in queries.items()} == clean


async def test_events_survive_light_noise(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """With some damaged bytes, each event still arrives exactly once, in order."""
    received: list[McuEvent] = []

    async def handle(event: McuEvent) -> None:
        received.append(event)

    hardware.mcu.set_event_handler(handle)
    await sim_lock.noise("mcu", 0.02)
    for state in ("open", "closed", "open"):
        await sim_lock.door(state)
    await eventually(
        lambda: sum(e.kind is McuEventKind.DOOR for e in received) >= 3, "3 door events"
    )
    await sim_lock.noise("mcu", 0.0)
    await sim_lock.lock_button()
    await eventually(
        lambda: received[-1].kind is McuEventKind.LOCK_BUTTON, "the lock button event"
    )
    doors = [e.door for e in received if e.kind is McuEventKind.DOOR]
    assert doors == [DoorState.OPEN, DoorState.CLOSED, DoorState.OPEN]
    numbers = [event.seq for event in received]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))


async def test_unplug_and_replug_mid_identify(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """The fingerprint cable is pulled while the driver waits for a finger; it recovers."""
    steps: list[int] = []

    async def again(step: int, total: int) -> None:
        steps.append(step)
        if step < total:
            await sim_lock.finger("dave")

    await sim_lock.finger("dave")
    await hardware.fingerprint.enroll(9, 2, again)
    identify = asyncio.create_task(hardware.fingerprint.identify(timeout=30.0))
    await asyncio.sleep(0.2)
    await sim_lock.unplug("fingerprint")
    await eventually(lambda: not hardware.connected["fingerprint"], "unplugged")
    assert hardware.fingerprint.link_state is LinkState.DISCONNECTED
    await sim_lock.replug("fingerprint")
    await eventually(lambda: hardware.connected["fingerprint"], "replugged")
    await sim_lock.finger("dave")
    match = await identify
    assert isinstance(match, FingerMatch)
    assert match.slot == 9


async def test_mcu_unplugged_mid_command_and_buffered_events(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """A command sent while the MCU cable is out completes once it is back.

    Events raised meanwhile are delivered too: the MCU buffers them.
    """
    received: list[McuEvent] = []

    async def handle(event: McuEvent) -> None:
        received.append(event)

    hardware.mcu.set_event_handler(handle)
    await sim_lock.unplug("mcu")
    await eventually(lambda: not hardware.connected["mcu"], "unplugged")
    status = asyncio.create_task(hardware.mcu.status())
    await sim_lock.door("open")
    await asyncio.sleep(0.2)
    await sim_lock.replug("mcu")
    assert (await status).door is DoorState.OPEN
    await eventually(
        lambda: any(e.kind is McuEventKind.DOOR for e in received), "the door event"
    )
    assert hardware.connected["mcu"]


async def test_link_down_for_good_says_disconnected(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """A module that stays unplugged fails with DeviceDisconnected, not a hang."""
    await sim_lock.unplug("palm")
    await eventually(lambda: not hardware.connected["palm"], "unplugged")
    with pytest.raises(DeviceDisconnected, match="palm port down"):
        await hardware.palm.slots()
