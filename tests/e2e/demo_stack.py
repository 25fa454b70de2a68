"""Run the demo (``python -m scripts.demo``) as a person would, in a temporary directory.

Every port is 0: the demo's programs bind free ports themselves (Home Assistant a port
the demo holds for it), so no port is picked here and released before a child binds it,
and runs side by side never collide.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
import json
from pathlib import Path
import signal
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
DEMO_READY_WITHIN = 180
"""Seconds the demo may take to start both programs and set up day one."""


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
                    "-m",
                    "scripts.demo",
                    "--base-dir",
                    str(base),
                    "--ha-port",
                    "0",
                    "--edge-port",
                    "0",
                    "--sim-port",
                    "0",
                    *options,
                ],
                cwd=ROOT,
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

    @property
    def status(self) -> int | None:
        """Return the demo's exit status, None while it runs."""
        return self._process.returncode

    def output(self) -> str:
        """Return the end of the demo's own output (its programs log beside it)."""
        return self.log.read_text(errors="replace")[-5000:]


@contextlib.contextmanager
def running_demo(base: Path, *options: str) -> Iterator[Demo]:
    """Run the demo in ``base`` with ``options``, ready; Ctrl-C it on leaving.

    Its exit status is then :attr:`Demo.status`.
    """
    running = Demo(base / "demo", base / "demo.out", *options)
    try:
        running.wait_ready(DEMO_READY_WITHIN)
        yield running
    finally:
        running.interrupt()


async def sim(demo: dict[str, Any], action: str, body: dict[str, Any]) -> Any:
    """Do ``action`` at the demo's simulated lock (``POST /sim/v1/<action>``)."""
    panel = urlsplit(demo["panel"])
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{panel.scheme}://{panel.netloc}/sim/v1/{action}", json=body
        ) as reply,
    ):
        assert reply.status < 300, await reply.text()
        return await reply.json()
