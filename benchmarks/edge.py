"""A benchmark's view of one edge driver process: its API, its simulator, its memory."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import sys
import time
from typing import Any

import aiohttp

from ezlock_edge.sim.remote import RemoteSimulatedLock

from .stats import memory_kib

ADMIN_PASSWORD = "2468013579"  # noqa: S105 -- the simulated lock's benchmark admin
FINGER = "bench-right-index"
FINGERPRINT_CAPTURES = 4


# Where the driver processes keep their bytecode (set by ``python -m benchmarks`` for
# the whole run): a driver installed on a lock has its modules compiled (pip compiles
# them at install), but this machine's shells set PYTHONDONTWRITEBYTECODE and the venv
# holds no bytecode, which would make every start compile every module it imports
# (twice the start-up CPU, and a few MiB of resident memory left by the compiler).
PYCACHE_VARIABLE = "EZLOCK_BENCH_PYCACHE"


def installed_env() -> dict[str, str]:
    """Return the environment of a driver process as on a lock: with its bytecode."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if cache := os.environ.get(PYCACHE_VARIABLE):
        env["PYTHONPYCACHEPREFIX"] = cache
    return env


async def _spawn(module: str, log: Path, *args: str) -> asyncio.subprocess.Process:
    """Start ``python -m module args`` with stderr to ``log``."""
    with log.open("wb") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=installed_env(),
        )


async def _first_line(process: asyncio.subprocess.Process, log: Path) -> Any:
    """Read the JSON line a process prints when it is up (its log if it died)."""
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    if not line:
        tail = log.read_text(errors="replace")[-2000:]  # noqa: ASYNC240 -- it failed
        raise RuntimeError(f"{log.stem} did not start:\n{tail}")
    return json.loads(line)


