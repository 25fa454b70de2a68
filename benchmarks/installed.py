"""The edge driver as a lock runs it: ``ezlock-edge run`` from its own installed venv.

On a lock, ``pip install ./edge`` makes a virtual environment holding the edge package
and its own dependencies only (none of Home Assistant's: aiohttp finds no ``aiodns``,
``pycares`` or ``orjson`` there, and imports none), with every module compiled to
bytecode at install. The daemon is the ``ezlock-edge`` command with the defaults of a
lock, started as ``edge/systemd/ezlock-edge.service`` starts it (``run --config FILE
--log-format json``, the data directory in ``EZLOCK_DATA_DIR``; zeroconf advertising on
by default), on hardware ports: the simulated lock's ptys, served by
``benchmarks.sim_main`` in another process. Nothing of the benchmark's own venv (Home
Assistant's) is on its path.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
from pathlib import Path
import shutil
import subprocess
import sys
import time
from typing import Any

from .stats import cpu_seconds

EDGE = Path(__file__).resolve().parent.parent / "edge"


def lock_venv(root: Path) -> Path:
    """Install the edge package as on a lock into ``root/lock-venv``; return the venv.

    uv (what ``scripts/setup`` uses) with ``--compile-bytecode``, as pip compiles at
    install; a regular (not editable) install of the package as built.
    """
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv is needed to install the edge package as on a lock")
    venv = root / "lock-venv"
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True
    )
    install = [uv, "pip", "install", "--quiet", "--compile-bytecode"]
    subprocess.run([*install, "--python", str(python), str(EDGE)], check=True)
    return venv


@dataclass
class InstalledDaemon:
    """One ``ezlock-edge run`` from ``venv``, on the simulated lock's ``ports``."""

    venv: Path
    data_dir: Path
    ports: dict[str, str]
    zeroconf: bool = True  # the daemon's default
    process: asyncio.subprocess.Process | None = None
    port: int = 0  # the API's, once listening
    listening_s: float = 0.0  # from the spawn until the API accepts connections
    ready_s: float = 0.0  # ... until "Edge driver running" (after zeroconf's announce)
    listening_cpu_s: float = 0.0  # the daemon's CPU time when the API listened
    log: list[dict[str, Any]] = field(default_factory=list)
    _reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Spawn the daemon; return once it logged that it runs."""
        # /etc/ezlock/edge.toml of docs/raspberry-pi.md, on loopback and a free port.
        config = self.data_dir.parent / f"{self.data_dir.name}.toml"
        lines = [f'{link} = "{path}"' for link, path in self.ports.items()]
        lines += [
            'host = "127.0.0.1"',
            "port = 0",
            f"zeroconf = {str(self.zeroconf).lower()}",
        ]
        config.write_text("\n".join(lines) + "\n")
        started = time.perf_counter()
        self.process = await asyncio.create_subprocess_exec(
            self.venv / "bin" / "ezlock-edge",
            "run",
            f"--config={config}",
            "--log-format=json",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env={
                "PATH": "/usr/bin:/bin",
                "HOME": str(self.data_dir.parent),
                "EZLOCK_DATA_DIR": str(self.data_dir),
            },
        )
        listening = asyncio.get_running_loop().create_future()
        ready = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read_log(started, listening, ready))
        self.listening_s, self.port = await asyncio.wait_for(listening, 60)
        self.ready_s = await asyncio.wait_for(ready, 60)

    async def _read_log(
        self,
        started: float,
        listening: asyncio.Future[tuple[float, int]],
        ready: asyncio.Future[float],
    ) -> None:
        assert self.process is not None and self.process.stderr is not None
        async for line in self.process.stderr:
            now = time.perf_counter() - started
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {"message": line.decode(errors="replace")}
            self.log.append(entry)
            if entry.get("message") == "API listening" and not listening.done():
                self.listening_cpu_s = cpu_seconds(self.pid)
                listening.set_result((now, int(entry["port"])))
            if entry.get("message") == "Edge driver running" and not ready.done():
                ready.set_result(now)
        for waiting in (listening, ready):
            if not waiting.done():
                waiting.set_exception(
                    RuntimeError(f"ezlock-edge run ended: {self.log[-5:]}")
                )

    @property
    def pid(self) -> int:
        """The daemon's process id."""
        assert self.process is not None
        return self.process.pid

    async def stop(self) -> None:
        """SIGTERM the daemon and wait for it."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()
        if self._reader is not None:
            await self._reader
