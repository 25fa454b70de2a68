"""Run one edge driver on the simulated lock for a benchmark (motor travel 0).

Started as a separate process so that its memory is its own. Prints one JSON line when
the API serves, then runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import signal
import sys

from ezlock_edge.app import EdgeApp, EdgeOptions


async def _run(data_dir: Path, port: int, sim_port: int) -> None:
    app = EdgeApp(
        EdgeOptions(
            data_dir=data_dir,
            port=port,
            simulate=True,
            sim_http_port=sim_port,
            motor_travel=0.0,
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await app.start()
    sys.stdout.write(
        json.dumps({"port": app.port, "fingerprint": app.tls_fingerprint}) + "\n"
    )
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await app.stop()


def main() -> None:
    """Parse the arguments and run until SIGTERM."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sim-port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(_run(args.data_dir, args.port, args.sim_port))


if __name__ == "__main__":
    main()
