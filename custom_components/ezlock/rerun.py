"""A read that follows a burst of changes: one at a time, once more if asked meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback


class Rerun:
    """Runs ``job`` in the entry's background; a request while it runs runs it once more.

    A burst of lock events (a person added with three credentials) costs two reads, not
    one per event, and the last read always starts after the last request.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        job: Callable[[], Awaitable[None]],
        name: str,
    ) -> None:
        """Nothing runs before :meth:`request`."""
        self._hass = hass
        self._entry = entry
        self._job = job
        self._name = name
        self._task: asyncio.Task[None] | None = None
        self._again = False

    @callback
    def request(self) -> None:
        """Run the job now, or once more after the run in progress."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = self._entry.async_create_background_task(
            self._hass, self._run(), self._name
        )

    async def _run(self) -> None:
        while True:
            self._again = False
            await self._job()
            if not self._again:
                return
