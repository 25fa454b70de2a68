"""A program the demo runs as a child process: started in its own session, stopped."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path


class Child:
    """A program the demo runs, with its output in a log file."""

    def __init__(
        self, name: str, process: asyncio.subprocess.Process, log: Path
    ) -> None:
        """Use :meth:`start`."""
        self.name = name
        self.process = process
        self.log = log

    @classmethod
    async def start(
        cls, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None
    ) -> Child:
        """Start ``argv`` in its own session: Ctrl-C reaches the demo, which stops it.

        ``env`` adds to the demo's own environment.
        """
        with log.open("ab") as output:
            process = await asyncio.create_subprocess_exec(
                *argv,
                env={**os.environ, **(env or {})},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        return cls(name, process, log)

    async def stop(self, grace: float = 30.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ``grace`` seconds."""
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), grace)
        except TimeoutError:
            print(f"demo: {self.name} did not stop within {grace:.0f} s; killing it")
            self.process.kill()
            await self.process.wait()
