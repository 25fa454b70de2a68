"""The benchmarks of docs/performance.md, one coroutine each, returning plain JSON data."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
import dataclasses
from dataclasses import dataclass
from datetime import timedelta
import functools
import json
from pathlib import Path
import random
import statistics
import subprocess
import sys
import time
from typing import Any

import aiohttp
from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event

from ezlock_edge.clock import SystemClock, local_time_zone
from ezlock_edge.core.directory import Directory
from ezlock_edge.core.events import EventLog
from ezlock_edge.core.models import Role, VisitorKind
from ezlock_edge.core.policy import ENTRY_MAX, check_password, entry_windows
from ezlock_edge.core.secrets import DeviceSecret
from ezlock_edge.core.store import Store
from ezlock_edge.core.visitors import Visitors
from ezlock_edge.devices.mcu import BAUDRATE as MCU_BAUD
from ezlock_edge.framing.mcu import McuFrame, MessageType

from . import trace
from .edge import FINGER, EdgeProcess, installed_env
from .hass import PairedLock, add_lock, home_assistant
from .stats import cpu_seconds, latency, memory_kib, ratio

BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit


@dataclass(frozen=True)
class Scale:
    """How much work each benchmark does (``--quick`` shrinks everything)."""

    samples: int
    storm_events: int
    samples_per_lock: int
    password_checks: int
    fleets: tuple[int, ...]
    quick: bool = False


FULL = Scale(
    samples=500,
    storm_events=10_000,
    samples_per_lock=10,
    password_checks=200,
    fleets=(50, 200),
)
QUICK = Scale(
    samples=20,
    storm_events=300,
    samples_per_lock=3,
    password_checks=20,
    fleets=(3,),
    quick=True,
)


# ---------------------------------------------------------------- floors


async def websocket_round_trip_floor(samples: int) -> list[float]:
    """Time a bare aiohttp WebSocket echo on loopback: the cheapest push possible."""

    async def echo(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async for message in socket:
            await socket.send_str(message.data)
        return socket

    app = web.Application()
    app.router.add_get("/", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    timings = []
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"http://127.0.0.1:{port}/") as socket,
    ):
        for _ in range(samples):
            started = time.perf_counter()
            await socket.send_str('{"type":"event"}')
            await socket.receive()
            timings.append(time.perf_counter() - started)
    await runner.cleanup()
    return timings


def serial_frame_s() -> float:
    """One MCU event frame on the wire at the link's baud rate."""
    frame = McuFrame(MessageType.EVENT, 1, bytes(7)).encode()  # a key event
    return len(frame) * BITS_PER_BYTE / MCU_BAUD


async def floor_ms(samples: int) -> float:
    """Return the credential-to-HA floor: a WebSocket round trip plus a serial frame."""
    ws = latency(await websocket_round_trip_floor(samples))["p50_ms"]
    return ws + serial_frame_s() * 1000


# ---------------------------------------------------------------- HA helpers


class StateWatch:
    """Timestamps of Home Assistant state writes for chosen entities."""

    def __init__(self, hass: HomeAssistant, entity_ids: set[str]) -> None:
        """Listen for state changes of ``entity_ids``."""
        self.changed: dict[str, asyncio.Event] = {
            e: asyncio.Event() for e in entity_ids
        }
        # Start from what Home Assistant shows: a lock already locked is not written
        # again when it is locked again (its changed_by names no one for a remote lock).
        self.states: dict[str, str] = {
            e: state.state for e in entity_ids if (state := hass.states.get(e))
        }

        @callback
        def _on_change(event: Event[EventStateChangedData]) -> None:
            entity_id = event.data["entity_id"]
            if (new_state := event.data["new_state"]) is not None:
                self.states[entity_id] = new_state.state
                self.changed[entity_id].set()

        # Dispatched by entity id: one watch per lock does not make every state
        # write of every lock call every watch (which grew with the square of the
        # number of locks, and was counted as Home Assistant's CPU per event).
        self.unsubscribe = async_track_state_change_event(
            hass, list(entity_ids), _on_change
        )

    def reset(self) -> None:
        """Forget what was seen."""
        for flag in self.changed.values():
            flag.clear()

    async def until(
        self, entity_id: str, check: Callable[[str], bool], patience: float = 10
    ) -> None:
        """Wait until ``entity_id`` is written with a state that passes ``check``."""
        async with asyncio.timeout(patience):
            while not check(self.states.get(entity_id, "")):
                self.changed[entity_id].clear()
                await self.changed[entity_id].wait()


