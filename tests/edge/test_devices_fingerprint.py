"""FingerprintDevice against the simulated EF01 module over its pty (L-09, L-22, L-24)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.devices.fingerprint import FingerprintDevice
from ezlock_edge.devices.hardware import Hardware
from ezlock_edge.devices.models import FingerMatch
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.sim.presence import FINGER_DWELL
from ezlock_edge.vocabulary.errors import (
    DeviceRejected,
    DeviceTimeout,
    DuplicateTemplate,
    SlotOccupied,
)

from .sim_support import driven, meanwhile, take_mcu_events


@pytest.fixture
async def hardware(
    sim_lock: SimulatedLock, clock: ManualClock
) -> AsyncIterator[Hardware]:
    """Open the production drivers on the simulated lock; take its controller's events."""
    async with driven(sim_lock, clock) as hardware:
        take_mcu_events(hardware)
        yield hardware


def presenting(
    sim_lock: SimulatedLock, finger: str, steps: list[tuple[int, int]]
) -> Callable[[int, int], Awaitable[None]]:
    """Progress callback that lays ``finger`` on the reader again after each capture."""

    async def progress(step: int, total: int) -> None:
        steps.append((step, total))
        if step < total:
            await sim_lock.finger(finger)

    return progress


async def enroll(
    sim_lock: SimulatedLock, hardware: Hardware, finger: str, slot: int
) -> list[tuple[int, int]]:
    """Enroll ``finger`` into ``slot`` with four real presentations."""
    steps: list[tuple[int, int]] = []
    await sim_lock.finger(finger)
    await hardware.fingerprint.enroll(slot, 4, presenting(sim_lock, finger, steps))
    return steps


