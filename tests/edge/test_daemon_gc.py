"""A running lock's garbage collector: start-up's objects are out of its sight.

``ezlock-edge run`` freezes what starting made (modules, the core, the API's routes),
so that a collection of the old generation in the middle of an unlock scans only what
the running lock made since (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import gc
import os
from pathlib import Path
import signal

from ezlock_edge.cli import _config, build_parser, run_daemon
from tests.support.waiting import eventually


async def test_a_running_lock_freezes_what_starting_made(tmp_path: Path) -> None:
    """Issue #18: frozen once started; SIGTERM still stops the daemon cleanly."""
    args = build_parser().parse_args(
        [
            "run",
            "--simulate",
            "--data-dir",
            str(tmp_path / "data"),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--sim-port",
            "0",
            "--no-zeroconf",
        ]
    )
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    daemon = asyncio.create_task(run_daemon(_config(args)))
    try:
        await eventually(lambda: gc.get_freeze_count() > 0, "start-up frozen")
        os.kill(os.getpid(), signal.SIGTERM)  # the daemon's own handler stops it
        async with asyncio.timeout(30):
            await daemon
    finally:
        daemon.cancel()
        gc.unfreeze()  # the test process goes on collecting as before
