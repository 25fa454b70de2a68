"""Writing to one transport with flow control: what the HTTP and WebSocket layers share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Writer:
    """Writes to ``transport``; :meth:`drain` waits while the transport's buffer is full.

    asyncio calls the protocol's ``pause_writing`` / ``resume_writing``; the protocol
    forwards them here. A connection that was lost fails every wait with
    ``ConnectionResetError``, so a writer never waits for a client that is gone.
    """

    def __init__(self, transport: asyncio.Transport) -> None:
        """Write to ``transport``."""
        self.transport = transport
        self.closed = False
        self._resumed: asyncio.Future[None] | None = None
        self._paused = False
        self.on_resume: Callable[[], None] | None = None
        """Called when the transport takes more again (a reader paused for it)."""

    @property
    def paused(self) -> bool:
        """Whether the transport's buffer is full (the peer is not reading)."""
        return self._paused

    @property
    def buffered(self) -> int:
        """Bytes written but not yet taken by the kernel."""
        return self.transport.get_write_buffer_size()

    def write(self, data: bytes) -> None:
        """Queue ``data``; nothing is written once the connection is lost."""
        if data and not self.closed:
            self.transport.write(data)

    async def drain(self) -> None:
        """Wait until the transport takes more (at once when it is not full)."""
        if self.closed:
            raise ConnectionResetError("connection lost")
        if not self._paused:
            return
        if self._resumed is None:
            self._resumed = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._resumed)

    def pause(self) -> None:
        """Hold writers back: the buffer is over its high-water mark."""
        self._paused = True

    def resume(self) -> None:
        """Let writers go on: the buffer drained below its low-water mark."""
        self._paused = False
        self._wake(None)
        if self.on_resume is not None:
            self.on_resume()

    def lost(self) -> None:
        """Fail every wait: the connection ended."""
        self.closed = True
        self._paused = False
        self._wake(ConnectionResetError("connection lost"))

    def _wake(self, error: Exception | None) -> None:
        resumed, self._resumed = self._resumed, None
        if resumed is None or resumed.done():
            return
        if error is None:
            resumed.set_result(None)
        else:
            resumed.set_exception(error)
            resumed.exception()  # retrieved: nobody may be waiting any more