async def relock(
    hass: HomeAssistant, lock: PairedLock, watch: StateWatch, patience: float = 10
) -> None:
    """Lock again between samples, from Home Assistant (if it is not locked yet)."""
    current = hass.states.get(lock.lock_entity)
    if current is not None and current.state == "locked":
        return
    await hass.services.async_call(
        "lock", "lock", {"entity_id": lock.lock_entity}, blocking=True
    )
    await watch.until(lock.lock_entity, lambda state: state == "locked", patience)


@dataclass(frozen=True)
class Sample:
    """One credential sample on ``time.perf_counter_ns``: pressed, event seen, unlocked."""

    pressed: int
    event: int
    unlocked: int

    @property
    def seconds(self) -> float:
        """From the press to the entity unlocked."""
        return (self.unlocked - self.pressed) / 1e9


async def credential_sample(
    hass: HomeAssistant, lock: PairedLock, watch: StateWatch, patience: float = 10
) -> Sample:
    """Present the enrolled finger; time until HA shows the access event and unlock.

    ``patience``: seconds before giving up on each step (a fleet all active is slow).
    """
    watch.reset()
    watch.changed[lock.access_entity].clear()
    pressed = time.perf_counter_ns()
    await lock.edge.sim("finger", id=FINGER)
    async with asyncio.timeout(patience):
        await watch.changed[lock.access_entity].wait()
    event = time.perf_counter_ns()
    await watch.until(lock.lock_entity, lambda state: state == "unlocked", patience)
    sample = Sample(pressed, event, time.perf_counter_ns())
    await relock(hass, lock, watch, patience)
    return sample


# Where an unlock's time goes: (label, from mark, to mark), each the first mark of its
# name after the previous one. "pressed", "ha_event" and "ha_unlocked" are the
# benchmark's own; the others come from the driver (benchmarks/trace.py).
STAGES = (
    (
        "simulator: finger on the sensor, touch line, MCU event",
        "pressed",
        "mcu_sensor_wake",
    ),
    (
        "fingerprint module exchanges (capture, search)",
        "mcu_sensor_wake",
        "finger_identify_end",
    ),
    ("unlock decision", "finger_identify_end", "mcu_unlock_sent"),
    (
        "UNLOCK request and answer on the MCU link",
        "mcu_unlock_sent",
        "mcu_unlock_answered",
    ),
    (
        "commit of the unlock and bolt events, fsync included",
        "mcu_unlock_answered",
        "announce_unlocked",
    ),
    ("WebSocket message written", "announce_unlocked", "ws_sent_unlocked"),
    ("Home Assistant: message to access event", "ws_sent_unlocked", "ha_event"),
    ("Home Assistant: access event to lock entity unlocked", "ha_event", "ha_unlocked"),
)


def breakdown(samples: list[Sample], marks: list[tuple[str, int]]) -> dict[str, Any]:
    """Median time of each stage of STAGES, and the fsyncs each unlock cost."""
    stages: dict[str, list[float]] = {label: [] for label, _, _ in STAGES}
    fsyncs: list[int] = []
    fsync_ms: list[float] = []
    for sample in samples:
        inside = [(n, t) for n, t in marks if sample.pressed <= t <= sample.unlocked]
        inside += [("pressed", sample.pressed), ("ha_event", sample.event)]
        inside += [("ha_unlocked", sample.unlocked)]
        inside.sort(key=lambda mark: mark[1])
        at = sample.pressed
        complete = True
        for label, _, end in STAGES:
            found = next((t for n, t in inside if n == end and t >= at), None)
            if found is None:
                complete = False
                break
            stages[label].append((found - at) / 1e6)
            at = found
        if not complete:
            continue
        starts = [t for n, t in inside if n == "fsync_start"]
        ends = [t for n, t in inside if n == "fsync_end"]
        fsyncs.append(len(ends))
        fsync_ms += [(e - b) / 1e6 for b, e in zip(starts, ends, strict=False)]
    return {
        "complete_samples": len(fsyncs),
        "stages_p50_ms": {
            label: round(statistics.median(times), 3)
            for label, times in stages.items()
            if times
        },
        "fsyncs_per_unlock_p50": statistics.median(fsyncs) if fsyncs else None,
        "fsyncs_per_unlock_max": max(fsyncs) if fsyncs else None,
        "fsync_p50_ms": round(statistics.median(fsync_ms), 3) if fsync_ms else None,
    }


