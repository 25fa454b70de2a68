"""Fixtures: the real edge driver on simulated hardware, and the client paired with it.

These tests run without Home Assistant (``-p no:homeassistant``): the client is a
library of its own, so nothing here may need Home Assistant to import or run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from custom_components.ezlock.client import EzlockClient
from ezlock_edge.app import EdgeApp, EdgeOptions
from ezlock_edge.clock import ManualClock
from tests.support.lock import create_first_admin, sim_of

from .support import pair

type Starter = Callable[[EdgeOptions], Awaitable[EdgeApp]]


@pytest.fixture
def clock() -> ManualClock:
    """Give the lock and the simulator a time that only the test moves."""
    return ManualClock()


@pytest.fixture
def edge_options(tmp_path: Path, clock: ManualClock) -> EdgeOptions:
    """HTTPS on a free loopback port, on simulated hardware with an instant bolt."""
    return EdgeOptions(
        data_dir=tmp_path / "edge", clock=clock, motor_travel=0.0, simulate=True
    )


@pytest.fixture
async def start() -> AsyncIterator[Starter]:
    """Start edge drivers (with their first admin, L-26); stop them at the end."""
    started: list[EdgeApp] = []

    async def _start(options: EdgeOptions) -> EdgeApp:
        edge = EdgeApp(options)
        await edge.start()
        started.append(edge)
        if not edge.core.state.admin_exists:
            await create_first_admin(sim_of(edge))
        return edge

    yield _start
    for edge in reversed(started):
        await edge.stop()


@pytest.fixture
async def edge(start: Starter, edge_options: EdgeOptions) -> EdgeApp:
    """One running edge driver whose lock has its first admin."""
    return await start(edge_options)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Open the caller's session: the client never makes its own."""
    async with aiohttp.ClientSession() as own:
        yield own


@pytest.fixture
async def client(edge: EdgeApp, session: aiohttp.ClientSession) -> EzlockClient:
    """Pair a client through the real window and the label's code."""
    return await pair(edge, session)
