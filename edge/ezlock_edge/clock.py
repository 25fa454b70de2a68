"""Time as the lock sees it, injectable so tests control it instead of sleeping.

Everything that waits (a protocol's ACK timeout, a port's reconnect backoff, a module
poll) waits on a :class:`Clock`: :func:`sleep` and :func:`timeout` are
``asyncio.sleep`` and ``asyncio.timeout`` on that clock's time, built on its
``call_later``, so a :class:`ManualClock` in a test fires them when it is advanced.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from datetime import UTC, datetime, timedelta
import math
import time
from types import TracebackType
from typing import Protocol, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


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


MAX_TIMERS_AT_ONCE = 1000
"""Timers in a row a manual clock fires at one moment before it says time stands still."""


class ClockStalledError(RuntimeError):
    """A manual clock's move cannot go on: timers keep falling due at the same moment.

    Something re-arms itself with no delay (a loop that asks to run again at once):
    in real time it would spin the processor; on a manual clock, whose time moves only
    between timers, the move would never end. Raised instead of waiting forever.
    """


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

    def pending(self) -> list[float]:
        """Return the seconds from now to each timer still to fire, soonest first."""
        return [
            due - self._mono
            for due, _, handle, _ in self._timers
            if not handle.cancelled()
        ]

    def advance(self, seconds: float) -> None:
        """Move both clocks forward, firing due timers in order.

        Raises :class:`ClockStalledError` when timers keep falling due at one moment.
        """
        target = self._mono + seconds
        at_once = _AtOnce()
        while (callback := self._next_due(target, at_once)) is not None:
            callback()
        self._move_to(target)

    async def run(self, seconds: float, settle: Callable[[], Awaitable[None]]) -> None:
        """Move forward like :meth:`advance`, awaiting ``settle()`` after each timer.

        A timer's callback often starts work that sets the next timer only after a few
        loop turns or a round trip on a serial link (a countdown sends LOCK, the motor
        then travels for 0.4 s): ``settle`` waits for that, so a timer set meanwhile
        fires within this same run if it falls due before its end, as in real time.
        Raises :class:`ClockStalledError` when timers keep falling due at one moment.
        """
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"the clock moves forward by a finite time, not {seconds}")
        target = self._mono + seconds
        at_once = _AtOnce()
        await settle()
        while (callback := self._next_due(target, at_once)) is not None:
            callback()
            await settle()
        self._move_to(target)
        await settle()

    def _next_due(self, target: float, at_once: _AtOnce) -> Callable[[], None] | None:
        """Take the next timer due by ``target`` and move to its time (None: no more)."""
        while self._timers and self._timers[0][0] <= target:
            due, _, handle, callback = self._timers[0]
            if not handle.cancelled():
                at_once.count(due, callback)  # before the pop: a stuck timer stays due
            del self._timers[0]
            if not handle.cancelled():
                self._move_to(due)
                return callback
        return None

    def _move_to(self, mono: float) -> None:
        self._wall += timedelta(seconds=mono - self._mono)
        self._mono = mono


class _AtOnce:
    """Counts the timers a move fires in a row at one moment (:data:`MAX_TIMERS_AT_ONCE`)."""

    def __init__(self) -> None:
        self._moment: float | None = None
        self._fired = 0

    def count(self, due: float, callback: Callable[[], None]) -> None:
        """Note a timer due at ``due``; raise once too many fell due at that moment."""
        if due != self._moment:
            self._moment, self._fired = due, 0
        self._fired += 1
        if self._fired > MAX_TIMERS_AT_ONCE:
            raise ClockStalledError(
                f"{MAX_TIMERS_AT_ONCE} timers in a row fell due at one moment, the last"
                f" {getattr(callback, '__qualname__', callback)}: something re-arms itself with no delay, so the clock"
                " cannot move on"
            )


class IdleClock(ManualClock):
    """Link time for simulations and tests: still while anything is under way, then a jump.

    A driver's ACK timeout, retransmission, module poll or reconnect backoff waits on
    its link's clock. On this one such a timer fires once ``quiet()`` (started by
    :meth:`start`) says nothing is on its way and nothing is left to run: the clock
    jumps to the next timer. A timeout then means the other end really did not answer,
    never that a loaded machine was slow, and nobody waits for it in real time. A
    person's time (how long the lock waits for a finger) is the lock's clock, not this.
    """

    def __init__(self, start: datetime | None = None, *, pace: float = 0.001) -> None:
        """Start at ``start`` like a :class:`ManualClock`; it moves once started.

        ``pace``: real seconds at least between two jumps, so that a module polled
        while nobody is at the reader does not spin the processor.
        """
        super().__init__(start)
        self._pace = pace
        self._armed = asyncio.Event()
        self._mover: asyncio.Task[None] | None = None

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.Handle:
        """Register ``callback``; it fires at the first quiet moment once ``delay`` is next."""
        handle = super().call_later(delay, callback)
        self._armed.set()
        return handle

    def start(self, quiet: Callable[[], Awaitable[None]]) -> None:
        """Move from now on: before each jump, await ``quiet()``."""
        if self._mover is None:
            self._mover = asyncio.create_task(self._move(quiet), name="idle-clock")

    async def stop(self) -> None:
        """Stand still again (timers stay registered)."""
        mover, self._mover = self._mover, None
        if mover is not None:
            mover.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await mover

    async def _move(self, quiet: Callable[[], Awaitable[None]]) -> None:
        while True:
            await self._armed.wait()
            await asyncio.sleep(self._pace)
            await quiet()
            self._timers = [t for t in self._timers if not t[2].cancelled()]
            if not self._timers:
                self._armed.clear()
                continue
            self.advance(max(0.0, self._timers[0][0] - self._mono))


def local_time_zone() -> ZoneInfo:
    """Return the board's own time zone (``TZ``, ``/etc/localtime``), UTC if it has none.

    ``tzlocal`` reads the same places every Linux tool does and answers with an IANA
    name, which ``zoneinfo`` turns into a zone that knows its daylight-saving rules.
    It is imported here: a lock configured with its ``time_zone`` never loads it.
    """
    import tzlocal  # noqa: PLC0415

    try:
        name = tzlocal.get_localzone_name()
    except LookupError, ValueError, OSError:
        name = None
    try:
        return ZoneInfo(name or "UTC")
    except ZoneInfoNotFoundError, ValueError:
        return ZoneInfo("UTC")


async def sleep(clock: Clock, seconds: float) -> None:
    """Return after ``seconds`` of ``clock``'s time."""
    done = asyncio.get_running_loop().create_future()

    def wake() -> None:
        if not done.done():
            done.set_result(None)

    handle = clock.call_later(seconds, wake)
    try:
        await done
    finally:
        handle.cancel()


class timeout:  # noqa: N801 - used like asyncio.timeout, which it wraps
    """``async with timeout(clock, seconds)``: TimeoutError once ``seconds`` passed.

    ``asyncio.timeout`` on the event loop's time, moved to ``clock``'s: the clock's
    timer expires the asyncio scope, which cancels the block exactly as asyncio does.
    """

    def __init__(self, clock: Clock, seconds: float) -> None:
        """Time the block out after ``seconds`` of ``clock``'s time."""
        self._clock = clock
        self._seconds = seconds
        self._scope = asyncio.timeout(None)
        self._handle: asyncio.Handle | None = None

    async def __aenter__(self) -> Self:
        """Enter the asyncio scope and start the clock's timer."""
        await self._scope.__aenter__()
        self._handle = self._clock.call_later(self._seconds, self._expire)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the timer; turn the scope's cancellation into TimeoutError."""
        if self._handle is not None:
            self._handle.cancel()
        await self._scope.__aexit__(exc_type, exc, tb)

    def expired(self) -> bool:
        """Whether the block was timed out."""
        return self._scope.expired()

    def _expire(self) -> None:
        if self._scope.when() is None:  # not expired yet, still inside the block
            self._scope.reschedule(asyncio.get_running_loop().time())
