"""Smoke test: the production device drivers against the simulated lock, over its ptys."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.devices.hardware import Hardware
from ezlock_edge.devices.models import BiometricMatch
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.vocabulary.errors import DuplicateTemplate, LivenessFailed
from ezlock_edge.vocabulary.link import LinkState
from ezlock_edge.vocabulary.mcu import (
    BoltState,
    DoorDirection,
    Key,
    McuEvent,
    McuEventKind,
)
from tests.support.waiting import eventually, settled

from .sim_support import open_hardware


@pytest.fixture
async def lock(clock: ManualClock, tmp_path: Path) -> AsyncIterator[SimulatedLock]:
    lock = SimulatedLock(clock=clock, seed=9, state_dir=tmp_path)
    await lock.start()
    yield lock
    await lock.stop()


@pytest.fixture
async def hardware(lock: SimulatedLock) -> AsyncIterator[Hardware]:
    hardware = await open_hardware(lock)
    yield hardware
    await hardware.close()


def presenting(
    present: Callable[[], Awaitable[None]],
) -> Callable[[int, int], Awaitable[None]]:
    """Return a progress callback that presents again for every step to come."""

    async def progress(step: int, steps: int) -> None:
        if step < steps:
            await present()

    return progress


async def test_mcu_identity_commands_and_events(
    lock: SimulatedLock, hardware: Hardware
) -> None:
    """L-64 identity, L-01 bolt travel, L-03 keypad events through McuDevice."""
    mcu = hardware.mcu
    assert mcu.info == lock.info
    events: asyncio.Queue[McuEvent] = asyncio.Queue()

    async def handle(event: McuEvent) -> None:
        await events.put(event)

    mcu.set_event_handler(handle)

    async def event() -> McuEvent:
        return await settled(events.get(), "an MCU event")

    power_up = await event()  # the controller reports its battery at power-up
    assert (power_up.kind, power_up.battery_percent) == (McuEventKind.BATTERY, 100)
    await lock.keypad(["7"])
    assert (await event()).kind is McuEventKind.KEYPAD_WAKE
    assert (await event()).key is Key.DIGIT_7

    await mcu.unlock(DoorDirection.RIGHT)
    assert (await event()).bolt is BoltState.UNLOCKING
    await lock.clock(advance=0.4)
    assert (await event()).bolt is BoltState.UNLOCKED
    assert (await mcu.status()).bolt is BoltState.UNLOCKED


async def test_fingerprint_enroll_identify_and_duplicate(
    lock: SimulatedLock, hardware: Hardware
) -> None:
    """L-09 enroll with 4 presentations, L-24 duplicate refused."""
    finger = hardware.fingerprint

    async def thumb() -> None:
        await lock.finger("alice-left-thumb")

    await thumb()
    await finger.enroll(5, captures=4, progress=presenting(thumb))
    assert await finger.slots() == {5}
    await lock.finger("alice-left-thumb")
    match = await finger.identify()
    assert match is not None
    assert match.slot == 5
    await lock.finger("mallory-thumb")
    assert await finger.identify() is None

    await thumb()
    with pytest.raises(DuplicateTemplate) as duplicate:
        await finger.enroll(6, captures=2, progress=presenting(thumb))
    assert duplicate.value.existing_slot == 5


async def test_face_and_palm_enroll_and_verify(
    lock: SimulatedLock, hardware: Hardware
) -> None:
    """L-10 five face poses, L-11 palm vein."""

    async def alice() -> None:
        await lock.face("alice")

    await alice()
    slot = await hardware.face.enroll(progress=presenting(alice))
    await lock.face("alice")
    assert await hardware.face.verify() == BiometricMatch(slot)
    await lock.face("alice", spoof=True)
    with pytest.raises(LivenessFailed):
        await hardware.face.verify()

    async def palm() -> None:
        await lock.palm("alice-right")

    await palm()
    palm_slot = await hardware.palm.enroll(progress=presenting(palm))
    await lock.palm("alice-right")
    assert await hardware.palm.verify() == BiometricMatch(palm_slot)


async def test_an_unplugged_module_is_reported_and_comes_back(
    lock: SimulatedLock, hardware: Hardware
) -> None:
    """Unplug and replug: the driver sees the link go down and reconnects."""
    await lock.unplug("palm")
    await eventually(
        lambda: hardware.palm.link_state is LinkState.DISCONNECTED, "palm unplugged"
    )
    assert hardware.connected["palm"] is False
    await lock.replug("palm")
    assert await hardware.palm.slots() == set()
    assert hardware.connected["palm"] is True
