"""Waiting for something that must happen, bounded so that a hang becomes a failure.

State crosses ptys, tasks and processes, so it is not there at once. Where it has a
change signal (an ``asyncio.Event``, a queue, a future) tests await that; where it has
none (the simulator's panel, another process's API) :func:`eventually` polls it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import inspect

WAIT = 30.0
"""Seconds before a wait fails. Only a failing test waits this long: never a pass
condition, and generous because CI machines are shared."""
POLL = 0.005
"""Seconds between two looks at in-process state that has no change signal."""


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    what: str,
    *,
    within: float = WAIT,
    every: float = POLL,
) -> None:
    """Return once ``condition()`` (sync or async) holds; fail naming ``what`` if not.

    ``every`` spaces the looks out where one is costly (a browser round trip).
    """
    try:
        async with asyncio.timeout(within):
            while True:
                result = condition()
                if inspect.isawaitable(result):
                    result = await result
                if result:
                    return
                await asyncio.sleep(every)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


async def settled[T](awaitable: Awaitable[T], what: str, *, within: float = WAIT) -> T:
    """Await ``awaitable`` (a signal that must come); fail naming ``what`` if it does not."""
    try:
        async with asyncio.timeout(within):
            return await awaitable
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None
