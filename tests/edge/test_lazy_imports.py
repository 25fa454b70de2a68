"""A running lock loads only what it needs (docs/performance.md, "A lighter driver").

The simulator (only its command-line client, ``ezlock-edge sim``, is part of the
command), the OpenAPI document's builder, zeroconf (when not advertising) and
cryptography (the daemon makes its TLS identity in a child process) stay out of the
driver's memory; so do the HTTP client that only ``ezlock-edge info`` and
``ezlock-edge sim`` use (the standard library's), and tzlocal, which only a lock
without a configured ``time_zone`` asks for the board's own. aiohttp is not even a
dependency of the lock: its API is h11 and wsproto (``ezlock_edge.http``).
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

from ezlock_edge.app import EdgeOptions
from ezlock_edge.config import Config

_PROBE = """
import sys
import ezlock_edge.app, ezlock_edge.cli
print(" ".join(sorted(sys.modules)))
"""
SIM_CLIENT = {"ezlock_edge.sim", "ezlock_edge.sim.cli", "ezlock_edge.sim.actions"}
LAZY = (
    "ezlock_edge.sim",
    "ezlock_edge.api.openapi",
    "zeroconf",
    "cryptography",
    "PIL",
    "tzlocal",
    "aiohttp",
)


def test_the_driver_imports_none_of_the_heavy_optional_parts() -> None:
    """Importing the daemon loads none of LAZY (each is imported where it is used)."""
    loaded = subprocess.run(
        [sys.executable, "-c", _PROBE], check=True, capture_output=True, text=True
    ).stdout.split()
    heavy = [
        module
        for module in set(loaded) - SIM_CLIENT
        if any(module == p or module.startswith(p + ".") for p in LAZY)
    ]
    assert heavy == []


_COMMAND = """
import sys
from ezlock_edge.cli import build_parser
build_parser().parse_args(["run", "--simulate"])
print(" ".join(sorted(sys.modules)))
"""


def test_the_command_parses_run_without_an_http_client() -> None:
    """``ezlock-edge`` itself (parser, sim subcommands) imports no HTTP client.

    ``info`` and ``sim`` import one (``ezlock_edge.http.client``, the standard
    library's ``http.client``) when they ask a driver or a simulator something.
    """
    loaded = subprocess.run(
        [sys.executable, "-c", _COMMAND], check=True, capture_output=True, text=True
    ).stdout.split()
    clients = {"aiohttp", "http.client", "ezlock_edge.http.client"}
    assert [m for m in loaded if m in clients or m.startswith("aiohttp.")] == []


_FIRST_START = """
import sys
from pathlib import Path
from ezlock_edge.api.tls import load_or_create
load_or_create(Path(sys.argv[1]), "ezlock-TEST", separate_process=True)
print(" ".join(sorted(sys.modules)))
"""


def test_the_first_start_makes_its_tls_identity_without_loading_cryptography(
    tmp_path: Path,
) -> None:
    """The daemon's first start leaves cryptography's 13 MiB in a child that ended."""
    loaded = subprocess.run(
        [sys.executable, "-c", _FIRST_START, str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert (tmp_path / "cert.pem").exists()
    assert [module for module in loaded if module.startswith("cryptography")] == []


def test_the_daemon_makes_its_tls_identity_in_a_child_process(tmp_path: Path) -> None:
    """``ezlock-edge run`` (EdgeOptions.from_config) asks for the child process."""
    assert EdgeOptions.from_config(Config(data_dir=tmp_path)).separate_tls_process
