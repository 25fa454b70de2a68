"""Time as the lock sees it, injectable so tests control it instead of sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import time
from typing import Protocol


class Clock(Protocol):
    """Wall time for records, monotonic time for windows, and timers on the loop."""

    def now(self) -> datetime:
        """Return the current wall time (aware, UTC)."""

    def monotonic(self) -> float:
        """Return seconds on a clock that never goes backwards."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.Handle:
        """Run ``callback`` on the event loop after ``delay`` seconds of this clock."""


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current wall time (aware, UTC)."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.Handle:
        """Schedule on the running loop."""
        return asyncio.get_running_loop().call_later(delay, callback)


class ManualClock:
    """A clock that only moves when a test calls :meth:`advance`."""

    def __init__(self, start: datetime | None = None) -> None:
        """Start at ``start`` (default 2026-01-01T00:00Z)."""
        self._wall = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._mono = 1000.0
        self._timers: list[tuple[float, int, asyncio.Handle, Callable[[], None]]] = []
        self._counter = 0

    def now(self) -> datetime:
        """Return the simulated wall time."""
        return self._wall

    def monotonic(self) -> float:
        """Return the simulated monotonic time."""
        return self._mono

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.Handle:
        """Register ``callback`` to run when :meth:`advance` passes ``delay``."""
        handle = asyncio.Handle(callback, (), asyncio.get_running_loop())
        self._counter += 1
        self._timers.append((self._mono + delay, self._counter, handle, callback))
        self._timers.sort(key=lambda t: (t[0], t[1]))
        return handle

    def advance(self, seconds: float) -> None:
        """Move both clocks forward, firing due timers in order."""
        target = self._mono + seconds
        while self._timers and self._timers[0][0] <= target:
            due, _, handle, callback = self._timers.pop(0)
            self._wall = self._wall + timedelta(seconds=due - self._mono)
            self._mono = due
            if not handle.cancelled():
                callback()
        self._wall = self._wall + timedelta(seconds=target - self._mono)
        self._mono = target
