"""``edge_footprint``: the driver alone, its first start and restart, and what its imports cost."""

from __future__ import annotations

import asyncio
from pathlib import Path
import subprocess
import sys
from typing import Any

import aiohttp

from benchmarks.edge import EdgeProcess, installed_env
from benchmarks.stats import cpu_seconds

from .scale import Scale

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
