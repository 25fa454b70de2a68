"""Benchmark-only fleet mode: many simulated locks, each with its own driver, in one process.

Each lock is a whole ``EdgeApp`` on a simulated lock of its own: its own ptys, serial
and verification code, database, TLS identity, API port and ``/sim/v1`` port. All of
them share this one process, so that a benchmark of one Home Assistant with 50 or 200
locks measures Home Assistant's side alone instead of 200 driver processes fighting for
two cores. A large fleet is spread over a few such processes (``--first``), so that
one process's event loop is not the queue every lock waits in. Prints one JSON line
per lock once all serve, then ``{"ready": n}``, and runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import signal
import sys

from ezlock_edge.app import EdgeApp, EdgeOptions


async def _run(root: Path, count: int, first: int) -> None:
    apps = [
        EdgeApp(
            EdgeOptions(
                data_dir=root / f"lock{index}",
                simulate=True,
                sim_http_port=0,
                motor_travel=0.0,
            )
        )
        for index in range(first, first + count)
    ]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    gate = asyncio.Semaphore(8)

    async def start(app: EdgeApp) -> None:
        async with gate:
            await app.start()

    try:
        await asyncio.gather(*(start(app) for app in apps))
        for app in apps:
            line = {
                "port": app.port,
                "sim_port": app.sim_http_port,
                "fingerprint": app.tls_fingerprint,
            }
            sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.write(json.dumps({"ready": count}) + "\n")
        sys.stdout.flush()
        await stop.wait()
    finally:
        await asyncio.gather(*(app.stop() for app in apps), return_exceptions=True)


def main() -> None:
    """Parse the arguments and run until SIGTERM."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--first", type=int, default=0, help="number of the first lock")
    args = parser.parse_args()
    asyncio.run(_run(args.root, args.count, args.first))


if __name__ == "__main__":
    main()
