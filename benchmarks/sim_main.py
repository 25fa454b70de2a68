"""Run the simulated lock on its own, as the hardware of a benchmark's edge driver.

The driver then runs exactly as on a real lock (``--mcu`` and the other ports point
at the simulator's ptys), in a process of its own: its memory, start-up and CPU time
are the driver's alone, not the simulator's (the firmware, the modules' models, the
camera's pictures). ``--trace FILE``: note when a finger is laid on the reader
(``benchmarks/trace.py``), written to FILE at the end. Prints one JSON line with the ptys and the ``/sim/v1`` port once the
lock is up (port 0, the default: the port the OS gave it), then runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
from pathlib import Path
import signal
import sys

from ezlock_edge.sim.http import start_http
from ezlock_edge.sim.lock import SimulatedLock

from . import probes, trace


async def _run(state_dir: Path, sim_port: int, trace_file: Path | None) -> None:
    if trace_file is not None:
        trace.install_simulator()
        probes.install()
    sim = SimulatedLock(motor_travel=0.0, state_dir=state_dir)
    await sim.start()
    server = await start_http(sim, port=sim_port)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    ports = {link: str(path) for link, path in sim.ports.items()}
    # The simulator stands for the MCU and the modules, which collect no garbage: its
    # start-up objects (the firmware's and modules' models, the control surface) are
    # taken out of the collector's sight, as the driver's are. Unfrozen, a collection
    # of its older generation took 2.5-5 ms about once in 250 samples, always in the
    # slowest 1 % (0.4-0.7 ms frozen).
    gc.collect()
    gc.freeze()
    bound = server.port
    sys.stdout.write(json.dumps({"ports": ports, "sim_port": bound}) + "\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await server.close()
        await sim.stop()
        if trace_file is not None:
            trace.save(trace_file)


def main() -> None:
    """Parse the arguments and run until SIGTERM."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--sim-port", type=int, default=0, help="0: any free port")
    parser.add_argument("--trace", type=Path, help="write timestamps here at the end")
    args = parser.parse_args()
    asyncio.run(_run(args.state_dir, args.sim_port, args.trace))


if __name__ == "__main__":
    main()
