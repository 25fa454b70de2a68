"""Run ``scripts/demo.py`` as a person would, on free ports in a temporary directory."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import signal
import subprocess
import sys
from typing import Any

from tests.support.network import free_port
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


class Demo:
    """The one-command demo in a child process; ``info`` is its ``demo.json``."""

    def __init__(self, base: Path, log: Path, *options: str) -> None:
        """Start the demo in ``base``, its output going to ``log``, with ``options``."""
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
                    *options,
                ],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, within: float) -> dict[str, Any]:
        """Wait for the demo to say it is ready; raise with its output if it dies."""
        ready = self.base / "demo.json"

        def ready_or_exited() -> bool:
            return ready.exists() or self._process.poll() is not None

        try:
            asyncio.run(
                eventually(ready_or_exited, "the demo", within=within, every=0.25)
            )
        except AssertionError:
            raise TimeoutError(
                f"the demo was not ready in {within} s:\n{self.output()}"
            ) from None
        if not ready.exists():
            raise RuntimeError(f"the demo exited early:\n{self.output()}")
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
