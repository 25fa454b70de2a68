"""A running lock loads only what it needs (docs/performance.md, "A lighter driver").

The simulator (only its command-line client, ``ezlock-edge sim``, is part of the
command), the OpenAPI document's builder, zeroconf (when not advertising) and
cryptography (once the TLS identity exists) stay out of the driver's memory.
"""

from __future__ import annotations

import subprocess
import sys

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
