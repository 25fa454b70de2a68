"""Frames out of a serial port's byte chunks, with the idle-line rule.

A corrupted length field makes a parser wait for bytes that may never come; when the
line has been quiet for :data:`IDLE_GAP` with such a partial frame buffered, it is
given up so the frames behind it are found (docs/serial-protocol.md, "Framing").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ezlock_edge.clock import Clock, SystemClock
from ezlock_edge.framing.stream import StreamParser

IDLE_GAP = 0.05
"""Seconds of silence after which a partial frame is considered broken.

Longer than any frame takes on the wire (258 bytes at 57600 baud: 45 ms) would be
needed only if a frame could pause mid-way; UARTs and ser2net do not pause that long.
"""


class FrameReceiver[FrameT]:
    """Feed bytes to a parser and hand each frame to ``on_frame``."""

    def __init__(
        self,
        parser: StreamParser[FrameT],
        on_frame: Callable[[FrameT], None],
        *,
        clock: Clock | None = None,
        idle_gap: float = IDLE_GAP,
        after: Callable[[], None] | None = None,
    ) -> None:
        """Deliver the frames ``parser`` finds to ``on_frame``.

        A partial frame is given up after ``idle_gap`` seconds of ``clock`` (the
        system's by default) without bytes. ``after`` is called once the frames
        completed by one chunk (or by the idle line) were all handed on.
        """
        self._parser = parser
        self._on_frame = on_frame
        self._after = after
        self._clock = clock or SystemClock()
        self._idle_gap = idle_gap
        self._idle: asyncio.Handle | None = None

    def feed(self, data: bytes) -> None:
        """Bytes from the port (the port's receiver callback)."""
        self._cancel_idle()
        self._hand_on(self._parser.feed(data))
        if self._parser.pending:
            self._idle = self._clock.call_later(self._idle_gap, self._line_idle)

    def reset(self) -> None:
        """Forget partial input (the port closed: what was buffered is lost)."""
        self._cancel_idle()
        self._parser.flush()

    def _line_idle(self) -> None:
        self._idle = None
        self._hand_on(self._parser.flush())

    def _hand_on(self, frames: list[FrameT]) -> None:
        for frame in frames:
            self._on_frame(frame)
        if frames and self._after is not None:
            self._after()

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
