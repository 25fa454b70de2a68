"""Fixtures the edge tests share: the lock's database, the simulated lock, drivers on it, scripted peers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
import random

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.store import Store
from ezlock_edge.devices.hardware import Hardware
from ezlock_edge.framing.stream import StreamParser
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.sim.noise import LineNoise
from ezlock_edge.sim.port import VirtualPort
from tests.support.lock import create_first_admin, sim_of

from .api_support import ApiClient, client_for, pair, running_edge
from .peer_support import HexPeer, HexPeerFactory, PeerFactory, ScriptedPeer
from .sim_support import driven


@pytest.fixture
def clock() -> ManualClock:
    """Give the lock a time the test moves (``clock.advance``) instead of waiting."""
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Give a lock's database of its own, closed after the test."""
    store = Store(tmp_path / "lock.db")
    yield store
    store.close()


@pytest.fixture
async def api(tmp_path: Path, clock: ManualClock) -> AsyncIterator[ApiClient]:
    """Pair a client with an edge driver whose first admin exists (L-26)."""
    async with running_edge(tmp_path, clock) as edge, client_for(edge) as client:
        await create_first_admin(sim_of(edge))
        await pair(client)
        yield client


@pytest.fixture
async def sim_lock(
    tmp_path_factory: pytest.TempPathFactory, clock: ManualClock
) -> AsyncIterator[SimulatedLock]:
    """Start a simulated lock on the test's clock, its state on disk.

    The bolt travels 0.05 s of that clock: a move of it (``sim_lock.clock(advance=)``)
    lets the motor run.
    """
    lock = SimulatedLock(
        clock=clock, seed=7, motor_travel=0.05, state_dir=tmp_path_factory.mktemp("sim")
    )
    await lock.start()
    yield lock
    await lock.stop()


@pytest.fixture
async def hardware(
    sim_lock: SimulatedLock, clock: ManualClock
) -> AsyncIterator[Hardware]:
    """Open the production drivers on the simulated lock's four ptys.

    A person's time is the test's clock, the links' an IdleClock (``driven``).
    """
    async with driven(sim_lock, clock) as hardware:
        yield hardware


@pytest.fixture
async def pty_peer(tmp_path: Path) -> AsyncIterator[PeerFactory]:
    """Make scripted device ends of ptys: ``pty_peer(name, parser)``."""
    ports: list[VirtualPort] = []

    def make[FrameT](name: str, parser: StreamParser[FrameT]) -> ScriptedPeer[FrameT]:
        port = VirtualPort(tmp_path / name, LineNoise(random.Random(0)))
        port.plug()
        ports.append(port)
        return ScriptedPeer(port, parser)

    yield make
    for port in ports:
        port.unplug()


@pytest.fixture
async def hex_peer(tmp_path: Path) -> AsyncIterator[HexPeerFactory]:
    """Make pty ends a test plays as literal bytes: ``hex_peer(name)``."""
    ports: list[VirtualPort] = []

    def make(name: str) -> HexPeer:
        port = VirtualPort(tmp_path / name, LineNoise(random.Random(0)))
        port.plug()
        ports.append(port)
        return HexPeer(port)

    yield make
    for port in ports:
        port.unplug()
