"""``ezlock-edge sim ACTION [key=value ...]``: drive a running simulator from a shell.

The main CLI adds the subcommand with :func:`add_sim_parser` and runs it with
:func:`run_sim_command`, which talks to the simulator's loopback HTTP surface.
Every value is sent as a string; the action's schema converts it (``rate=0.2``,
``connected=true``, ``keys=1,2,3,confirm``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import aiohttp

from .actions import ACTIONS, READ_ONLY_ACTIONS, READABLE_ACTIONS, SIM_HTTP_PORT

_TIMEOUT = aiohttp.ClientTimeout(total=10)
_ADVANCE_TIMEOUT = aiohttp.ClientTimeout(total=600)  # a week of timers takes a while


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
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            request = session.get(url) if look else session.post(url, json=body)
            async with request as response:
                answer = await response.json(content_type=None)
                status = response.status
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        sys.stderr.write(f"no simulator answering at {url}: {err}\n")
        return 2
    if status != 200:
        error = answer.get("error", answer) if isinstance(answer, dict) else answer
        sys.stderr.write(f"{args.action}: {error}\n")
        return 1
    sys.stdout.write(json.dumps(answer, indent=2) + "\n")
    return 0
