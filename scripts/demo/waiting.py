"""Waiting for a program to be ready: a check retried until it is true, or a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib

import aiohttp

from .errors import DemoError

POLL = 0.25
"""Seconds between two checks."""


async def wait_until(
    check: Callable[[], Awaitable[bool]], what: str, within: float
) -> None:
    """Retry ``check`` until it is true (connection errors count as not yet)."""
    try:
        async with asyncio.timeout(within):
            while True:
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    if await check():
                        return
                await asyncio.sleep(POLL)
    except TimeoutError:
        raise DemoError(f"gave up waiting for {what} after {within:.0f} s") from None
