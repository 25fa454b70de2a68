"""``python -m benchmarks [--quick] [--only NAME ...]``: run and print one JSON document."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
import contextlib
import json
import os
from pathlib import Path
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Any

from .cases import BENCHMARKS, FULL, QUICK
from .edge import PYCACHE_VARIABLE
from .stats import load


def _run_one(name: str, quick: bool) -> dict[str, Any]:
    """Run one benchmark in this process (Home Assistant boots once per process)."""
    with (
        tempfile.TemporaryDirectory(prefix=f"ezlock-bench-{name}-") as tmp,
        _bytecode_cache(),
    ):
        started = time.perf_counter()
        try:
            result = asyncio.run(BENCHMARKS[name](Path(tmp), QUICK if quick else FULL))
        except Exception:  # noqa: BLE001 -- reported, then the run fails
            # Home Assistant logs uncaught exceptions through its logger, which the
            # benchmark keeps quiet: say what went wrong here.
            traceback.print_exc()
            raise SystemExit(f"benchmarks: {name} failed") from None
        print(
            f"benchmarks: {name} done in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        return result


@contextlib.contextmanager
def _bytecode_cache() -> Iterator[None]:
    """Give the run's driver processes a bytecode cache (edge.installed_env)."""
    if os.environ.get(PYCACHE_VARIABLE):
        yield  # the whole run's, made by the parent process
        return
    with tempfile.TemporaryDirectory(prefix="ezlock-bench-pycache-") as cache:
        os.environ[PYCACHE_VARIABLE] = cache
        try:
            yield
        finally:
            del os.environ[PYCACHE_VARIABLE]


def _run_each(names: list[str], quick: bool) -> dict[str, Any]:
    """Run every benchmark in a fresh process, so memory figures are its own."""
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            # Load averages before the run: the machine may be shared; CPU-time
            # figures are the steadier ones when it is.
            "load_before": load(),
        },
        "quick": quick,
    }
    failed: list[str] = []
    with _bytecode_cache():
        _run_children(names, quick, results, failed)
    if failed:
        results["failed"] = failed
    return results


def _run_children(
    names: list[str], quick: bool, results: dict[str, Any], failed: list[str]
) -> None:
    for name in names:
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks", "--only", name]
            + (["--quick"] if quick else []),
            check=False,
            stdout=subprocess.PIPE,
            text=True,
        )
        if child.returncode:
            failed.append(name)  # said on stderr; the others still run
            continue
        results.update(json.loads(child.stdout))


def _table(results: dict[str, Any]) -> dict[str, Any]:
    """Return the figures of issue #18's table, from whichever benchmarks ran."""
    table: dict[str, Any] = {}
    if credential := results.get("credential_to_ha"):
        table["credential_to_ha_p50_p99_ms"] = [
            credential["p50_ms"],
            credential["p99_ms"],
        ]
        table["credential_to_ha_p50_p99_floors"] = [
            credential["p50_over_floor"],
            credential["p99_over_floor"],
        ]
        # The same samples from the simulator laying the finger on the reader: what
        # the lock and Home Assistant take, without the benchmark's request for it.
        if "p50_ms" in (sensor := credential.get("presented_at_sensor", {})):
            table["credential_presented_at_sensor_to_ha_p50_p99_ms"] = [
                sensor["p50_ms"],
                sensor["p99_ms"],
            ]
            table["credential_presented_at_sensor_to_ha_p50_p99_floors"] = [
                sensor["p50_over_floor"],
                sensor["p99_over_floor"],
            ]
        table["fsyncs_per_credential_p50"] = credential["breakdown"][
            "fsyncs_per_unlock_p50"
        ]
        if parts := credential.get("floor_parts"):
            # The floor's echo is aiohttp.web's; the driver's own server beside it.
            table["floor_websocket_echo_aiohttp_driver_ms"] = [
                parts["websocket_echo_aiohttp_web_ms"],
                parts["websocket_echo_driver_server_ms"],
            ]
    if skeleton := results.get("path_floor"):
        # The credential path's processes and hops alone: what the lock's logic
        # cannot have of the target.
        table["path_floor_p50_p99_ms"] = [skeleton["p50_ms"], skeleton["p99_ms"]]
        table["path_floor_p50_p99_floors"] = [
            skeleton["p50_over_floor"],
            skeleton["p99_over_floor"],
        ]
    if command := results.get("ha_command"):
        table["lock_unlock_to_unlocked_p99_ms"] = command["p99_ms"]
    if storm := results.get("event_storm"):
        table["event_storm"] = {
            key: storm[key]
            for key in (
                "events",
                "events_per_s",
                "lost",
                "duplicated",
                "edge_cpu_us_per_event",
                "home_assistant_cpu_us_per_event",
            )
        }
    if footprint := results.get("edge_footprint"):
        # Judged on the lock: ezlock-edge run as installed there, after a restart.
        restart = footprint["lock"]["restart"]
        table["edge_idle_rss_mib_startup_ms"] = [
            round(restart["idle_rss_kib"] / 1024, 1),
            restart["startup_to_listening_ms"],
        ]
        table["edge_startup_cpu_ms"] = restart["cpu_to_listening_ms"]
        table["edge_rss_mib_first_start_connected"] = [
            round(footprint["lock"]["first_start"]["idle_rss_kib"] / 1024, 1),
            round(restart["connected_idle_rss_kib"] / 1024, 1),
        ]
        table["edge_idle_rss_startup_floors"] = [
            footprint["restart_over_floor"]["idle_rss"],
            footprint["restart_over_floor"]["startup_wall"],
        ]
        embedded = footprint["home_assistant_venv"]["restart"]
        table["edge_idle_rss_mib_home_assistant_venv"] = round(
            embedded["idle_rss_kib"] / 1024, 1
        )
    if check := results.get("password_check"):
        table["worst_anti_peep_p50_ms_floors"] = [
            check["worst"]["p50_ms"],
            check["worst"]["p50_over_floor"],
        ]
        table["worst_anti_peep_cpu_p99_floors"] = check["worst_cpu_p99_over_floor"]
    fleets = {
        key: value
        for key, value in results.items()
        if key.startswith("many_locks") and isinstance(value, dict)
    }
    for fleet in fleets.values():
        table[f"many_locks_{fleet['locks']}"] = {
            key: fleet[key]
            for key in (
                "setup_s",
                "home_assistant_rss_per_lock_kib",
                "home_assistant_cpu_us_per_event",
            )
        } | {"all_active_p99_ms": fleet["credential_to_ha_all_active"]["p99_ms"]}
    return table


def main() -> None:
    """Parse the arguments, run the benchmarks, print JSON on stdout."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: a smoke test, not a measure"
    )
    parser.add_argument(
        "--only", nargs="+", choices=sorted(BENCHMARKS), help="run just these"
    )
    args = parser.parse_args()
    names = args.only or list(BENCHMARKS)
    if len(names) == 1:
        results = _run_one(names[0], args.quick)
    else:
        results = _run_each(names, args.quick)
    results["load_after"] = load()
    results["table"] = _table(results)
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")
    if results.get("failed"):
        raise SystemExit(f"benchmarks failed: {', '.join(results['failed'])}")


main()
