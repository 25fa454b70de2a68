"""``many_locks``: one Home Assistant and a fleet of simulated locks in a few processes, all active at once."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError

from benchmarks.edge import EdgeProcess, installed_env
from benchmarks.hass import PairedLock, add_lock, home_assistant
from benchmarks.stats import cpu_seconds, latency, memory_kib

from .ha_timing import StateWatch, credential_sample, relock
from .press import Press
from .scale import Scale

# Locks per fleet process (benchmarks.fleet_main): 200 locks run in 4 processes.
LOCKS_PER_FLEET_PROCESS = 50


class Fleet:
    """``benchmarks.fleet_main``: many simulated locks and their drivers, a few processes.

    Each process holds up to :data:`LOCKS_PER_FLEET_PROCESS` locks: Home Assistant's side
    is measured without a driver process per lock, and without one event loop
    that every lock's simulator and driver queue in.
    """

    def __init__(self, root: Path, count: int) -> None:
        """Run ``count`` locks under ``root`` once started."""
        self.root = root
        self.count = count
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self, session: aiohttp.ClientSession) -> list[EdgeProcess]:
        """Start the fleet; return a handle on each lock (API, simulator)."""
        shares = -(-self.count // LOCKS_PER_FLEET_PROCESS)
        sizes = [
            self.count // shares + (i < self.count % shares) for i in range(shares)
        ]
        firsts = [sum(sizes[:i]) for i in range(shares)]
        started = await asyncio.gather(
            *(
                self._start_one(session, first, size)
                for first, size in zip(firsts, sizes, strict=True)
            )
        )
        return [lock for locks in started for lock in locks]

    async def _start_one(
        self, session: aiohttp.ClientSession, first: int, count: int
    ) -> list[EdgeProcess]:
        log = self.root / f"fleet{first}.log"
        with log.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.fleet_main",
                f"--root={self.root}",
                f"--count={count}",
                f"--first={first}",
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                limit=1 << 20,
                env=installed_env(),
            )
        self.processes.append(process)
        assert process.stdout is not None
        locks: list[EdgeProcess] = []
        async with asyncio.timeout(600):
            async for line in process.stdout:
                data = json.loads(line)
                if "ready" in data:
                    break
                locks.append(
                    EdgeProcess(
                        self.root / f"lock{first + len(locks)}",
                        session,
                        port=data["port"],
                        sim_port=data["sim_port"],
                        fingerprint=data["fingerprint"],
                    )
                )
        if len(locks) != count:
            raise RuntimeError(f"the fleet did not start: {log}")
        return locks

    async def stop(self) -> None:
        """SIGTERM the fleet's processes and wait."""
        for process in self.processes:
            if process.returncode is None:
                process.terminate()
        for process in self.processes:
            await process.wait()


async def bench_many_locks(tmp: Path, scale: Scale) -> dict[str, Any]:
    """``many_locks``: one Home Assistant, many paired locks, all active at once.

    The locks and their drivers run in one other process (fleet mode), so what is
    measured here is Home Assistant's side: the setup of every config entry (through
    the real config flow), memory per lock, CPU time per event it receives, and the
    latency of an unlock while every lock unlocks and locks again at once.
    """
    count = scale.fleets[0]
    return {"many_locks": await _fleet(tmp / "fleet", count, scale)}


async def bench_many_locks_large(tmp: Path, scale: Scale) -> dict[str, Any]:
    """``many_locks_large``: the same with the larger fleet (none in a quick run).

    Home Assistant boots once per process, hence a benchmark of its own.
    """
    if len(scale.fleets) < 2:
        return {}
    count = scale.fleets[1]
    # Two unlocks per lock: all 200 at once is already a long queue in the fleet.
    fewer = dataclasses.replace(scale, samples_per_lock=2)
    return {f"many_locks_{count}": await _fleet(tmp / "fleet", count, fewer)}


async def _fleet(tmp: Path, count: int, scale: Scale) -> dict[str, Any]:
    try:
        return await _measure(tmp, count, scale)
    except BaseException:
        _say_where(tmp)
        raise


