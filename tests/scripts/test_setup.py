"""``scripts/setup`` changes a machine's packages only with consent (issue #12).

The script runs for real, in a copy of the repository, on a PATH where the system's
tools it would change things with (``apt-get``, ``sudo``, ``tee`` into /etc/apt, ``uv``)
are stand-ins that record their calls: no Python >= 3.14.2 exists, uv cannot download
one, and apt answers a simulation with what sid's python3.14 would upgrade.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import pty
import shutil
import subprocess

import pytest

from tests.support.waiting import WAIT

ROOT = Path(__file__).resolve().parents[2]
TOOLS = (
    "bash", "cat", "cp", "cut", "dirname", "env", "grep", "id", "ln", "mkdir",
    "mktemp", "rm", "sed",
)  # fmt: skip
SIMULATED = (
    "Inst libc6 [2.36-9+deb12u13] (2.43-1 Debian:unstable [amd64])\n"
    "Inst openssl [3.0.17-1~deb12u3] (3.6.0-2 Debian:unstable [amd64])\n"
    "Inst python3.14 (3.14.2-1 Debian:unstable [amd64])\n"
    "2 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\n"
)

pytestmark = pytest.mark.skipif(
    not Path("/etc/debian_version").exists() or shutil.which("bash") is None,
    reason="the sid path exists only on Debian",
)


@dataclass
class Machine:
    """A copy of scripts/setup and stand-ins for the tools it changes a system with."""

    repo: Path
    bin: Path
    calls: Path

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Run ``scripts/setup args`` with no terminal; return what it did."""
        return subprocess.run(
            [str(self.repo / "scripts" / "setup"), *args],
            env=self.env(**env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )

    def env(self, **extra: str) -> dict[str, str]:
        """Return a minimal environment whose PATH holds only the stand-ins."""
        return {"PATH": str(self.bin), "HOME": str(self.repo), **extra}

    def recorded(self) -> list[str]:
        """Return the stand-ins' calls, one line each."""
        return self.calls.read_text().splitlines() if self.calls.exists() else []

    def installs(self) -> list[str]:
        """Return the calls that would have changed the system."""
        return [
            call
            for call in self.recorded()
            if call.startswith("tee ")
            or (
                call.startswith("apt-get ")
                and " install " in call
                and " -s " not in call
            )
        ]


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    repo, bin_dir, calls = tmp_path / "repo", tmp_path / "bin", tmp_path / "calls"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "setup", repo / "scripts" / "setup")
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)

    def stand_in(name: str, body: str) -> None:
        path = bin_dir / name
        path.write_text(
            f'#!{shutil.which("bash")}\necho "{name} $*" >> {calls}\n{body}\n'
        )
        path.chmod(0o755)

    stand_in("sudo", 'exec "$@"')
    stand_in("tee", "cat > /dev/null")  # only ever writes into /etc/apt
    stand_in("uv", '[ "$1" = "--version" ] && echo "uv 0.0.0"; [ "$1" = sync ]')
    stand_in(
        "apt-get",
        'for arg in "$@"; do [ "$arg" = -s ] && printf %s "$SIMULATED"; done; true',
    )
    (bin_dir / "apt-get").write_text(
        (bin_dir / "apt-get").read_text().replace("$SIMULATED", SIMULATED)
    )
    return Machine(repo, bin_dir, calls)


def test_a_workstation_is_shown_the_changes_and_left_alone(machine: Machine) -> None:
    """No terminal, no CI, no flag: apt's simulation, the alternatives, no change."""
    done = machine.run()
    assert done.returncode == 1
    assert "Inst libc6 [2.36-9+deb12u13] (2.43-1 Debian:unstable" in done.stderr
    for alternative in ("uv python install", "docker run", "--allow-sid"):
        assert alternative in done.stderr
    assert machine.installs() == []
    simulated = [call for call in machine.recorded() if " -s " in call]
    assert len(simulated) == 1
    assert "-t sid" in simulated[0]
    assert "Dir::State::Lists=" in simulated[0]  # a private apt state, not the system's


@pytest.mark.parametrize(
    ("args", "env"), [(("--allow-sid",), {}), ((), {"CI": "true"})]
)
def test_ci_or_the_flag_installs_from_sid(
    machine: Machine, args: tuple[str, ...], env: dict[str, str]
) -> None:
    done = machine.run(*args, **env)
    installs = machine.installs()
    assert [call.split()[1] for call in installs[:2]] == [
        "/etc/apt/sources.list.d/ezlock-sid.sources",
        "/etc/apt/preferences.d/ezlock-sid.pref",
    ]
    assert "-t sid" in installs[2]
    assert "python3.14" in installs[2]
    # The stand-in installed nothing, so the script says so rather than going on.
    assert done.returncode == 1
    assert "did not install" in done.stderr


@pytest.mark.parametrize(("answer", "installed"), [("y", True), ("n", False)])
def test_a_terminal_is_asked(machine: Machine, answer: str, installed: bool) -> None:
    """On a terminal the script shows the changes, asks, and does what it was told."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(machine.repo / "scripts" / "setup")],
        env=machine.env(),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    shown = b""
    while b"[y/N]" not in shown:
        chunk = os.read(controller, 4096)
        assert chunk, shown
        shown += chunk
    assert b"Inst libc6" in shown
    os.write(controller, f"{answer}\n".encode())
    _drain(controller)
    assert process.wait(WAIT) == 1
    assert bool(machine.installs()) is installed


def _drain(controller: int) -> None:
    """Read the terminal until the script's side of it closes (it exited)."""
    try:
        while os.read(controller, 4096):
            pass
    except OSError:  # EIO: no process holds the terminal any more
        pass
    finally:
        os.close(controller)
