"""The credential benchmark's hand at the lock, on the benchmark's own processes.

The press is one request on a keep-alive connection to the simulator's ``/sim/v1``,
sent at once from a request encoded beforehand; the simulator notes on
CLOCK_MONOTONIC when its handler lays the finger on the reader, the second figure's
start. The benchmark's REST calls to the driver reuse one pinned TLS connection (a new
one per call held 16 at once within seconds, and the driver refused the 17th). A sample
begins once Home Assistant has what the lock logged, and ends at the time of the state
write itself, not when the benchmark's coroutine next runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import contextlib
from pathlib import Path
import time

import aiohttp
import pytest

from benchmarks import trace
from benchmarks.cases.ha_timing import (
    StateWatch,
    credential_sample,
    paired_locks,
    relock,
)
from benchmarks.cases.press import Press, SimulatorConnection
from benchmarks.edge import FINGER, EdgeProcess, _first_line, _spawn
from benchmarks.hass import home_assistant
from ezlock_edge.sim.errors import SimulationError


@contextlib.asynccontextmanager
async def simulator(tmp_path: Path) -> AsyncIterator[tuple[int, Path]]:
    """Run ``benchmarks.sim_main --trace``; yield its port and (after it) its trace."""
    marks = tmp_path / "sim-trace.json"
    log = tmp_path / "sim.log"
    process = await _spawn(
        "benchmarks.sim_main",
        log,
        f"--state-dir={tmp_path / 'sim'}",
        f"--trace={marks}",
    )
    try:
        ready = await _first_line(process, log)
        yield ready["sim_port"], marks
    finally:
        process.terminate()
        await process.wait()


async def test_the_press_is_one_request_on_a_kept_connection(tmp_path: Path) -> None:
    async with simulator(tmp_path) as (port, marks):
        connection = SimulatorConnection(port)
        await connection.open()
        try:
            panel = await connection.request("GET", "panel")
            assert panel["links"]["mcu"]["unacknowledged_events"] >= 0
            before = time.perf_counter_ns()
            sent = connection.send(connection.encode("POST", "finger", {"id": FINGER}))
            assert await connection.answer() == {"ok": True}
            answered = time.perf_counter_ns()
            with pytest.raises(SimulationError, match="404"):
                await connection.request("POST", "no_such_action", {})
            # The same connection still serves (keep-alive, one cycle after another).
            assert "bolt" in await connection.request("GET", "panel")
        finally:
            connection.close()
    noted = trace.load(marks)
    placed = [ns for name, ns in noted if name == "sim_finger"]
    assert len(placed) == 1
    assert before <= sent <= placed[0] <= answered
    # The press's bytes reached the simulator's HTTP connection in between.
    assert any(sent <= ns <= placed[0] for name, ns in noted if name == "sim_request")


async def test_rest_calls_reuse_one_pinned_connection(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as session:
        edge = EdgeProcess(tmp_path / "edge", session)
        try:
            await edge.start()
            await edge.create_first_admin()
            edge.token = await edge.pair()
            # More calls than the connections one client may hold (16).
            for _ in range(24):
                assert "last_seq" in await edge.api("GET", "/state")
        finally:
            await edge.stop()


@pytest.fixture
def blocking_calls_restored() -> Iterator[None]:
    """Undo Home Assistant's blocking-call checks after the test, for the next ones.

    Booting Home Assistant (as the benchmark does, outside its test plugin) patches
    ``time.sleep`` and friends for the whole process; the developer-scripts tests
    after this one call them inside their own event loops.
    """
    yield
    from homeassistant import block_async_io

    for call in block_async_io._BLOCKED_CALLS.calls:
        setattr(call.object, call.function, call.original_func)
    block_async_io._BLOCKED_CALLS.calls.clear()


@pytest.mark.usefixtures("blocking_calls_restored")
async def test_a_press_waits_until_home_assistant_has_what_the_lock_logged(
    tmp_path: Path,
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        home_assistant(tmp_path / "ha") as hass,
    ):
        (lock,), _ = await paired_locks(hass, tmp_path, session, 1)
        press = Press(hass, lock)
        try:
            await press.open()
            # A doorbell press: an MCU event the driver stores, acknowledges and
            # streams; the request returns long before Home Assistant has it.
            await lock.edge.sim("keypad", keys=["doorbell"])
            await press.settle()
            logged = (await lock.edge.api("GET", "/state"))["last_seq"]
            assert lock.entry.runtime_data.last_seq == logged
            panel = await lock.edge.lock.look("panel")
            assert panel["links"]["mcu"]["unacknowledged_events"] == 0
        finally:
            press.close()
            await lock.edge.stop()


@pytest.mark.usefixtures("blocking_calls_restored")
async def test_a_state_is_timed_at_its_write_not_at_the_waiters_wake(
    tmp_path: Path,
) -> None:
    async with home_assistant(tmp_path / "ha") as hass:
        watch = StateWatch(hass, {"lock.front_door"})
        try:
            before = time.perf_counter_ns()
            hass.states.async_set("lock.front_door", "unlocking")
            hass.states.async_set("lock.front_door", "unlocked")
            written = time.perf_counter_ns()
            # Written again in the same turn, before the waiter resumes: not its time.
            hass.states.async_set("lock.front_door", "unlocked", {"changed_by": "x"})
            unlocked = await watch.until("lock.front_door", lambda s: s == "unlocked")
            assert before <= unlocked <= written
            # With the loop thread's CPU time then (what Home Assistant had computed).
            assert 0 < watch.cpu_at[unlocked] <= time.thread_time_ns()
        finally:
            watch.unsubscribe()


@pytest.mark.usefixtures("blocking_calls_restored")
async def test_a_fleets_lock_is_pressed_while_other_locks_keep_ha_busy(
    tmp_path: Path,
) -> None:
    """The fleet presses on a kept connection, without waiting for all of HA.

    With every lock active Home Assistant always has a task of another lock running;
    a lock is pressed as soon as its relock returned, one request on the connection
    kept to its simulator.
    """
    async with (
        aiohttp.ClientSession() as session,
        home_assistant(tmp_path / "ha") as hass,
    ):
        (lock,), _ = await paired_locks(hass, tmp_path, session, 1)
        watch = StateWatch(hass, {lock.lock_entity, lock.access_entity})
        press = Press(hass, lock)
        other_lock = asyncio.Event()
        busy = hass.async_create_task(other_lock.wait())  # never done meanwhile
        try:
            await press.open()
            await relock(hass, lock, watch)
            for _ in range(2):
                sample = await credential_sample(hass, lock, watch, press, alone=False)
                assert sample.pressed < sample.event <= sample.unlocked
            assert not busy.done()
            shown = hass.states.get(lock.lock_entity)
            assert shown is not None and shown.state == "locked"  # relocked
        finally:
            other_lock.set()
            await busy
            press.close()
            watch.unsubscribe()
            await lock.edge.stop()
