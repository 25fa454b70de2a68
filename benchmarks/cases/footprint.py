"""``edge_footprint``: the driver alone, as a lock runs it and in Home Assistant's venv.

The figure issue #18 judges is the lock's (``lock``): ``ezlock-edge run`` from a venv
that holds only the edge package and its own dependencies, compiled to bytecode, with
the daemon's defaults (zeroconf advertising on); see ``benchmarks.installed``. The
driver of the other benchmarks (``benchmarks.edge_main``, embedded with ``EdgeApp`` in
this venv, Home Assistant's, without zeroconf) is measured too
(``home_assistant_venv``): it is what the earlier rounds reported.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import subprocess
import time
from typing import Any

import aiohttp

from benchmarks.edge import EdgeProcess
from benchmarks.installed import InstalledDaemon, lock_venv
from benchmarks.memory import breakdown
from benchmarks.stats import cpu_seconds, memory_kib
from ezlock_edge.api.tls import CERT_FILE, TLS_DIR, certificate_fingerprint

from .scale import Scale

IDLE_S = 1.0  # how long the driver idles before its memory is read

# What the driver imports: each in a fresh interpreter of the lock's venv that has
# imported asyncio already (the driver's base), so a figure is that import's own cost
# plus what it pulls in and nobody else loaded yet.
IMPORTS = (
    "h11",
    "wsproto.connection",
    "ezlock_edge.http.server",
    "serialx",
    "voluptuous",
    "tzlocal",
    "sqlite3",
    "ifaddr",
    "zeroconf.asyncio",
    "cryptography.x509",
    "ezlock_edge.api.openapi",
    "ezlock_edge.sim.lock",
    "ezlock_edge.app",
)
# The same imports one after the other in one interpreter, in the order the daemon
# makes them: each figure is what it adds to the ones before, so they add up to what
# the daemon's imports cost. The libraries a layer needs go before it, so that an
# ``ezlock_edge`` figure is ezlock's own modules of that layer (and what of the
# standard library only they import): the command (its config, the simulator's
# command-line client), the HTTP server, the drivers (vocabulary to devices), the
# core with its store, then the API and the app.
CHAIN = (
    "typing",
    "argparse",
    "tomllib",
    "zoneinfo",
    "hashlib",  # the TLS pin's and the secrets' hashing: OpenSSL's digests
    "voluptuous",
    "ifaddr",
    "ezlock_edge.cli",
    "serialx",
    "sqlite3",
    "h11",
    "wsproto.connection",
    "ezlock_edge.http.server",
    "ezlock_edge.devices.hardware",
    "ezlock_edge.core.lock",
    "ezlock_edge.app",
    "tzlocal",
    "zeroconf.asyncio",
)
_IMPORT_PROBE = """
import asyncio, json, sys, time
def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS"))
costs = [rss()]
for module in sys.argv[1:]:
    before, started = rss(), time.perf_counter()
    __import__(module)
    costs.append((rss() - before, round((time.perf_counter() - started) * 1000, 1)))
