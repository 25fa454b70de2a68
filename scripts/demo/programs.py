"""The two programs the demo runs, the edge driver and Home Assistant, and their ports.

A port of 0 means any free one, chosen without a race against parallel runs: the edge
driver binds port 0 itself and logs the ports it got, which :func:`edge_ports` reads.
Home Assistant cannot (its ``server_port`` is 1-65535), so :func:`held_port` binds a
free port and keeps it bound, not listening, while the demo runs: the OS gives it to
no one else asking for a free port, and Home Assistant, whose server sets SO_REUSEADDR,
can still bind it.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import json
from pathlib import Path
import re
import socket
import sys

from .processes import Child
from .waiting import wait_until

BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"

_API_LISTENING = re.compile(r"API listening \[.*\bport=(\d+)")
_SIM_LISTENING = re.compile(r"simulator control surface on http://[^:]+:(\d+)/sim/v1")


async def start_edge(base: Path, port: int, sim_port: int, sim_clock: str) -> Child:
    """Start the edge driver on simulated hardware, on loopback, not advertised."""
    return await Child.start(
        "edge driver",
        [
            str(BIN / "ezlock-edge"),
            "run",
            "--simulate",
            "--host",
            LOOPBACK,
            "--no-zeroconf",
            "--data-dir",
            str(base / "edge"),
            "--port",
            str(port),
            "--sim-port",
            str(sim_port),
            "--sim-clock",
            sim_clock,
        ],
        base / "edge.log",
    )


async def start_home_assistant(base: Path, port: int) -> Child:
    """Start Home Assistant on the demo's config (its YAML reads EZLOCK_HA_PORT)."""
    return await Child.start(
        "Home Assistant",
        [str(BIN / "hass"), "--config", str(base / "ha"), "--skip-pip"],
        base / "home-assistant.log",
        {"EZLOCK_HA_PORT": str(port)},
    )


async def edge_ports(edge: Child, within: float) -> tuple[int, int]:
    """Return the ports the edge driver listens on (API, simulator), from its log."""
    found: dict[str, int] = {}

    async def both_logged() -> bool:
        for line in edge.log.read_text(errors="replace").splitlines():
            found.update(_ports_in(line))
        return found.keys() == {"api", "sim"}

    await wait_until(both_logged, "the edge driver to listen", within)
    return found["api"], found["sim"]


def _ports_in(line: str) -> dict[str, int]:
    """Read a port from one log line, in the text or the JSON format (EZLOCK_LOG_FORMAT)."""
    message = line
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except ValueError:  # a line cut short
            return {}
        message = str(record.get("message"))
        if message == "API listening":
            return {"api": int(record["port"])}
    elif api := _API_LISTENING.search(line):
        return {"api": int(api[1])}
    if sim := _SIM_LISTENING.search(message):
        return {"sim": int(sim[1])}
    return {}


@contextlib.contextmanager
def held_port(port: int) -> Iterator[int]:
    """Return ``port``, or for 0 a free loopback port kept bound until the end."""
    if port:
        yield port
        return
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, 0))
        held: int = sock.getsockname()[1]
        yield held