async def test_enroll_then_identify(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """Four captures make a template; the same finger then matches its slot (L-09)."""
    steps = await enroll(sim_lock, hardware, "alice-left-thumb", 7)
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert await hardware.fingerprint.slots() == {7}
    await sim_lock.finger("alice-left-thumb")
    match = await hardware.fingerprint.identify()
    assert isinstance(match, FingerMatch)
    assert match.slot == 7
    assert match.score > 0


async def test_unknown_finger_does_not_match(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """A finger never enrolled is no match, not an error."""
    await enroll(sim_lock, hardware, "alice-left-thumb", 0)
    await sim_lock.finger("mallory")
    assert await hardware.fingerprint.identify() is None


async def test_no_finger_times_out(sim_lock: SimulatedLock, hardware: Hardware) -> None:
    """Nobody on the reader: DeviceTimeout, with a message that says so."""
    with pytest.raises(DeviceTimeout, match="no finger"):
        await meanwhile(sim_lock, 0.3, hardware.fingerprint.identify(timeout=0.3))


async def test_same_finger_cannot_be_enrolled_twice(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """Enrolling an already stored finger fails and names its slot (L-24)."""
    await enroll(sim_lock, hardware, "bob-right-index", 3)
    with pytest.raises(DuplicateTemplate) as caught:
        await enroll(sim_lock, hardware, "bob-right-index", 4)
    assert caught.value.existing_slot == 3
    assert await hardware.fingerprint.slots() == {3}


async def test_enrollment_needs_every_presentation(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """Stopping after two of four presentations times out and stores nothing."""
    steps: list[tuple[int, int]] = []

    async def stop_after_two(step: int, total: int) -> None:
        steps.append((step, total))
        if step < 2:
            await sim_lock.finger("carol")

    await sim_lock.finger("carol")
    enrolling = hardware.fingerprint.enroll(5, 4, stop_after_two, capture_timeout=0.3)
    with pytest.raises(DeviceTimeout):
        await meanwhile(sim_lock, 0.3, enrolling)
    assert steps == [(1, 4), (2, 4)]
    assert await hardware.fingerprint.slots() == set()


async def test_delete_one_and_all(sim_lock: SimulatedLock, hardware: Hardware) -> None:
    """Delete one template, then all (L-27 deletes, L-63 factory reset)."""
    await enroll(sim_lock, hardware, "a", 1)
    await enroll(sim_lock, hardware, "b", 2)
    await hardware.fingerprint.delete(1)
    assert await hardware.fingerprint.slots() == {2}
    await sim_lock.finger("a")
    assert await hardware.fingerprint.identify() is None
    await hardware.fingerprint.delete_all()
    assert await hardware.fingerprint.slots() == set()


async def test_slot_range_is_checked(hardware: Hardware) -> None:
    """Only the 50 template slots exist (L-22)."""
    with pytest.raises(ValueError, match="slot 50"):
        await hardware.fingerprint.enroll(50)


async def _configured_by_another_host(
    sim_lock: SimulatedLock, *, password: int, address: int
) -> None:
    """Give the module a password and an address, as its previous host might have."""
    module = sim_lock._require(sim_lock._fingerprint)
    module.settings.password = password
    module.settings.address = address
    await sim_lock.restart_module("fingerprint")


async def test_a_module_with_a_password_and_address(sim_lock: SimulatedLock) -> None:
    # R503 manual p. 6: a module whose password was changed accepts nothing before
    # VfyPwd (21H); SetAdder changes the address packages are sent to.
    await _configured_by_another_host(sim_lock, password=0x0BADF00D, address=0x1234)
    device = await FingerprintDevice.open(
        str(sim_lock.ports["fingerprint"]), address=0x1234, password=0x0BADF00D
    )
    try:
        assert await device.slots() == set()
        # The module restarts (power cycle): it wants the password again.
        await sim_lock.restart_module("fingerprint")
        assert await device.slots() == set()
    finally:
        await device.close()


async def test_a_wrong_password_is_reported(sim_lock: SimulatedLock) -> None:
    await _configured_by_another_host(sim_lock, password=0x0BADF00D, address=0xFFFFFFFF)
    device = await FingerprintDevice.open(str(sim_lock.ports["fingerprint"]))
    try:
        with pytest.raises(DeviceRejected, match="refuses the configured password"):
            await device.slots()
    finally:
        await device.close()


async def test_a_template_stored_by_another_host_is_never_overwritten(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    module = sim_lock._require(sim_lock._fingerprint)
    module.library.store(5, b"another host's template".ljust(32, b"\0"))
    with pytest.raises(SlotOccupied) as caught:
        await enroll(sim_lock, hardware, "frank", 5)
    assert caught.value.slot == 5
    assert module.library.template(5) == b"another host's template".ljust(32, b"\0")


@pytest.mark.parametrize(
    ("held", "read"), [(FINGER_DWELL, False), (FINGER_DWELL * 4, True)]
)
async def test_a_capture_that_starts_late_reads_a_finger_still_held(
    tmp_path: Path, clock: ManualClock, held: float, read: bool
) -> None:
    """A capture that starts after the person lifted the finger finds none.

    The 200-lock benchmark lost a press this way: 50 locks and their drivers in one
    process, on a share of two loaded cores, began the capture more than the
    simulator's 1.5 s dwell after the touch, and the press ended with no attempt.
    Its person keeps the finger on (``finger_dwell``) until the lock has read it.
    """
    lock = SimulatedLock(
        clock=clock, seed=7, state_dir=tmp_path / "sim", finger_dwell=held
    )
    await lock.start()
    try:
        async with driven(lock, clock) as hardware:
            take_mcu_events(hardware)
            await enroll(lock, hardware, "dave-right-index", 2)
            await lock.finger("dave-right-index")
            await lock.clock(advance=FINGER_DWELL * 2)  # the driver was busy meanwhile
            if read:
                match = await hardware.fingerprint.identify()
                assert match is not None
                assert match.slot == 2
            else:
                with pytest.raises(DeviceTimeout, match="no finger"):
                    await meanwhile(lock, 2.0, hardware.fingerprint.identify())
    finally:
        await lock.stop()
