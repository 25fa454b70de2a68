"""Waiting for a frame on a link's clock: one timer and one wake-up per wait.

``asyncio.timeout`` cancels the waiting task when its time is up, so a future that
must outlive the wait (a request's answer, still welcome after a retransmission)
needs a shield, which costs one more loop turn before the task sees the answer. Here
the timer fails the wait's own future instead: whichever comes first, the answer or
the timer, wakes the task once, and nothing is cancelled.
"""

from __future__ import annotations

import asyncio
import functools

from ezlock_edge.clock import Clock


async def within[T](clock: Clock, seconds: float, future: asyncio.Future[T]) -> T:
    """Return ``future``'s result; raise TimeoutError once ``seconds`` of ``clock`` passed.

    ``future`` is this wait's own: the timer sets TimeoutError on it.
    """
    handle = clock.call_later(seconds, functools.partial(_expire, future))
    try:
        return await future
    finally:
        handle.cancel()


def _expire[T](future: asyncio.Future[T]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())
