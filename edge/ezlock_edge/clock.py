"""Time as the lock sees it, injectable so tests control it instead of sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import math
import time
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzlocal


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
            self._move_to(due)
            if not handle.cancelled():
                callback()
        self._move_to(target)

    async def run(self, seconds: float, settle: Callable[[], Awaitable[None]]) -> None:
        """Move forward like :meth:`advance`, awaiting ``settle()`` after each timer.

        A timer's callback often starts work that sets the next timer only after a few
        loop turns or a round trip on a serial link (a countdown sends LOCK, the motor
        then travels for 0.4 s): ``settle`` waits for that, so a timer set meanwhile
        fires within this same run if it falls due before its end, as in real time.
        """
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"the clock moves forward by a finite time, not {seconds}")
        target = self._mono + seconds
        await settle()
        while self._timers and self._timers[0][0] <= target:
            due, _, handle, callback = self._timers.pop(0)
            if handle.cancelled():
                continue
            self._move_to(due)
            callback()
            await settle()
        self._move_to(target)
        await settle()

    def _move_to(self, mono: float) -> None:
        self._wall += timedelta(seconds=mono - self._mono)
        self._mono = mono


def local_time_zone() -> ZoneInfo:
    """Return the board's own time zone (``TZ``, ``/etc/localtime``), UTC if it has none.

    ``tzlocal`` reads the same places every Linux tool does and answers with an IANA
    name, which ``zoneinfo`` turns into a zone that knows its daylight-saving rules.
    """
    try:
        name = tzlocal.get_localzone_name()
    except LookupError, ValueError, OSError:
        name = None
    try:
        return ZoneInfo(name or "UTC")
    except ZoneInfoNotFoundError, ValueError:
        return ZoneInfo("UTC")
