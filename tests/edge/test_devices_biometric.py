"""BiometricDevice against the simulated face and palm-vein modules over their ptys.

Covers L-10 (five face poses), L-11 (palm), L-22 (50 slots), L-32 (templates only).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.devices.biometric import FACE, BiometricDevice
from ezlock_edge.devices.hardware import Hardware
from ezlock_edge.devices.models import BiometricMatch
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.sim.templates import TemplateLibrary, feature_of
from ezlock_edge.vocabulary.errors import (
    CapacityFull,
    DeviceTimeout,
    DuplicateTemplate,
    LivenessFailed,
)

from .sim_support import driven, meanwhile, take_mcu_events

type Present = Callable[[str], Awaitable[None]]


@pytest.fixture
async def hardware(
    sim_lock: SimulatedLock, clock: ManualClock
) -> AsyncIterator[Hardware]:
    """Open the production drivers on the simulated lock; take its controller's events."""
    async with driven(sim_lock, clock) as hardware:
        take_mcu_events(hardware)
        yield hardware


def modules(
    sim_lock: SimulatedLock, hardware: Hardware
) -> dict[str, tuple[BiometricDevice, Present]]:
    """Each module with the simulator action that presents to it."""
    return {
        "face": (hardware.face, sim_lock.face),
        "palm": (hardware.palm, sim_lock.palm),
    }


async def enroll(
    device: BiometricDevice, present: Present, who: str
) -> tuple[int, list[tuple[int, int]]]:
    """Enroll ``who``, presenting once per step as the lock asks; return slot, steps."""
    steps: list[tuple[int, int]] = []

    async def progress(step: int, total: int) -> None:
        steps.append((step, total))
        if step < total:
            await present(who)

    await present(who)
    slot = await device.enroll(progress)
    return slot, steps


modality = pytest.mark.parametrize("kind", ["face", "palm"])


@modality
async def test_enroll_then_verify(
    sim_lock: SimulatedLock, hardware: Hardware, kind: str
) -> None:
    """Face: five poses (L-10); palm: three presentations (L-11); then it matches."""
    device, present = modules(sim_lock, hardware)[kind]
    slot, steps = await enroll(device, present, "alice")
    total = 5 if kind == "face" else 3
    assert steps == [(step, total) for step in range(1, total + 1)]
    assert await device.slots() == {slot}
    await present("alice")
    assert await device.verify() == BiometricMatch(slot)


@modality
async def test_unknown_spoof_and_nobody(
    sim_lock: SimulatedLock, hardware: Hardware, kind: str
) -> None:
    """Unknown person: None; photo or fake palm: LivenessFailed; nobody: DeviceTimeout."""
    device, present = modules(sim_lock, hardware)[kind]
    await enroll(device, present, "alice")
    await present("mallory")
    assert await device.verify() is None
    await (sim_lock.face if kind == "face" else sim_lock.palm)("alice", spoof=True)
    with pytest.raises(LivenessFailed):
        await device.verify()
    with pytest.raises(DeviceTimeout):
        await meanwhile(sim_lock, 1, device.verify(timeout=1))


@modality
async def test_duplicate_enrollment(
    sim_lock: SimulatedLock, hardware: Hardware, kind: str
) -> None:
    """The same face or palm cannot be enrolled twice; the error names its slot."""
    device, present = modules(sim_lock, hardware)[kind]
    slot, _ = await enroll(device, present, "bob")
    with pytest.raises(DuplicateTemplate) as caught:
        await enroll(device, present, "bob")
    assert caught.value.existing_slot == slot


async def test_enrollment_step_timeout(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """A pose that is never shown fails the enrollment with DeviceTimeout."""
    await sim_lock.face("carol")
    with pytest.raises(DeviceTimeout):
        await meanwhile(sim_lock, 1, hardware.face.enroll(timeout=1))
    assert await hardware.face.slots() == set()


@modality
async def test_delete_one_and_all(
    sim_lock: SimulatedLock, hardware: Hardware, kind: str
) -> None:
    """Delete one template (then it no longer matches), then all."""
    device, present = modules(sim_lock, hardware)[kind]
    first, _ = await enroll(device, present, "a")
    second, _ = await enroll(device, present, "b")
    await device.delete(first)
    assert await device.slots() == {second}
    await present("a")
    assert await device.verify() is None
    await device.delete_all()
    assert await device.slots() == set()


async def test_capacity_full(tmp_path: Path) -> None:
    """With 50 faces stored, the next enrollment reports CapacityFull (L-22)."""
    library = TemplateLibrary(tmp_path / "face-templates.json")
    for slot in range(library.capacity):
        library.store(slot, feature_of(f"person-{slot}"))
    lock = SimulatedLock(seed=5, state_dir=tmp_path)
    await lock.start()
    try:
        face = await BiometricDevice.open(str(lock.ports["face"]), FACE)
        try:
            assert len(await face.slots()) == 50
            with pytest.raises(CapacityFull):
                await enroll(face, lock.face, "newcomer")
        finally:
            await face.close()
    finally:
        await lock.stop()