@dataclass
class EdgeProcess:
    """One ``benchmarks.edge_main`` process and the HTTP session that drives it.

    The ports are those the processes bound and reported (0 until then): each child
    binds port 0 itself, so no port is picked here, released and then taken by
    another of the hundreds of processes and sockets a benchmark opens.
    """

    data_dir: Path
    session: aiohttp.ClientSession
    port: int = 0  # the API's; a restarted driver binds it again (the lock's address)
    sim_port: int = 0  # the simulator's /sim/v1
    fingerprint: str = ""
    token: str = ""
    startup_s: float = 0.0
    process: asyncio.subprocess.Process | None = None  # the edge driver
    simulator: asyncio.subprocess.Process | None = None  # its hardware
    ports: dict[str, str] = field(default_factory=dict)  # the simulator's ptys
    trace_file: Path | None = None  # where the driver writes its timestamps (trace.py)
    sim_trace_file: Path | None = None  # and the simulator its own
    _pinned: tuple[str, aiohttp.Fingerprint] | None = field(default=None, repr=False)

    async def start(self) -> None:
        """Spawn the simulated lock, then the driver on its ports; wait for the API."""
        name, root = self.data_dir.name, self.data_dir.parent
        sim_log = root / f"{name}-simulator.log"
        self.simulator = await _spawn(
            "benchmarks.sim_main",
            sim_log,
            f"--state-dir={root / f'{name}-simulator'}",
            *([f"--trace={self.sim_trace_file}"] if self.sim_trace_file else []),
        )
        ready = await _first_line(self.simulator, sim_log)
        self.ports, self.sim_port = ready["ports"], ready["sim_port"]
        await self.start_driver()

    async def start_driver(self) -> None:
        """Spawn the driver on the simulator's ports; wait until its API serves.

        The first start binds any free port; a restart binds the same one again.
        """
        log = self.data_dir.parent / f"{self.data_dir.name}-driver.log"
        started = time.perf_counter()
        self.process = await _spawn(
            "benchmarks.edge_main",
            log,
            f"--data-dir={self.data_dir}",
            f"--port={self.port}",
            f"--hardware={json.dumps(self.ports)}",
            *([f"--trace={self.trace_file}"] if self.trace_file else []),
        )
        ready = await _first_line(self.process, log)
        self.port, self.fingerprint = ready["port"], ready["fingerprint"]
        self.startup_s = time.perf_counter() - started

    async def stop_driver(self) -> None:
        """SIGTERM the driver only (the lock keeps running) and wait."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()

    async def stop(self) -> None:
        """SIGTERM both and wait."""
        for process in (self.process, self.simulator):
            if process is not None and process.returncode is None:
                process.terminate()
                await process.wait()

    @property
    def pid(self) -> int:
        """The driver process's id."""
        assert self.process is not None
        return self.process.pid

    def memory(self) -> dict[str, int]:
        """Return the driver's resident memory now and at its peak."""
        assert self.process is not None
        return memory_kib(self.process.pid)

    @property
    def host(self) -> str:
        """Where the API listens."""
        return "127.0.0.1"

    @property
    def lock(self) -> RemoteSimulatedLock:
        """The simulated lock as a person meets it (its ``/sim/v1`` surface)."""
        return RemoteSimulatedLock(self.session, f"http://127.0.0.1:{self.sim_port}")

    async def sim(self, action: str, **body: Any) -> None:
        """Do something to the simulated lock (``POST /sim/v1/<action>``)."""
        await self.lock.act(action, **body)

    async def label(self) -> dict[str, str]:
        """Read the sticker on the simulated lock."""
        return await self.lock.look("label")

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the edge API over pinned TLS with this benchmark's token."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        # One Fingerprint object per certificate: the session pools connections by
        # it (by identity), so a new one per call opened a TLS connection per call
        # and left each open until the pool's keep-alive ran out (16 at once: 429).
        if self._pinned is None or self._pinned[0] != self.fingerprint:
            self._pinned = (
                self.fingerprint,
                aiohttp.Fingerprint(bytes.fromhex(self.fingerprint)),
            )
        async with self.session.request(
            method,
            f"https://127.0.0.1:{self.port}/api/v1{path}",
            json=body,
            headers=headers,
            ssl=self._pinned[1],
        ) as response:
            response.raise_for_status()
            return None if response.status == 204 else await response.json()

    async def create_first_admin(self) -> None:
        """Create the first admin with the manual's initial-state flow (L-26)."""
        await self.lock.create_first_admin(ADMIN_PASSWORD)

    async def open_pairing(self) -> None:
        """Hold SET until the pairing window opens (L-65)."""
        await self.sim("set_button", press="long")
        await self._until(lambda info: bool(info["pairing_open"]), "/info")

    async def pair(self, client_name: str = "benchmark") -> str:
        """Pair a client with the code on the label; returns its token."""
        await self.open_pairing()
        code = (await self.label())["verification_code"]
        reply = await self.api(
            "POST", "/pair", {"client_name": client_name, "verification_code": code}
        )
        token: str = reply["token"]
        return token

    async def enroll_finger(self) -> None:
        """Enroll ``FINGER`` for user 1, presenting it as often as the module asks."""
        await self.api("POST", "/users/1/enrollments", {"type": "fingerprint"})
        last = (await self.api("GET", "/state"))["last_seq"]
        for _ in range(FINGERPRINT_CAPTURES * 3):
            await self.sim("finger", id=FINGER)
            await asyncio.sleep(0.3)
            events = (await self.api("GET", f"/events?since={last}&limit=1000"))[
                "events"
            ]
            statuses = [e["status"] for e in events if e["type"] == "enrollment"]
            if "completed" in statuses:
                return
            if {"failed", "timeout"} & set(statuses):
                raise RuntimeError(f"fingerprint enrollment ended: {statuses}")
        raise RuntimeError("fingerprint enrollment did not complete")

    async def prepare(self) -> None:
        """First admin, a benchmark token, remote unlock on, one enrolled finger."""
        await self.create_first_admin()
        self.token = await self.pair()
        await self.api("PATCH", "/settings", {"remote_unlock_enabled": True})
        await self.enroll_finger()

    async def _until(self, check: Any, path: str) -> None:
        async with asyncio.timeout(10):
            while not check(await self.api("GET", path)):  # noqa: ASYNC110 -- polls over HTTP
                await asyncio.sleep(0.05)