print(json.dumps(costs))
"""


# A lock's full event log (DEFAULT_RETENTION of each class: 200 000 rows), read from
# the start as a client replaying since 0 would, then 2 000 events appended and pruned:
# how far SQLite's page cache grows, with the store's cache_size and SQLite's default.
_PAGE_CACHE_PROBE = """
import json, sqlite3, sys
from datetime import UTC, datetime
from pathlib import Path
from ezlock_edge.core.store import Store
def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS"))
path, cache = Path(sys.argv[1]), sys.argv[2]
if not path.exists():
    Store(path).close()
    db = sqlite3.connect(path)
    data = json.dumps({"user_id": 3, "method": "fingerprint", "credential_id": 12})
    db.executemany(
        "INSERT INTO events (time, ts, type, data, security, class_ord)"
        " VALUES (?, ?, 'access', ?, ?, ?)",
        (("2026-01-01T00:00:00+00:00", 1.7e9 + i, data, i % 2, i // 2 + 1)
         for i in range(200_000)),
    )
    db.commit()
    db.close()
store = Store(path)
if cache == "sqlite_default":
    store._db.execute("PRAGMA cache_size=-2000")
opened, since = rss(), 0
while rows := store.event_rows(since, 100):
    since = rows[-1][0]
for n in range(2000):
    store.insert_event(datetime.now(UTC), "doorbell", {"n": n})
    if n % 100 == 0:
        store.prune_events(100_000)
print(rss() - opened)
"""


def page_cache_growth(python: Path, root: Path) -> dict[str, int]:
    """RSS a full event log's reads and prunes add: the store's cache, SQLite's."""
    growth = {}
    for cache in ("store", "sqlite_default"):
        probe = [str(python), "-c", _PAGE_CACHE_PROBE, str(root / "full-log.db"), cache]
        out = subprocess.run(probe, check=True, capture_output=True, text=True).stdout
        growth[f"{cache}_kib"] = int(out)
    return growth


def _probe(python: Path, modules: tuple[str, ...]) -> list[Any]:
    """Run the import probe for ``modules`` in a fresh interpreter of ``python``."""
    out = subprocess.run(
        [str(python), "-c", _IMPORT_PROBE, *modules],
        check=True,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout
    costs: list[Any] = json.loads(out)
    return costs


_FLOOR_PROBE = """
import asyncio, resource, time
with open("/proc/self/status") as status:
    rss = next(int(l.split()[1]) for l in status if l.startswith("VmRSS"))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(rss, round((usage.ru_utime + usage.ru_stime) * 1000))
"""


def floor(python: Path, runs: int = 5) -> dict[str, float]:
    """Measure the least an asyncio daemon of this venv costs: Python with asyncio.

    Its RSS (asyncio imports ssl, and so libcrypto) and its start-up, spawn to exit,
    best of ``runs``: what the driver's figures are divided by.
    """
    best: dict[str, float] = {}
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run(
            [str(python), "-c", _FLOOR_PROBE],
            check=True,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
        ).stdout.split()
        wall_ms = round((time.perf_counter() - started) * 1000, 1)
        figures = {"rss_kib": int(out[0]), "cpu_ms": int(out[1]), "wall_ms": wall_ms}
        best = {key: min(value, best.get(key, value)) for key, value in figures.items()}
    return best


def import_costs(python: Path) -> dict[str, Any]:
    """RSS and time each import adds: alone (heaviest first) and as a chain."""
    alone = []
    for module in IMPORTS:
        base_kib, (rss_kib, ms) = _probe(python, (module,))
        alone.append({"module": module, "rss_kib": rss_kib, "ms": ms})
    base_kib, *chain = _probe(python, CHAIN)
    return {
        "base_kib": base_kib,  # the interpreter with asyncio (and so ssl)
        "alone": sorted(alone, key=lambda cost: -cost["rss_kib"]),
        "chain": [
            {"module": module, "rss_kib": rss_kib, "ms": ms}
            for module, (rss_kib, ms) in zip(CHAIN, chain, strict=True)
        ],
        # The base and the whole chain: what the daemon's imports alone cost.
        "chain_total_kib": base_kib + sum(rss_kib for rss_kib, _ in chain),
    }


async def _connected_memory(
    daemon: InstalledDaemon, sim: EdgeProcess, session: aiohttp.ClientSession
) -> dict[str, Any]:
    """Pair a client and hold its WebSocket, as Home Assistant does; memory then.

    A lock's driver spends its life so: one paired Home Assistant subscribed to its
    events (TLS session, WebSocket, the event replay and the state it was sent).
    """
    client = EdgeProcess(
        daemon.data_dir, session, port=daemon.port, sim_port=sim.sim_port
    )
    cert = daemon.data_dir / TLS_DIR / CERT_FILE
    client.fingerprint = certificate_fingerprint(cert.read_bytes())
    await client.create_first_admin()
    client.token = await client.pair()
    async with session.ws_connect(
        f"https://127.0.0.1:{daemon.port}/api/v1/ws",
        headers={"Authorization": f"Bearer {client.token}"},
        ssl=aiohttp.Fingerprint(bytes.fromhex(client.fingerprint)),
    ) as socket:
        assert (await socket.receive_json())["type"] == "auth_ok"
        await socket.send_json({"type": "subscribe", "since": 0})
        while (await socket.receive_json())["type"] != "state":
            pass
        await asyncio.sleep(IDLE_S)
        memory: dict[str, Any] = breakdown(daemon.pid)
    return memory


async def _lock_run(
    venv: Path,
    data_dir: Path,
    sim: EdgeProcess,
    session: aiohttp.ClientSession | None = None,
    *,
    zeroconf: bool = True,
) -> Any:
    """Start the installed daemon once, let it idle, read its figures, stop it.

    With ``session``, also the RSS once a client is paired and subscribed.
    """
    daemon = InstalledDaemon(venv, data_dir, sim.ports, zeroconf=zeroconf)
    await daemon.start()
    try:
        cpu = cpu_seconds(daemon.pid)  # zeroconf's announce included
        await asyncio.sleep(IDLE_S)
        memory = breakdown(daemon.pid)
        connected = {}
        if session is not None:
            in_use = await _connected_memory(daemon, sim, session)
            connected = {
                "connected_idle_rss_kib": in_use["rss_kib"],
                "connected_memory": in_use,
            }
        return connected | {
            "startup_to_listening_ms": round(daemon.listening_s * 1000, 1),
            "startup_to_ready_ms": round(daemon.ready_s * 1000, 1),
            "cpu_to_listening_ms": round(daemon.listening_cpu_s * 1000),
            "cpu_to_ready_ms": round(cpu * 1000),
            "idle_rss_kib": memory["rss_kib"],
            "peak_rss_kib": memory_kib(daemon.pid)["peak_rss_kib"],
            "memory": memory,
        }
    finally:
        await daemon.stop()


async def _embedded_run(edge: EdgeProcess) -> dict[str, Any]:
    """Start the benchmarks' own driver (edge_main) once and read its figures."""
    await edge.start_driver()
    figures = {
        "startup_to_ready_ms": round(edge.startup_s * 1000, 1),
        "cpu_ms": round(cpu_seconds(edge.pid) * 1000),
    }
    await asyncio.sleep(IDLE_S)
    figures["idle_rss_kib"] = edge.memory()["rss_kib"]
    await edge.stop_driver()
    return figures


async def bench_edge_footprint(tmp: Path, scale: Scale) -> dict[str, Any]:
    """``edge_footprint``: first start and restart, on the lock and embedded here.

    Both drivers run on real-hardware ports (the simulated lock's ptys, in another
    process), one after the other. The restart is the state a lock lives in: the first
    start also makes the TLS identity, later ones only read it.
    """
    venv = await asyncio.to_thread(lock_venv, tmp)
    async with aiohttp.ClientSession() as session:
        edge = EdgeProcess(tmp / "embedded", session)
        # The embedded driver's bytecode comes from the run's cache (installed_env):
        # a driver started once before writes it.
        await edge.start()
        await edge.stop_driver()
        edge.data_dir = tmp / "embedded-measured"
        try:
            embedded = {
                "first_start": await _embedded_run(edge),
                "restart": await _embedded_run(edge),
            }
            lock = {
                "first_start": await _lock_run(venv, tmp / "lock", edge),
                "restart": await _lock_run(venv, tmp / "lock", edge, session),
            }
            if not scale.quick:
                # What advertising costs: the same restart with zeroconf = false (a
                # lock could announce itself through the board's avahi-daemon).
                without = await _lock_run(venv, tmp / "lock", edge, zeroconf=False)
                lock["restart_without_zeroconf"] = without
        finally:
            await edge.stop()
    python = venv / "bin" / "python"
    lowest = floor(python)
    restart = lock["restart"]
    over_floor = {
        "idle_rss": round(restart["idle_rss_kib"] / lowest["rss_kib"], 1),
        "startup_wall": round(
            restart["startup_to_listening_ms"] / lowest["wall_ms"], 1
        ),
        "startup_cpu": round(
            restart["cpu_to_listening_ms"] / max(lowest["cpu_ms"], 1), 1
        ),
    }
    imports = {} if scale.quick else import_costs(python)
    if imports:
        # What starting and running the lock adds to its imports (TLS context, SQLite,
        # zeroconf's responder, the executor threads, the lock's own state).
        imports["restart_over_chain_kib"] = (
            restart["idle_rss_kib"] - imports["chain_total_kib"]
        )
    cache = {} if scale.quick else page_cache_growth(python, tmp)
    return {
        "edge_footprint": {
            "judged_on": "lock",
            # ezlock-edge run, installed with its own dependencies only, bytecode
            # compiled, zeroconf advertising on (the daemon's defaults).
            "lock": lock,
            # benchmarks.edge_main in Home Assistant's venv, zeroconf off.
            "home_assistant_venv": embedded,
            # The interpreter with asyncio in the lock's venv, and the restart over it.
            "floor": lowest,
            "restart_over_floor": over_floor,
            "imports": imports,
            "full_event_log_page_cache": cache,
        }
    }
