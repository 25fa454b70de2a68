"""The receiving side of a virtual device's UART firmware.

Bytes go through the link's streaming parser. Like a UART driver's inter-byte timeout,
an idle line makes the parser give up a frame whose (corrupted) length promised bytes
that will never come, so one damaged header cannot stall the device.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ezlock_edge.framing.stream import StreamParser

IDLE_GAP = 0.05
"""Seconds of silence after which a partial frame is abandoned (real time)."""


class FrameReceiver[FrameT]:
    """Turn received bytes into frames for ``handle``, flushing on an idle line."""

    def __init__(
        self, parser: StreamParser[FrameT], handle: Callable[[FrameT], None]
    ) -> None:
        """Parse with ``parser``; call ``handle`` for every good frame, in order."""
        self._parser = parser
        self._handle = handle
        self._idle: asyncio.TimerHandle | None = None

    def receive(self, data: bytes) -> None:
        """Take bytes from the line."""
        if self._idle is not None:
            self._idle.cancel()
        self._idle = asyncio.get_running_loop().call_later(IDLE_GAP, self._line_idle)
        for frame in self._parser.feed(data):
            self._handle(frame)

    def stop(self) -> None:
        """Stop the idle timer."""
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _line_idle(self) -> None:
        self._idle = None
        for frame in self._parser.flush():
            self._handle(frame)