async def paired_locks(
    hass: HomeAssistant,
    tmp: Path,
    session: aiohttp.ClientSession,
    count: int,
    trace_to: Path | None = None,
) -> tuple[list[PairedLock], float]:
    """Start ``count`` prepared edge drivers and pair each; returns HA's setup time.

    ``trace_to``: the drivers note timestamps (benchmarks/trace.py) in files there.
    """
    edges = [
        EdgeProcess(
            tmp / f"edge{i}",
            session,
            trace_file=trace_to / f"edge{i}-trace.json" if trace_to else None,
        )
        for i in range(count)
    ]
    # Two cores: bring the drivers up a few at a time so none times out starting.
    gate = asyncio.Semaphore(4)

    async def bring_up(edge: EdgeProcess) -> None:
        async with gate:
            await edge.start()
            await edge.prepare()

    await asyncio.gather(*(bring_up(edge) for edge in edges))
    started = time.perf_counter()
    locks = [await add_lock(hass, edge) for edge in edges]
    await hass.async_block_till_done()
    return locks, time.perf_counter() - started


# ---------------------------------------------------------------- benchmarks


async def bench_credential_and_command(tmp: Path, scale: Scale) -> dict[str, Any]:
    """``credential_to_ha`` and ``ha_command`` on one lock."""
    floor = await floor_ms(scale.samples)
    async with (
        aiohttp.ClientSession() as session,
        home_assistant(tmp / "ha") as hass,
    ):
        (lock,), _ = await paired_locks(hass, tmp, session, 1, trace_to=tmp)
        watch = StateWatch(hass, {lock.lock_entity, lock.access_entity})
        try:
            await relock(hass, lock, watch)
            samples = [
                await credential_sample(hass, lock, watch) for _ in range(scale.samples)
            ]
            credential = [sample.seconds for sample in samples]
            command = []
            for _ in range(scale.samples):
                started = time.perf_counter()
                await hass.services.async_call(
                    "lock", "unlock", {"entity_id": lock.lock_entity}, blocking=True
                )
                await watch.until(lock.lock_entity, lambda state: state == "unlocked")
                command.append(time.perf_counter() - started)
                await relock(hass, lock, watch)
        finally:
            watch.unsubscribe()
            await lock.edge.stop()
    assert lock.edge.trace_file is not None
    where = breakdown(samples, trace.load(lock.edge.trace_file))
    credential_summary = latency(credential)
    command_summary = latency(command)
    return {
        "credential_to_ha": {
            **credential_summary,
            "floor_ms": round(floor, 3),
            "p50_over_floor": ratio(credential_summary["p50_ms"], floor),
            "p99_over_floor": ratio(credential_summary["p99_ms"], floor),
            "breakdown": where,
        },
        "ha_command": {
            **command_summary,
            "floor_ms": round(floor, 3),
            "p50_over_floor": ratio(command_summary["p50_ms"], floor),
        },
    }


# The simulated MCU keeps at most 1024 unacknowledged events (like real firmware, it
# drops the oldest beyond that), so presses are fed no faster than they are delivered.
STORM_CHUNK = 100
STORM_IN_FLIGHT = 500


async def bench_event_storm(tmp: Path, scale: Scale) -> dict[str, Any]:
    """``event_storm``: doorbell presses as fast as they go through.

    Every press is one MCU event, one ``doorbell`` event persisted in the edge's log,
    one WebSocket message and one event fired in Home Assistant.
    """
    async with (
        aiohttp.ClientSession() as session,
        home_assistant(tmp / "ha") as hass,
    ):
        (lock,), _ = await paired_locks(hass, tmp, session, 1)
        edge = lock.edge
        seen: Counter[int] = Counter()
        progress = asyncio.Event()
        last_delivery = time.perf_counter()

        @callback
        def _on_event(event: Any) -> None:
            nonlocal last_delivery
            if event.type == "doorbell":
                seen[event.seq] += 1
                last_delivery = time.perf_counter()
                progress.set()

        async def delivered_at_least(count: int) -> bool:
            """Wait until ``count`` distinct events arrived; False after 30 s idle."""
            while len(seen) < count:
                progress.clear()
                try:
                    async with asyncio.timeout(30):
                        await progress.wait()
                except TimeoutError:
                    return False
            return True

        remove = lock.entry.runtime_data.async_add_event_listener(_on_event)
        edge_cpu, own_cpu = cpu_seconds(edge.pid), cpu_seconds()
        started = time.perf_counter()
        pressed = 0
        while pressed < scale.storm_events:
            if not await delivered_at_least(pressed - STORM_IN_FLIGHT + STORM_CHUNK):
                break
            presses = min(STORM_CHUNK, scale.storm_events - pressed)
            await edge.sim("keypad", keys=["doorbell"] * presses)
            pressed += presses
        await delivered_at_least(scale.storm_events)
        elapsed = last_delivery - started
        edge_cpu = cpu_seconds(edge.pid) - edge_cpu
        own_cpu = cpu_seconds() - own_cpu
        remove()
        after = edge.memory()
        await edge.stop()
    delivered = len(seen)
    return {
        "event_storm": {
            "events": scale.storm_events,
            "delivered": delivered,
            "lost": scale.storm_events - delivered,
            "duplicated": sum(seen.values()) - delivered,
            "events_per_s": round(delivered / elapsed, 1),
            "seconds": round(elapsed, 2),
            # CPU time per event: steadier than wall time on a shared machine. The
            # edge process includes the simulated lock (firmware, modules, camera).
            "edge_cpu_us_per_event": round(edge_cpu / delivered * 1e6, 1),
            "home_assistant_cpu_us_per_event": round(own_cpu / delivered * 1e6, 1),
            "edge_rss_kib_after": after["rss_kib"],
            "edge_peak_rss_kib": after["peak_rss_kib"],
            "home_assistant_peak_rss_kib": memory_kib()["peak_rss_kib"],
        },
    }