async def _measure(tmp: Path, count: int, scale: Scale) -> dict[str, Any]:
    tmp.mkdir(parents=True)  # noqa: ASYNC240 -- before anything runs
    fleet = Fleet(tmp, count)
    async with (
        aiohttp.ClientSession() as session,
        home_assistant(tmp / "ha") as hass,
    ):
        try:
            edges = await fleet.start(session)
            gate = asyncio.Semaphore(16)

            async def prepare(edge: EdgeProcess) -> None:
                async with gate:
                    await edge.prepare()

            await asyncio.gather(*(prepare(edge) for edge in edges))
            await hass.async_block_till_done()
            before_rss, before_cpu = memory_kib()["rss_kib"], cpu_seconds()
            started = time.perf_counter()
            locks: list[PairedLock] = []
            each: list[float] = []
            for edge in edges:
                added = time.perf_counter()
                locks.append(await add_lock(hass, edge))
                each.append(time.perf_counter() - added)
            await hass.async_block_till_done()
            pairing_s = time.perf_counter() - started
            rss = memory_kib()["rss_kib"]
            # Setting the entries up, as Home Assistant does at start: all of them
            # at once (connect, TLS, first state, entities), none paired anew.
            entries = [lock.entry.entry_id for lock in locks]
            for entry_id in entries:
                await hass.config_entries.async_unload(entry_id)
            await hass.async_block_till_done()
            before_cpu, started = cpu_seconds(), time.perf_counter()
            await asyncio.gather(
                *(hass.config_entries.async_setup(entry_id) for entry_id in entries)
            )
            await hass.async_block_till_done()
            setup_s = time.perf_counter() - started
            setup_cpu = cpu_seconds() - before_cpu
            states = {lock.entry.state for lock in locks}
            if states != {ConfigEntryState.LOADED}:
                raise RuntimeError(f"entries not set up again: {states}")
            received = 0

            @callback
            def _count(_event: Any) -> None:
                nonlocal received
                received += 1

            removers = [
                lock.entry.runtime_data.async_add_event_listener(_count)
                for lock in locks
            ]
            watches = [
                StateWatch(hass, {p.lock_entity, p.access_entity}) for p in locks
            ]
            for lock, watch in zip(locks, watches, strict=True):
                await relock(hass, lock, watch)
            received, active_cpu = 0, cpu_seconds()

            async def run(lock: PairedLock, watch: StateWatch) -> list[float]:
                # Each lock pressed as credential_to_ha presses, one request sent
                # on a connection kept to its simulator, as soon as its relock
                # returned (all locks at once: no lock is ever at rest everywhere).
                press = Press(hass, lock)
                await press.open()
                seconds: list[float] = []
                try:
                    for _ in range(scale.samples_per_lock):
                        try:
                            sample = await credential_sample(
                                hass, lock, watch, press, 300, alone=False
                            )
                        except (TimeoutError, HomeAssistantError) as err:
                            report = await _stalled(hass, lock, tmp, err)
                            raise RuntimeError(report) from err
                        seconds.append(sample.seconds)
                finally:
                    press.close()
                return seconds

            samples = await asyncio.gather(
                *(run(p, w) for p, w in zip(locks, watches, strict=True))
            )
            active_cpu = cpu_seconds() - active_cpu
            for remove in removers:
                remove()
            for watch in watches:
                watch.unsubscribe()
        finally:
            await fleet.stop()
    tenth = max(1, count // 10)
    return {
        "locks": count,
        "fleet_processes": len(fleet.processes),
        "setup_s": round(setup_s, 2),
        "setup_cpu_s": round(setup_cpu, 2),
        # Pairing each through the config flow, one after the other (SET held on
        # the lock, the code from its label): mostly waiting for the lock's window.
        "pairing_s": round(pairing_s, 2),
        # A cost that grows faster than linearly shows here: the last locks take
        # longer to pair than the first ones.
        "first_tenth_pairing_ms": round(statistics.mean(each[:tenth]) * 1000, 1),
        "last_tenth_pairing_ms": round(statistics.mean(each[-tenth:]) * 1000, 1),
        "home_assistant_rss_per_lock_kib": round((rss - before_rss) / count),
        "events_received": received,
        # The benchmark's own work (the finger presses over HTTP, the state watch)
        # runs in this process too and is included.
        "home_assistant_cpu_us_per_event": round(active_cpu / received * 1e6, 1)
        if received
        else None,
        "credential_to_ha_all_active": latency([x for s in samples for x in s]),
    }


async def _stalled(
    hass: HomeAssistant, lock: PairedLock, root: Path, err: Exception
) -> str:
    """Say where a finger press (or the lock after it) that did not come through stopped.

    The driver's newest events (did it decide?), what Home Assistant last handled and
    shows, and the fleet's log lines about this lock (a module's late answer, no
    finger found, a connection closed).
    """
    coordinator = lock.entry.runtime_data
    name = lock.edge.data_dir.name
    number = name.removeprefix("lock")
    try:
        state = await lock.edge.api("GET", "/state")
        newest = await lock.edge.api(
            "GET", f"/events?since={max(0, state['last_seq'] - 8)}&limit=8"
        )
        edge: Any = {
            "last_seq": state["last_seq"],
            "events": [
                {k: e.get(k) for k in ("seq", "time", "type", "method", "result")}
                for e in newest["events"]
            ],
        }
    except (aiohttp.ClientError, TimeoutError) as unreachable:
        edge = f"unreachable: {unreachable!r}"
    lines = _log_lines(root)
    return "a finger press did not come through: " + json.dumps(
        {
            "error": repr(err),
            "lock": name,
            "edge": edge,
            "home_assistant": {
                "last_seq": coordinator.last_seq,
                "streaming": coordinator.streaming,
                "lock_state": getattr(hass.states.get(lock.lock_entity), "state", None),
                "access_state": getattr(
                    hass.states.get(lock.access_entity), "state", None
                ),
            },
            # The fleet's filter adds the lock's number last; background tasks (a
            # match) run in a context of their own and are counted fleet-wide.
            "fleet_log": [line for line in lines if f"lock={number}]" in line][-40:],
            "fleet_wide": _counts(lines),
        },
        indent=1,
    )


# What the fleet's log says when a lock's work does not come through (fleet_main).
_TROUBLE = (
    "Nobody at",  # a capture that found no finger
    "ignored Ef01Packet",  # a module's answer after the link stopped waiting
    "failed",
    "did not authenticate in time",  # the API's deadline closed a connection
    "TLS handshake failed",
    "Connection limit",
)


def _log_lines(root: Path) -> list[str]:
    """Every line of the fleet processes' logs."""
    return [
        line
        for log in sorted(root.glob("fleet*.log"))
        for line in log.read_text(errors="replace").splitlines()
    ]


def _counts(lines: list[str]) -> dict[str, int]:
    return {what: sum(what in line for line in lines) for what in _TROUBLE}


def _say_where(root: Path) -> None:
    """On a failure, keep the fleet's logs (the temporary directory goes) and count."""
    kept = Path(tempfile.mkdtemp(prefix="ezlock-fleet-failed-"))
    for log in root.glob("fleet*.log"):
        shutil.copy(log, kept)
    counts = json.dumps(_counts(_log_lines(root)))
    print(f"many_locks: fleet logs kept in {kept}: {counts}", file=sys.stderr)
