"""``ezlock-edge simulator``: the simulated lock hardware alone, for any software to talk to.

No driver runs: the four UARTs (ptys, optionally also TCP) wait for whatever host the
user brings (the edge driver started with ``--mcu PATH ...``, a fingerprint library, a
test rig, a logic analyser script), while people and events are driven through
``/sim/v1`` (loopback only) or the front panel page. Once everything is up one JSON line
on stdout says where: ``{"ports": {...}, "control": "http://127.0.0.1:N/sim/v1"}`` (and
``"tcp": {...}`` with ``--tcp``). SIGTERM or SIGINT stops it cleanly (exit status 0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
from pathlib import Path
import signal
import sys
from typing import Any

from ezlock_edge import logs
from ezlock_edge.files import private_dir
from ezlock_edge.vocabulary.modules import BIOMETRIC_BAUDRATE, FINGERPRINT_BAUDRATE

from .actions import LINKS
from .http import is_loopback, start_http
from .lock import SimulatedLock
from .tcp import TcpBridge

_LOGGER = logging.getLogger(__name__)

MCU_BAUDRATE = 115200
BAUDRATES = {
    "mcu": MCU_BAUDRATE,
    "fingerprint": FINGERPRINT_BAUDRATE,
    "face": BIOMETRIC_BAUDRATE,
    "palm": BIOMETRIC_BAUDRATE,
}


async def run_simulator(args: argparse.Namespace) -> int:
    """Run until SIGTERM or SIGINT; return the exit status."""
    logs.setup(args.log_level, args.log_format)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with contextlib.AsyncExitStack() as stack:
            announcement = await _start(args, stack)
            sys.stdout.write(json.dumps(announcement) + "\n")
            sys.stdout.flush()
            await stop.wait()
            _LOGGER.info("Stopping on signal")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return 0


async def _start(
    args: argparse.Namespace, stack: contextlib.AsyncExitStack
) -> dict[str, Any]:
    state_dir: Path | None = args.state_dir
    if state_dir is not None:
        private_dir(state_dir)
    lock = SimulatedLock(seed=args.seed, state_dir=state_dir)
    await lock.start()
    stack.push_async_callback(lock.stop)
    server = await start_http(lock, port=args.sim_port)
    stack.push_async_callback(server.close)
    control_port = server.port
    announcement: dict[str, Any] = {
        "ports": {link: str(path) for link, path in lock.ports.items()},
        "control": f"http://127.0.0.1:{control_port}/sim/v1",
    }
    if args.tcp:
        if not is_loopback(args.tcp_host):
            _LOGGER.warning(
                "The simulated UARTs listen on %s: anyone who reaches it can talk to "
                "them, unauthenticated",
                args.tcp_host,
            )
        tcp: dict[str, str] = {}
        for offset, link in enumerate(LINKS):
            bridge = TcpBridge(link, lock.ports[link], BAUDRATES[link])
            port = args.tcp_port + offset if args.tcp_port else 0
            bound = await bridge.start(args.tcp_host, port)
            stack.push_async_callback(bridge.stop)
            host = f"[{args.tcp_host}]" if ":" in args.tcp_host else args.tcp_host
            tcp[link] = f"socket://{host}:{bound}"
        announcement["tcp"] = tcp
    return announcement