# What the driver imports, heaviest first once measured: each in a fresh interpreter
# that has imported asyncio already (the driver's base), with its bytecode compiled as
# on a lock, so a figure is that import's own cost plus what it pulls in and nobody
# else loaded yet.
IMPORTS = (
    "aiohttp.web",
    "serialx",
    "voluptuous",
    "tzlocal",
    "sqlite3",
    "zeroconf.asyncio",
    "cryptography.x509",
    "ezlock_edge.api.openapi",
    "ezlock_edge.sim.lock",
    "ezlock_edge.app",
)
_IMPORT_PROBE = """
import asyncio, sys, time
def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS"))
before, started = rss(), time.perf_counter()
__import__(sys.argv[1])
print(rss() - before, round((time.perf_counter() - started) * 1000, 1))
"""


def import_costs() -> list[dict[str, Any]]:
    """Resident memory and time each of :data:`IMPORTS` adds, heaviest first."""
    costs = []
    for module in IMPORTS:
        probe = [sys.executable, "-c", _IMPORT_PROBE, module]
        env = installed_env()
        subprocess.run(probe, check=True, capture_output=True, env=env)  # compiles
        out = subprocess.run(
            probe, check=True, capture_output=True, text=True, env=env
        ).stdout.split()
        costs.append({"module": module, "rss_kib": int(out[0]), "ms": float(out[1])})
    return sorted(costs, key=lambda cost: -cost["rss_kib"])


async def bench_edge_footprint(tmp: Path, scale: Scale) -> dict[str, Any]:
    """``edge_footprint``: the driver alone, first start and restart, and its imports.

    The driver runs on real-hardware ports (the simulated lock's ptys, in another
    process), as on a lock. The restart is the state a lock lives in: the first start
    also makes the TLS identity (and so loads ``cryptography``), later ones only read it.
    """
    async with aiohttp.ClientSession() as session:
        # A lock's driver has its bytecode from the install (edge.installed_env): a
        # driver started once before on a data directory of its own writes it.
        warm_up = EdgeProcess(tmp / "warm-up", session)
        await warm_up.start()
        await warm_up.stop()
        edge = EdgeProcess(tmp / "edge", session)
        await edge.start()
        first = {
            "startup_to_ready_ms": round(edge.startup_s * 1000, 1),
            "cpu_ms": round(cpu_seconds(edge.pid) * 1000),
        }
        await asyncio.sleep(1)
        first["idle_rss_kib"] = edge.memory()["rss_kib"]
        await edge.stop_driver()
        await edge.start_driver()
        restart = {
            "startup_to_ready_ms": round(edge.startup_s * 1000, 1),
            "cpu_ms": round(cpu_seconds(edge.pid) * 1000),
        }
        await asyncio.sleep(1)
        restart["idle_rss_kib"] = edge.memory()["rss_kib"]
        await edge.stop()
    return {
        "edge_footprint": {
            # Bytecode compiled beforehand, as pip does at install (installed_env).
            "bytecode": "compiled",
            "first_start": first,
            "restart": restart,
            "imports": import_costs() if not scale.quick else [],
        }
    }


# The keypad's check hashes each window once per purpose the entry is checked for:
# users' passwords and visitors' temporary passwords (their hashes are kept apart).
HASH_PURPOSES = ("password", "temporary")


