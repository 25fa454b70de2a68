"""Fixtures shared by the edge tests: the simulated lock and the drivers opened on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ezlock_edge.devices.hardware import Hardware
from ezlock_edge.sim.lock import SimulatedLock


@pytest.fixture
async def sim_lock(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[SimulatedLock]:
    """Start a simulated lock with a fast motor and its state on disk."""
    lock = SimulatedLock(
        seed=7, motor_travel=0.05, state_dir=tmp_path_factory.mktemp("sim")
    )
    await lock.start()
    yield lock
    await lock.stop()


@pytest.fixture
async def hardware(sim_lock: SimulatedLock) -> AsyncIterator[Hardware]:
    """Open the production drivers on the simulated lock's four ptys."""
    ports = {link: str(path) for link, path in sim_lock.ports.items()}
    hardware = await Hardware.open(**ports)
    yield hardware
    await hardware.close()
