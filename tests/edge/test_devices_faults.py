"""The drivers on bad wiring: line noise, unplugged and replugged links (issue #3).

Noise damages bytes (flipped, dropped, duplicated) in both directions; a command must
then either complete with the right answer or fail with DeviceTimeout, and the link
must work again as soon as the line is clean. An unplugged link is reported
disconnected, reconnected when it comes back, and a command in progress survives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.devices.fingerprint import FingerprintDevice
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

from .sim_support import open_hardware, take_mcu_events


@pytest.fixture
async def hardware_on_clock(
    sim_lock: SimulatedLock, clock: ManualClock
) -> AsyncIterator[Hardware]:
    """Open the drivers on the simulated lock with a clock only the test moves."""
    hardware = await open_hardware(sim_lock, clock)
    sim_lock.watch_driver(hardware.traffic)  # what quiet() counts as on its way
    take_mcu_events(hardware)
    yield hardware
    sim_lock.watch_driver(None)
    await hardware.close()


async def passing_time[T](
    clock: ManualClock,
    work: Awaitable[T],
    quiet: Callable[[], Awaitable[None]] | None = None,
) -> T:
    """Await ``work`` while the time of lock and drivers runs, 50 ms of it at a time.

    With ``quiet`` (``SimulatedLock.quiet``) time moves only when nothing is on its way
    across the links, so a reply still crossing a pty is never taken for a lost one,
    however loaded the machine. Without it time runs with the polls, and a reply that
    takes longer than 20 of them counts as lost: for a noisy line only, where frames
    are lost and the links never settle.
    """
    task = asyncio.ensure_future(work)

    async def done() -> bool:
        if not task.done():
            if quiet is not None:
                await quiet()
            if not task.done():
                clock.advance(0.05)
        return task.done()

    await eventually(done, "the work, with time running")
    return await task


async def test_twenty_percent_noise(
    sim_lock: SimulatedLock, hardware_on_clock: Hardware, clock: ManualClock
) -> None:
    """At 20 % damaged bytes every command completes correctly or fails cleanly.

    MCU commands (CRC-16) complete or raise DeviceTimeout. The modules' own checks
    (EF01's 16-bit sum, EF AA's XOR parity) miss some multi-byte damage, so a module
    answer garbled past its check may also surface as DeviceRejected; never as a wrong
    result here. The clean line runs with the time of lock and drivers stopped, so
    nothing there can time out; on the noisy one it runs (the MCU too gives up a
    garbled frame only after its line was idle for 50 ms).
    """
    hardware = hardware_on_clock

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

    outcomes = asyncio.gather(*map(attempt, queries))
    noisy = dict(zip(queries, await passing_time(clock, outcomes), strict=True))
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
    clock.advance(0.1)  # a quiet line: both ends give up a frame the noise cut short
    # A fingerprint link that gave up on a try lets the line go quiet for a timeout
    # before its next command (a late answer is dropped): time runs, nothing is lost.
    again = asyncio.gather(*(query() for query in queries.values()))
    settled = await passing_time(clock, again, sim_lock.quiet)
    assert dict(zip(queries, settled, strict=True)) == clean


async def test_events_survive_light_noise(clock: ManualClock, tmp_path: Path) -> None:
    """With some damaged bytes, each event still arrives exactly once, in order.

    The MCU resends an event whose acknowledgement was lost after its resend
    interval, on its own clock: each look at the events moves it by 0.1 s.
    """
    sim = SimulatedLock(clock=clock, seed=7, state_dir=tmp_path)
    await sim.start()
    hardware = await open_hardware(sim)
    received: list[McuEvent] = []

    async def handle(event: McuEvent) -> None:
        received.append(event)

    def arrived(condition: Callable[[], bool]) -> Callable[[], bool]:
        def moved() -> bool:
            clock.advance(0.1)
            return condition()

        return moved

    try:
        hardware.mcu.set_event_handler(handle)
        await sim.noise("mcu", 0.02)
        for state in ("open", "closed", "open"):
            await sim.door(state)
        await eventually(
            arrived(lambda: sum(e.kind is McuEventKind.DOOR for e in received) >= 3),
            "3 door events",
        )
        await sim.noise("mcu", 0.0)
        await sim.lock_button()
        await eventually(
            arrived(lambda: received[-1].kind is McuEventKind.LOCK_BUTTON),
            "the lock button event",
        )
        doors = [e.door for e in received if e.kind is McuEventKind.DOOR]
        assert doors == [DoorState.OPEN, DoorState.CLOSED, DoorState.OPEN]
        numbers = [event.seq for event in received]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    finally:
        await hardware.close()
        await sim.stop()


async def test_unplug_and_replug_mid_identify(
    sim_lock: SimulatedLock, hardware_on_clock: Hardware, clock: ManualClock
) -> None:
    """The fingerprint cable is pulled while the driver waits for a finger; it recovers.

    The cable is back within the second the driver's command waits for it (the test
    moves the one clock of lock and links), and the finger comes once the driver has
    the port again: an answer the module sent into a cable nobody listened to is lost
    (AutoIdentify's, with the finger it captured), and the driver goes on asking.
    """
    hardware = hardware_on_clock
    steps: list[int] = []

    async def again(step: int, total: int) -> None:
        steps.append(step)
        if step < total:
            await sim_lock.finger("dave")

    await sim_lock.finger("dave")
    await passing_time(clock, hardware.fingerprint.enroll(9, 2, again), sim_lock.quiet)
    sent, _ = hardware.fingerprint.traffic
    identify = asyncio.create_task(hardware.fingerprint.identify(timeout=30.0))
    await eventually(
        lambda: hardware.fingerprint.traffic[0] > sent,
        "the driver looking for a finger",
    )
    await sim_lock.unplug("fingerprint")
    await eventually(lambda: not hardware.connected["fingerprint"], "unplugged")
    assert hardware.fingerprint.link_state is LinkState.DISCONNECTED
    clock.advance(0.5)
    assert not identify.done()
    await sim_lock.replug("fingerprint")
    await passing_time(
        clock,
        eventually(lambda: hardware.connected["fingerprint"], "plugged back"),
    )
    await sim_lock.finger("dave")
    match = await passing_time(clock, identify, sim_lock.quiet)
    assert hardware.connected["fingerprint"]
    assert isinstance(match, FingerMatch)
    assert match.slot == 9


async def test_mcu_unplugged_mid_command_and_buffered_events(
    sim_lock: SimulatedLock, hardware_on_clock: Hardware, clock: ManualClock
) -> None:
    """A command sent while the MCU cable is out completes once it is back.

    Events raised meanwhile are delivered too: the MCU buffers them.
    """
    hardware = hardware_on_clock
    received: list[McuEvent] = []

    async def handle(event: McuEvent) -> None:
        received.append(event)

    hardware.mcu.set_event_handler(handle)
    await sim_lock.unplug("mcu")
    await eventually(lambda: not hardware.connected["mcu"], "unplugged")
    status = asyncio.create_task(hardware.mcu.status())
    await sim_lock.door("open")  # the MCU keeps the event until it is acknowledged
    clock.advance(0.1)
    assert not status.done()  # waiting for the cable
    await sim_lock.replug("mcu")
    assert (await passing_time(clock, status, sim_lock.quiet)).door is DoorState.OPEN

    async def door_event() -> None:
        await eventually(
            lambda: any(e.kind is McuEventKind.DOOR for e in received),
            "the door event",
        )

    await passing_time(clock, door_event(), sim_lock.quiet)
    assert hardware.connected["mcu"]


async def test_link_down_for_good_says_disconnected(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """A module that stays unplugged fails with DeviceDisconnected, not a hang.

    Each of the 3 tries waits one command timeout for the cable (the links' IdleClock
    lets them pass at once: nothing else is on its way), then gives up.
    """
    await sim_lock.unplug("palm")
    await eventually(lambda: not hardware.connected["palm"], "unplugged")
    with pytest.raises(DeviceDisconnected, match="palm port down"):
        await hardware.palm.slots()


async def _match_lost_in_the_cable(
    sim: SimulatedLock,
    clock: ManualClock,
    finger: FingerprintDevice,
    identify: Coroutine[Any, Any, FingerMatch | None],
) -> FingerMatch | None:
    """Run ``identify`` while dave's finger is captured and its answer is lost.

    The cable is pulled once the module waits for a finger, so AutoIdentify's answer
    goes nowhere, and plugged back once the module is done with it.
    """
    sent, _ = finger.traffic
    task = asyncio.create_task(identify)
    await eventually(lambda: finger.traffic[0] > sent, "the driver's AutoIdentify")
    await sim.quiet()  # at the module, which waits for a finger
    await sim.unplug("fingerprint")
    await sim.finger("dave")  # captured, and its match lost in the cable
    module = sim._fingerprint
    assert module is not None
    await eventually(lambda: module._auto is None, "the module's AutoIdentify done")
    await sim.replug("fingerprint")
    return await passing_time(clock, task, sim.quiet)


async def test_a_finger_whose_match_was_lost_stays_on_the_reader(
    clock: ManualClock, tmp_path: Path
) -> None:
    """A finger stays on the sensor until the person lifts it (R503: GenImg images it).

    The person lifts it once the lock reacts. An AutoIdentify that captured the finger
    and answered into a pulled cable made nothing react: once the cable is back, the
    driver's fallback (Cancel, GenImg, Img2Tz, Search) sees the same finger and it
    matches. The person is patient here (10 s).
    """
    sim = SimulatedLock(clock=clock, seed=7, state_dir=tmp_path, finger_dwell=10.0)
    await sim.start()
    hardware = await open_hardware(sim, clock)
    sim.watch_driver(hardware.traffic)
    finger = hardware.fingerprint
    take_mcu_events(hardware)

    async def again(step: int, total: int) -> None:
        if step < total:
            await sim.finger("dave")

    try:
        await sim.finger("dave")
        await passing_time(clock, finger.enroll(9, 2, again), sim.quiet)
        await sim.finger("dave")
        known = await passing_time(clock, finger.identify(timeout=30.0), sim.quiet)
        assert known == FingerMatch(9, known.score) if known else known
        match = await _match_lost_in_the_cable(
            sim, clock, finger, finger.identify(timeout=30.0)
        )
        assert match is not None
        assert match.slot == 9
    finally:
        sim.watch_driver(None)
        await hardware.close()
        await sim.stop()


async def test_a_finger_whose_match_was_lost_is_found_before_it_is_lifted(
    clock: ManualClock, tmp_path: Path
) -> None:
    """As above, with a person who lifts the finger after 1.5 s, as the simulator's do.

    AutoIdentify's answer went into a pulled cable: after its second, Cancel goes at
    once (its answer cannot be AutoIdentify's late one) and the classic way finds the
    finger still on the reader, within the core's identify timeout (2 s). It took two
    seconds (a second of quiet before Cancel), by when the finger was gone.
    """
    sim = SimulatedLock(clock=clock, seed=7, state_dir=tmp_path)
    await sim.start()
    hardware = await open_hardware(sim, clock)
    sim.watch_driver(hardware.traffic)
    finger = hardware.fingerprint
    take_mcu_events(hardware)

    async def again(step: int, total: int) -> None:
        if step < total:
            await sim.finger("dave")

    try:
        await sim.finger("dave")
        await passing_time(clock, finger.enroll(9, 2, again), sim.quiet)
        match = await _match_lost_in_the_cable(sim, clock, finger, finger.identify())
        assert match is not None
        assert match.slot == 9
    finally:
        sim.watch_driver(None)
        await hardware.close()
        await sim.stop()


async def test_a_storm_on_a_noisy_line_loses_no_event(
    clock: ManualClock, tmp_path: Path
) -> None:
    """40 presses, 3 % of the bytes damaged both ways: each handled once, in order.

    An EVENT frame damaged on the wire leaves a gap of numbers that is not the MCU's
    loss: it is waited for (the MCU's OLDEST_EVENT says it keeps it), never
    acknowledged past, and comes in the MCU's next resend round.
    """
    sim = SimulatedLock(clock=clock, seed=11, state_dir=tmp_path)
    await sim.start()
    hardware = await open_hardware(sim)
    received: list[int] = []

    async def handle(event: McuEvent) -> None:
        if event.kind is McuEventKind.LOCK_BUTTON:
            received.append(event.seq)

    def moved() -> bool:
        clock.advance(0.1)
        return len(received) >= 40

    try:
        hardware.mcu.set_event_handler(handle)
        await sim.noise("mcu", 0.03)
        for _ in range(40):
            await sim.lock_button()
        await eventually(moved, "40 presses")
        await sim.noise("mcu", 0.0)
        assert received == list(range(received[0], received[0] + 40))
    finally:
        await hardware.close()
        await sim.stop()
