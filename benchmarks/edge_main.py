"""Run one edge driver for a benchmark, on the simulated lock's ptys as its hardware.

Started as a separate process so that its memory and CPU time are its own; the lock
it drives is ``benchmarks.sim_main`` in another process (``--hardware``), so the driver
runs as on a real lock: the simulator is not even imported. Prints one JSON line when
the API serves (its port: with ``--port 0``, the default, the one the OS gave it), then
runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import signal
import sys

from ezlock_edge.app import EdgeApp, EdgeOptions, freeze_start_up_objects
from ezlock_edge.config import HardwarePorts

from . import probes, trace


async def _run(
    data_dir: Path, port: int, ports: HardwarePorts, trace_file: Path | None
) -> None:
    if trace_file is not None:
        trace.install()
        probes.install()
    app = EdgeApp(EdgeOptions(data_dir=data_dir, port=port, hardware=ports))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await app.start()
    freeze_start_up_objects()  # as ``ezlock-edge run`` does
    sys.stdout.write(
        json.dumps({"port": app.port, "fingerprint": app.tls_fingerprint}) + "\n"
    )
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await app.stop()
        if trace_file is not None:
            trace.save(trace_file)


def main() -> None:
    """Parse the arguments and run until SIGTERM."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument(
        "--hardware", type=json.loads, required=True, help="JSON: the four ports"
    )
    parser.add_argument("--trace", type=Path, help="write timestamps here at the end")
    args = parser.parse_args()
    ports = HardwarePorts(**args.hardware)
    asyncio.run(_run(args.data_dir, args.port, ports, args.trace))


if __name__ == "__main__":
    main()
