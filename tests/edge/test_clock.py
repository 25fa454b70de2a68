"""The clocks tests run the lock on: a manual one they move, and the links' IdleClock.

An IdleClock stands still while anything is under way and jumps to its next timer once
``quiet()`` returns: a retransmission or a timeout then fires as soon as nothing else
can happen, in order, and never while the other end is still answering.
"""

from __future__ import annotations

import asyncio

import pytest

from ezlock_edge.clock import (
    MAX_TIMERS_AT_ONCE,
    ClockStalledError,
    IdleClock,
    ManualClock,
    sleep,
    timeout,
)
from tests.support.waiting import eventually, settled


class Quiet:
    """A ``quiet()`` the test opens and closes, counting how often it was asked."""

    def __init__(self) -> None:
        """Start closed: the clock stands still."""
        self.open = asyncio.Event()
        self.asked = 0

    async def __call__(self) -> None:
        """Return once the test says nothing is under way."""
        self.asked += 1
        await self.open.wait()


async def test_an_idle_clock_moves_only_when_quiet() -> None:
    """Timers wait for quiet(), then fire in order, each at its own time."""
    clock = IdleClock(pace=0)
    quiet = Quiet()
    clock.start(quiet)
    fired: list[tuple[str, float]] = []
    start = clock.monotonic()
    clock.call_later(2.0, lambda: fired.append(("late", clock.monotonic() - start)))
    clock.call_later(0.5, lambda: fired.append(("soon", clock.monotonic() - start)))
    cancelled = clock.call_later(1.0, lambda: fired.append(("cancelled", 0.0)))
    cancelled.cancel()
    await eventually(lambda: quiet.asked == 1, "the clock asking for quiet")
    assert fired == []  # still under way: nothing fires, however long that takes
    quiet.open.set()
    await eventually(lambda: len(fired) == 2, "both timers")
    assert fired == [("soon", 0.5), ("late", 2.0)]
    await clock.stop()


async def test_sleep_and_timeout_on_an_idle_clock() -> None:
    """``sleep`` and ``timeout`` on it take no real time once nothing else runs."""
    clock = IdleClock(pace=0)
    quiet = Quiet()
    quiet.open.set()
    clock.start(quiet)
    await settled(sleep(clock, 3600.0), "an hour of link time")
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    try:
        async with timeout(clock, 30.0) as scope:
            await never
    except TimeoutError:
        pass
    assert scope.expired()
    assert clock.monotonic() >= ManualClock().monotonic() + 3630.0
    await clock.stop()


async def test_a_stopped_idle_clock_stands_still() -> None:
    """After stop() its timers stay registered and nothing fires."""
    clock = IdleClock(pace=0)
    quiet = Quiet()
    quiet.open.set()
    clock.start(quiet)
    await clock.stop()
    fired: list[int] = []
    clock.call_later(0.1, lambda: fired.append(1))
    # Nothing is left to move it: no task of the clock's runs any more.
    assert [t for t in asyncio.all_tasks() if t.get_name() == "idle-clock"] == []
    assert fired == []
    assert clock.pending() == [pytest.approx(0.1)]


async def test_a_timer_that_re_arms_itself_at_once_stops_a_move_with_an_error() -> None:
    """Time moves only between timers: one re-armed with no delay is named, not spun on."""
    clock = ManualClock()
    fired: list[float] = []

    def again() -> None:
        fired.append(clock.monotonic())
        clock.call_later(0, again)

    async def settle() -> None:
        await asyncio.sleep(0)

    clock.call_later(1, again)
    with pytest.raises(ClockStalledError, match=r"at one moment, the last .*again"):
        clock.advance(5)
    assert len(fired) == MAX_TIMERS_AT_ONCE
    assert set(fired) == {1001.0}  # the clock stayed at that moment
    with pytest.raises(ClockStalledError, match="re-arms itself with no delay"):
        await clock.run(5, settle)


async def test_many_timers_at_one_moment_and_a_tight_chain_are_no_error() -> None:
    """Timers due together, or re-armed a millisecond later, are ordinary time."""
    clock = ManualClock()
    fired: list[float] = []
    for _ in range(MAX_TIMERS_AT_ONCE // 2):
        clock.call_later(1, lambda: fired.append(clock.monotonic()))

    def tick() -> None:
        fired.append(clock.monotonic())
        clock.call_later(0.001, tick)

    clock.call_later(0, tick)
    clock.advance(2)
    assert len(fired) == MAX_TIMERS_AT_ONCE // 2 + 2001
