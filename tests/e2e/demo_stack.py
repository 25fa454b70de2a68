"""Run ``scripts/demo.py`` as a person would, on free ports in a temporary directory."""

from __future__ import annotations

import json
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """Return a loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Demo:
    """The one-command demo in a child process; ``info`` is its ``demo.json``."""

    def __init__(self, base: Path, log: Path) -> None:
        """Start the demo in ``base``, its output going to ``log``."""
        self.base = base
        self.log = log
        self.info: dict[str, Any] = {}
        with log.open("wb") as output:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "scripts" / "demo.py"),
                    "--base-dir",
                    str(base),
                    "--ha-port",
                    str(free_port()),
                    "--edge-port",
                    str(free_port()),
                    "--sim-port",
                    str(free_port()),
                ],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, within: float) -> dict[str, Any]:
        """Wait for the demo to say it is ready; raise with its output if it dies."""
        ready = self.base / "demo.json"
        deadline = time.monotonic() + within
        while not ready.exists():
            if self._process.poll() is not None:
                raise RuntimeError(f"the demo exited early:\n{self.output()}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the demo was not ready in {within} s:\n{self.output()}"
                )
            time.sleep(0.25)
        self.info = json.loads(ready.read_text())
        return self.info

    def interrupt(self, within: float = 60) -> int:
        """Press Ctrl-C (SIGINT) and return the demo's exit status."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(within)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
                raise
        return self._process.returncode

    def output(self) -> str:
        """Return the end of the demo's own output (its programs log beside it)."""
        return self.log.read_text(errors="replace")[-5000:]
