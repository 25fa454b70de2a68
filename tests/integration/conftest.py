"""Fixtures: the real edge driver with simulated hardware, in process on loopback."""

from pathlib import Path
import sys

# The integration is not an installed package (HACS copies its folder): import it from the
# repository root, and before the ``hass`` fixture puts phcc's own ``custom_components``
# package on sys.path, or Home Assistant would not find it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import custom_components.ezlock  # noqa: F401  # isort: skip

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from .common import MOTOR_TRAVEL, SERIAL, start_edge

if TYPE_CHECKING:
    from ezlock_edge.app import EdgeApp, EdgeOptions
    from ezlock_edge.sim.lock import SimulatedLock


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load ``custom_components.ezlock``."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize registry entries and states without ids and times that vary."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def sim(socket_enabled: None, tmp_path: Path) -> AsyncIterator[SimulatedLock]:
    """Run the lock's hardware; it outlives edge driver restarts, like a real lock."""
    from ezlock_edge.sim.lock import SimulatedLock

    lock = SimulatedLock(
        serial=SERIAL, seed=1, motor_travel=MOTOR_TRAVEL, state_dir=tmp_path / "sim"
    )
    await lock.start()
    yield lock
    await lock.stop()


@pytest.fixture
def edge_options(tmp_path: Path, sim: SimulatedLock) -> EdgeOptions:
    """HTTPS on a free loopback port, driving the simulated lock."""
    from ezlock_edge.app import EdgeOptions

    return EdgeOptions(
        data_dir=tmp_path / "edge",
        simulate=True,
        sim=sim,
        motor_travel=MOTOR_TRAVEL,
    )


@pytest.fixture
async def edge(edge_options: EdgeOptions) -> AsyncIterator[EdgeApp]:
    """Run an edge driver whose lock already has its first admin (L-26)."""
    app = await start_edge(edge_options)
    yield app
    await app.stop()
