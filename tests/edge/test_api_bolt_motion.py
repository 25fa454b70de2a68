"""Issue #11.6: while the bolt moves, and across a restart while it moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.sim.lock import SimulatedLock
from tests.support.lock import create_first_admin
from tests.support.waiting import eventually

from .api_support import client_for, pair, running_edge

TRAVEL = 2.0  # seconds of the (manual) clock the simulated bolt takes


@pytest.fixture
async def sim(tmp_path: Path, clock: ManualClock) -> AsyncIterator[SimulatedLock]:
    lock = SimulatedLock(clock=clock, motor_travel=TRAVEL, state_dir=tmp_path / "sim")
    await lock.start()
    yield lock
    await lock.stop()


async def test_lock_or_unlock_while_the_bolt_moves_is_busy(
    tmp_path: Path, clock: ManualClock, sim: SimulatedLock
) -> None:
    """``409 busy`` (retry-able), not ``503 lock_offline``: the lock is there."""
    async with (
        running_edge(tmp_path / "edge", clock, sim=sim) as edge,
        client_for(edge) as api,
    ):
        await create_first_admin(sim)
        await pair(api)
        await api.call("PATCH", "/settings", {"remote_unlock_enabled": True})
        assert (await api.call("POST", "/unlock")).status == 202
        for path in ("/lock", "/unlock"):
            reply = await api.call("POST", path)
            assert (reply.status, reply.body["error"]) == (409, "busy"), path
        clock.advance(TRAVEL + 0.5)
        await eventually(
            lambda: edge.core.state.as_dict()["bolt"] == "unlocked", "unlocked"
        )
        assert (await api.call("POST", "/lock")).status == 202


async def test_a_restart_while_the_bolt_moves_invents_no_operation(
    tmp_path: Path, clock: ManualClock, sim: SimulatedLock
) -> None:
    """The driver dies mid-unlock; the MCU resends "unlocked" to the next one."""
    async with (
        running_edge(tmp_path / "edge", clock, sim=sim) as edge,
        client_for(edge) as api,
    ):
        await create_first_admin(sim)
        await pair(api)
        await api.call("PATCH", "/settings", {"remote_unlock_enabled": True})
        assert (await api.call("POST", "/unlock")).status == 202
    # The driver is gone, and what it held in memory with it; the bolt arrives.
    clock.advance(TRAVEL + 0.5)

    async def arrived() -> bool:
        return bool((await sim.panel())["bolt"] == "unlocked")

    await eventually(arrived, "the bolt arrived")
    async with running_edge(tmp_path / "edge", clock, sim=sim) as edge:
        await eventually(
            lambda: edge.core.state.as_dict()["bolt"] == "unlocked",
            "the restarted driver heard the bolt",
        )
        unlocks = [
            event.data["method"]
            for event in edge.core.events.query(0, 1000)
            if event.type == "unlocked"
        ]
        assert unlocks == ["remote"]
