"""``ezlock-edge sim ACTION [key=value ...]``: drive a running simulator from a shell.

The main CLI adds the subcommand with :func:`add_sim_parser` and runs it with
:func:`run_sim_command`, which talks to the simulator's loopback HTTP surface. It also
adds ``ezlock-edge simulator`` (:func:`add_simulator_parser`, run by
``sim.standalone.run_simulator``), kept here so that parsing imports no simulator.
Every value is sent as a string; the action's schema converts it (``rate=0.2``,
``connected=true``, ``keys=1,2,3,confirm``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
from typing import Any

from .actions import ACTIONS, READ_ONLY_ACTIONS, READABLE_ACTIONS, SIM_HTTP_PORT

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_LOG_FORMATS = ("text", "json")

_TIMEOUT = 10.0  # seconds
_ADVANCE_TIMEOUT = 600.0  # a week of timers takes a while


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected key=value, not {text!r}")
    return name, value


def add_sim_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add the ``sim`` subcommand to the main CLI's subparsers and return its parser."""
    epilog = "actions:\n" + "\n".join(
        f"  {action.name:<16}{action.summary}" for action in ACTIONS.values()
    )
    parser = subparsers.add_parser(
        "sim",
        help="act on a running simulated lock (press keys, present a finger, ...)",
        description="Act on the simulated lock of a running `ezlock-edge run`.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sim-port",
        type=int,
        default=SIM_HTTP_PORT,
        help=f"the simulator's loopback HTTP port (default {SIM_HTTP_PORT})",
    )
    parser.add_argument("action", choices=list(ACTIONS), metavar="ACTION")
    parser.add_argument(
        "fields", nargs="*", type=_assignment, metavar="key=value", default=[]
    )
    return parser


async def run_sim_command(args: argparse.Namespace) -> int:
    """Send the parsed ``sim`` command; print the JSON answer. Returns the exit code."""
    url = f"http://127.0.0.1:{args.sim_port}/sim/v1/{args.action}"
    body: dict[str, Any] = dict(args.fields)
    look = args.action in READ_ONLY_ACTIONS or (
        args.action in READABLE_ACTIONS and not body
    )
    timeout = _ADVANCE_TIMEOUT if args.action == "clock" else _TIMEOUT
    # Imported here: the daemon imports this module (its parser) but never sends.
    from ezlock_edge.http.client import request_json  # noqa: PLC0415

    try:
        status, answer = await request_json(
            "GET" if look else "POST", url, None if look else body, within=timeout
        )
    except OSError as err:  # RequestError, refused, timed out
        sys.stderr.write(f"no simulator answering at {url}: {err}\n")
        return 2
    if status != 200:
        error = answer.get("error", answer) if isinstance(answer, dict) else answer
        sys.stderr.write(f"{args.action}: {error}\n")
        return 1
    sys.stdout.write(json.dumps(answer, indent=2) + "\n")
    return 0


def add_simulator_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add the ``simulator`` subcommand to the main CLI and return its parser."""
    parser = subparsers.add_parser(
        "simulator",
        help="run only the simulated lock hardware (no driver), for other software",
        description="Run the simulated lock's MCU and fingerprint, face and palm "
        "modules behind pseudo-terminals, without the edge driver. Prints one JSON "
        "line with the port paths and the control URL once ready; runs until SIGTERM "
        "or SIGINT.",
    )
    parser.add_argument(
        "--sim-port",
        type=int,
        default=SIM_HTTP_PORT,
        metavar="N",
        help=f"control surface /sim/v1 on 127.0.0.1 (default {SIM_HTTP_PORT}; 0: any)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the sticker, event numbering and enrolled templates here across "
        "runs (default: nothing kept)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="make serial, code and scores repeatable"
    )
    parser.add_argument(
        "--tcp",
        action="store_true",
        help="also offer each UART as TCP (socket://), for software on another machine",
    )
    parser.add_argument(
        "--tcp-host",
        default="127.0.0.1",
        metavar="ADDR",
        help="address the TCP ports listen on (default 127.0.0.1; anything else puts "
        "the simulated UARTs, unauthenticated, on that network)",
    )
    parser.add_argument("--log-level", default="INFO", choices=_LOG_LEVELS)
    parser.add_argument("--log-format", default="text", choices=_LOG_FORMATS)
    parser.add_argument(
        "--tcp-port",
        type=int,
        default=0,
        metavar="N",
        help="first TCP port: mcu N, fingerprint N+1, face N+2, palm N+3 (default: any)",
    )
    return parser
