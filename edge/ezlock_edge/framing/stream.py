"""The resynchronising byte-stream parser shared by the three frame formats.

A UART delivers bytes in arbitrary chunks and sometimes corrupts, drops or invents
some. The parser keeps a buffer, looks for the format's sync header, waits until the
whole frame is in, checks it, and on any failure skips one byte and searches for the
next sync header, so a good frame after garbage is never lost. A corrupted length
field can make it wait for bytes that will never come; :meth:`StreamParser.flush`
(called by the link when the line goes idle) gives such a frame up.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import logging

from .errors import DecodeError

_LOGGER = logging.getLogger(__name__)


class StreamParser[FrameT](ABC):
    """Turn arbitrary byte chunks into checked frames of one format."""

    sync: bytes
    """The header every frame starts with."""
    header_size: int
    """Bytes needed (sync included) before :meth:`_frame_length` can be called."""

    def __init__(self) -> None:
        """Start with an empty buffer and zero counters."""
        self._buffer = bytearray()
        self.discarded_bytes = 0
        """Bytes skipped because they were not part of a valid frame."""
        self.bad_frames = 0
        """Candidate frames rejected (bad length, checksum or content)."""

    @property
    def pending(self) -> int:
        """Bytes buffered that do not form a complete frame yet."""
        return len(self._buffer)

    @abstractmethod
    def _frame_length(self, header: bytes) -> int:
        """Return the total frame length announced by ``header`` (``header_size`` bytes).

        Raise :class:`DecodeError` when the announced length is impossible.
        """

    @abstractmethod
    def _decode(self, frame: bytes) -> FrameT:
        """Check and decode one complete frame; raise :class:`DecodeError` if bad."""

    def feed(self, data: bytes) -> list[FrameT]:
        """Add received bytes; return the frames completed by them, in order."""
        self._buffer += data
        return self._drain(idle=False)

    def flush(self) -> list[FrameT]:
        """Handle an idle line: give up any incomplete frame and salvage what follows."""
        return self._drain(idle=True)

    def _drain(self, *, idle: bool) -> list[FrameT]:
        frames: list[FrameT] = []
        buffer = self._buffer
        while buffer:
            start = buffer.find(self.sync)
            if start < 0:
                # Keep a trailing partial sync header: its rest may be in the next chunk.
                keep = self._partial_sync_suffix()
                self._skip(len(buffer) - keep)
                if idle:
                    self._skip(len(buffer))
                break
            self._skip(start)
            if len(buffer) < self.header_size:
                if idle:
                    self._skip(len(buffer))
                break
            try:
                length = self._frame_length(bytes(buffer[: self.header_size]))
            except DecodeError as err:
                self._reject(err)
                continue
            if len(buffer) < length:
                if not idle:
                    break
                self._reject(DecodeError(f"incomplete frame ({len(buffer)}/{length})"))
                continue
            try:
                frames.append(self._decode(bytes(buffer[:length])))
            except DecodeError as err:
                self._reject(err)
                continue
            del buffer[:length]
        return frames

    def _partial_sync_suffix(self) -> int:
        buffer = self._buffer
        for size in range(min(len(self.sync) - 1, len(buffer)), 0, -1):
            if buffer.endswith(self.sync[:size]):
                return size
        return 0

    def _skip(self, count: int) -> None:
        if count:
            del self._buffer[:count]
            self.discarded_bytes += count

    def _reject(self, err: DecodeError) -> None:
        self.bad_frames += 1
        _LOGGER.debug("%s: dropped a frame: %s", type(self).__name__, err)
        # Skip the sync header's first byte only: a real frame may start inside this one.
        self._skip(1)
