"""The edge driver's layering as it runs, beside the import contracts of pyproject.toml.

`lint-imports` (scripts/test) checks which module may import which, lazy imports
included; what it cannot see is *when* a lazy import runs. A lock on real hardware
must never load the simulator (docs/architecture.md, docs/security.md: fail closed).
"""

from __future__ import annotations

import subprocess
import sys

# The simulator's command-line vocabulary: action names and the control port, for
# `ezlock-edge sim --help`; nothing here can open a pty or answer as a lock.
_SIM_VOCABULARY = {"ezlock_edge.sim", "ezlock_edge.sim.actions", "ezlock_edge.sim.cli"}


def _loaded_after(imports: str) -> set[str]:
    code = (
        f"import sys\n{imports}\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('ezlock_edge')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())


def test_the_daemon_does_not_load_the_simulator_until_asked() -> None:
    loaded = _loaded_after("import ezlock_edge.cli, ezlock_edge.app")
    assert "ezlock_edge.app" in loaded
    assert {m for m in loaded if m.startswith("ezlock_edge.sim")} <= _SIM_VOCABULARY
