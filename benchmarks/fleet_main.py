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
from contextvars import ContextVar
import json
import logging
from pathlib import Path
import signal
import sys

from ezlock_edge.app import SIM_DIR, EdgeApp, EdgeOptions
from ezlock_edge.files import private_dir
from ezlock_edge.logs import KeyValueFormatter
from ezlock_edge.sim.lock import SimulatedLock

# Which lock a log line is about: set while a lock starts, so every task, timer and
# connection of that lock (created in that context) carries its number.
_LOCK: ContextVar[int | None] = ContextVar("fleet_lock", default=None)


class _LockFilter(logging.Filter):
    """Add ``lock`` (the lock's number in the fleet) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.lock = _LOCK.get()
        return True


def _log_to_stderr() -> None:
    """Warnings of every lock on stderr (the fleet's log), with the lock's number."""
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(_LockFilter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    # What ends a finger press without an event: a module's late or unmatched
    # answer (the links' debug lines), no finger found when the capture ran, or a
    # connection the API closed (its deadline, a failed handshake).
    for name in (
        "ezlock_edge.protocol",
        "ezlock_edge.core.identification",
        "ezlock_edge.api.listener",
    ):
        logging.getLogger(name).setLevel(logging.DEBUG)


FINGER_PATIENCE = 120.0
"""Seconds a person in the fleet keeps a finger on the reader until the lock reads it.

The simulator's person lifts the finger after ``FINGER_DWELL`` (1.5 s), as at a lock
that has a board of its own. A fleet process runs 50 locks and their drivers on a share
of two cores: with all of them active on a loaded machine a capture can start more than
1.5 s after the touch, which found no finger, and the press ended without an attempt
(docs/performance.md, "Many locks"). The benchmark's person waits for the lock instead.
"""


async def _run(root: Path, count: int, first: int) -> None:
    numbers = range(first, first + count)
    for index in numbers:
        private_dir(root / f"lock{index}" / SIM_DIR)
    sims = [
        SimulatedLock(
            motor_travel=0.0,
            state_dir=root / f"lock{index}" / SIM_DIR,
            finger_dwell=FINGER_PATIENCE,
        )
        for index in numbers
    ]
    apps = [
        EdgeApp(
            EdgeOptions(
                data_dir=root / f"lock{index}",
                sim=sim,
                sim_http_port=0,
                motor_travel=0.0,
            )
        )
        for index, sim in zip(numbers, sims, strict=True)
    ]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    gate = asyncio.Semaphore(8)

    async def start(index: int, sim: SimulatedLock, app: EdgeApp) -> None:
        _LOCK.set(index)
        async with gate:
            await sim.start()
            await app.start()

    try:
        await asyncio.gather(*map(start, numbers, sims, apps, strict=True))
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
        await asyncio.gather(*(sim.stop() for sim in sims), return_exceptions=True)


def main() -> None:
    """Parse the arguments and run until SIGTERM."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--first", type=int, default=0, help="number of the first lock")
    args = parser.parse_args()
    _log_to_stderr()
    asyncio.run(_run(args.root, args.count, args.first))


if __name__ == "__main__":
    main()