def _hide(rng: random.Random, secret: str, entry: str) -> str:
    """Put ``secret`` somewhere inside ``entry`` (same length: anti-peep digits)."""
    at = rng.randrange(len(entry) - len(secret) + 1)
    return entry[:at] + secret + entry[at + len(secret) :]


async def bench_password_check(tmp: Path, scale: Scale) -> dict[str, Any]:
    """Anti-peep check (L-41) of a 32-digit entry against 50 passwords and 50 codes.

    Three entries side by side, measured in turn so the machine's load hits each
    alike: a miss, a match (a password hidden among the digits) and the worst case
    (a password and a visitor code hidden in the same entry: the most rows to read).
    The matcher's work (every window hashed, every stored hash looked up) is the same
    for all three; only reading the matched rows differs, and that is the outcome the
    person at the door sees anyway (the door opens or not).
    """
    clock = SystemClock()
    store = Store(tmp / "passwords.db")
    secret = DeviceSecret.load_or_create(tmp / "secret")
    directory = Directory(
        store, EventLog(store, clock), clock, secret, local_time_zone()
    )
    rng = random.Random(7)
    passwords: list[str] = []
    while len(passwords) < 50:
        password = "".join(rng.choice("0123456789") for _ in range(8))
        try:
            check_password(password)
            user = directory.create_user(f"bench {len(directory.users())}", Role.USER)
            directory.set_password(user, password)
        except ValueError:
            continue
        passwords.append(password)
    visitors = Visitors(store, EventLog(store, clock), clock, secret, local_time_zone())
    codes = [
        visitors.create(
            VisitorKind.TEMPORARY_PASSWORD,
            f"visitor {index}",
            clock.now() + timedelta(days=1),
        )[1]
        for index in range(50)
    ]

    def check(entry: str) -> int:
        return len(directory.match_entry(entry)) + len(visitors.match_entry(entry))

    while True:
        miss = "".join(rng.choice("0123456789") for _ in range(ENTRY_MAX))
        if not check(miss):
            break
    entries = {
        "miss": miss,
        "match": _hide(rng, passwords[17], miss),
        "worst": _hide(rng, passwords[17], miss[:16])
        + _hide(rng, codes[33], miss[16:]),
    }
    found = {name: check(entry) for name, entry in entries.items()}
    assert found == {"miss": 0, "match": 1, "worst": 2}, found
    windows = entry_windows(miss)

    def floor() -> None:
        for purpose in HASH_PURPOSES:
            for window in windows:
                secret.digest(purpose, window)

    runs: dict[str, Callable[[], object]] = {
        name: functools.partial(check, entry) for name, entry in entries.items()
    }
    runs["floor"] = floor
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(scale.password_checks):
        for name, run in runs.items():
            started, cpu_started = time.perf_counter(), time.thread_time()
            run()
            cpu[name].append(time.thread_time() - cpu_started)
            wall[name].append(time.perf_counter() - started)
    store.close()
    floor_ms = latency(wall["floor"])["p50_ms"]
    cases = {}
    for name in ("match", "miss", "worst"):
        summary = latency(wall[name])
        cpu_summary = latency(cpu[name])
        cases[name] = {
            **summary,
            "cpu_p50_ms": cpu_summary["p50_ms"],
            "cpu_p99_ms": cpu_summary["p99_ms"],
            "p50_over_floor": ratio(summary["p50_ms"], floor_ms),
        }
    return {
        "password_check": {
            "windows": len(windows),
            "candidates": len(passwords) + len(codes),
            **cases,
            "floor_ms": floor_ms,
            "floor_cpu_ms": latency(cpu["floor"])["p50_ms"],
            "floor": "HMAC-SHA256 of every window for each of the two hash purposes "
            "(no lookups, no database)",
            # Wall-time tails are the machine's load (other processes preempt this
            # one); CPU time is this check's own work.
            "worst_cpu_p99_over_floor": ratio(
                float(cases["worst"]["cpu_p99_ms"]), floor_ms
            ),
        }
    }


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
                return [
                    (await credential_sample(hass, lock, watch, 300)).seconds
                    for _ in range(scale.samples_per_lock)
                ]

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


BENCHMARKS = {
    "password_check": bench_password_check,
    "credential_to_ha": bench_credential_and_command,
    "event_storm": bench_event_storm,
    "edge_footprint": bench_edge_footprint,
    "many_locks": bench_many_locks,
    "many_locks_large": bench_many_locks_large,
}
