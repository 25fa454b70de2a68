"""Background work owned by a component: kept referenced, failures logged, stopped with it.

asyncio keeps only a weak reference to a task, so a task nobody holds can vanish
mid-way, and an exception nobody retrieves is reported late or never. Every component
that starts work in the background does it through one :class:`BackgroundTasks`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
import contextvars
import logging
from typing import Any


class BackgroundTasks:
    """The background tasks of one component."""

    def __init__(self, logger: logging.Logger) -> None:
        """Log failures to ``logger`` (the owner's, so the log says whose work failed)."""
        self._logger = logger
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(
        self,
        coroutine: Coroutine[Any, Any, None],
        name: str | None = None,
        *,
        eager: bool = False,
    ) -> asyncio.Task[None]:
        """Run ``coroutine`` in the background and return its task.

        The task runs in a fresh context: it is not part of whatever started it (an
        MCU event being handled, a request), so it does not inherit its context
        variables. ``eager``: it runs at once, up to its first wait, before this
        returns (the task may then be done already), not behind what the loop has
        ready.
        """
        task = asyncio.get_running_loop().create_task(
            coroutine, name=name, context=contextvars.Context(), eager_start=eager
        )
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    async def wait(self) -> None:
        """Return once every task has finished, including ones started meanwhile."""
        while running := self._running():
            await asyncio.gather(*running, return_exceptions=True)

    async def cancel(self) -> None:
        """Cancel every task (and any started while they end) and wait for them."""
        while running := self._running():
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    def _running(self) -> list[asyncio.Task[None]]:
        # Not "every task in the set": a task that just finished stays there until its
        # done callback runs, and gathering only finished tasks never yields to the loop.
        return [task for task in self._tasks if not task.done()]

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        if (error := task.exception()) is not None:
            self._logger.error(
                "Background task %s failed", task.get_name(), exc_info=error
            )
