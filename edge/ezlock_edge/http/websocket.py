"""One upgraded connection: WebSocket messages in and out, framed by wsproto.

What this layer guarantees its user:

- **Few writes.** Messages sent are framed into a buffer that goes out in one
  ``transport.write`` (so one TLS record where it fits) at the end of the loop turn
  (the next iteration); :meth:`WebSocket.flush` sends it at once. A user that flushes
  the first message of a turn at once (:attr:`WebSocket.quiet`) still has the rest of
  that turn go out together: a lock's unlock announces several messages in one turn,
  one write saves a syscall and a record per message.
- **Heartbeats.** A ping after ``heartbeat`` seconds without a byte from the peer; a
  peer that sends nothing for ``heartbeat / 2`` seconds after it is dropped (loop time).
- **Bounded memory.** A message over ``max_message`` bytes closes the connection
  (``1009``), however many fragments it comes in (they are held as their bytes);
  reading pauses while unread messages pile up, and while the peer does not read what
  we send (a flood of pings is not answered into an ever-growing buffer).
- **Closing handshake.** A peer's close is answered and the connection closed; our own
  close waits up to ``close_timeout`` seconds for the peer's answer, then drops it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
import logging

from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Event, Ping, TextMessage
from wsproto.utilities import LocalProtocolError, generate_accept_token

from .writer import Writer

_LOGGER = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_ABNORMAL = 1006  # never sent: the connection ended without a close frame
CLOSE_MESSAGE_TOO_BIG = 1009
_UNREAD_MESSAGES = 16  # reading pauses past this many unread messages

type Message = str | bytes


def accept_token(key: str) -> str:
    """Return ``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key`` (RFC 6455)."""
    return generate_accept_token(key.encode("latin-1")).decode("ascii")


class WebSocket:
    """A server's side of one WebSocket connection (after the ``101`` was queued)."""

    def __init__(
        self,
        writer: Writer,
        *,
        handshake: bytes,
        trailing: bytes,
        heartbeat: float | None,
        max_message: int,
        close_timeout: float,
    ) -> None:
        """Serve over ``writer``.

        ``handshake`` (the 101) goes out first; ``trailing`` is what the client sent
        after its upgrade request.
        """
        self._writer = writer
        self._transport = writer.transport
        self._loop = asyncio.get_running_loop()
        self._proto = Connection(ConnectionType.SERVER)
        self._heartbeat = heartbeat
        self._max_message = max_message
        self._close_timeout = close_timeout
        self._out: list[bytes] = [handshake]
        self._buffered = len(handshake)
        self._flush_scheduled = False
        self._wrote = False  # since the last end of turn
        self.before_flush: Callable[[], None] | None = None
        """Called at the end of a turn, before its write (to add what waited for it)."""
        self._messages: deque[Message] = deque()
        # The message being received, as bytes (text as UTF-8): tiny fragments cost
        # what their bytes do, not an object each.
        self._partial = bytearray()
        self._readable = asyncio.Event()
        self._done = asyncio.Event()
        self._reading_paused = False  # for unread messages
        self._writing_full = False  # reading paused: the peer does not read
        self._close_sent = False
        self._last_heard = self._loop.time()
        self._ping_handle: asyncio.TimerHandle | None = None
        self._pong_handle: asyncio.TimerHandle | None = None
        self.close_code: int | None = None
        """The code of the peer's close frame (``1006``: the connection just ended)."""
        self.close_reason = ""
        self._schedule_flush()
        if heartbeat:
            self._ping_handle = self._loop.call_later(heartbeat, self._ping)
        if trailing:
            self.feed(trailing)

    @property
    def closed(self) -> bool:
        """Whether the connection has ended (or our close frame was sent)."""
        return self._close_sent or self._done.is_set()

    # receiving

    async def receive(self) -> Message | None:
        """Return the next message; None once the peer closed or the connection ended."""
        while not self._messages:
            if self._done.is_set() or self._proto.state is not ConnectionState.OPEN:
                return None
            self._readable.clear()
            await self._readable.wait()
        message = self._messages.popleft()
        if self._reading_paused and len(self._messages) < _UNREAD_MESSAGES // 2:
            self._reading_paused = False
            self._resume_reading()
        return message

    def __aiter__(self) -> WebSocket:
        """Iterate over the messages until the connection closes."""
        return self

    async def __anext__(self) -> Message:
        """Return the next message."""
        message = await self.receive()
        if message is None:
            raise StopAsyncIteration
        return message

    def feed(self, data: bytes) -> None:
        """Take bytes from the network (the HTTP connection forwards them)."""
        self._last_heard = self._loop.time()
        if self._pong_handle is not None:
            self._pong_handle.cancel()
            self._pong_handle = None
        try:
            self._proto.receive_data(data)
        except LocalProtocolError:
            return  # closed already: what follows a close frame is ignored
        for event in self._proto.events():
            self._handle(event)
        if len(self._messages) >= _UNREAD_MESSAGES and not self._reading_paused:
            self._reading_paused = True
            self._pause_reading()
        if self._writer.paused and not self._writing_full:
            self._writing_full = True
            self._pause_reading()
            self._writer.on_resume = self._writable
        self._readable.set()

    def _writable(self) -> None:
        self._writer.on_resume = None
        self._writing_full = False
        self._resume_reading()

    def _pause_reading(self) -> None:
        if not self._transport.is_closing():
            self._transport.pause_reading()

    def _resume_reading(self) -> None:
        paused = self._reading_paused or self._writing_full
        if not paused and not self._transport.is_closing():
            self._transport.resume_reading()

    def _handle(self, event: Event) -> None:
        if self._done.is_set():
            return  # failed (a message too big, a bad frame): the rest is not read
        if isinstance(event, TextMessage | BytesMessage):
            data = event.data
            self._partial += data.encode() if isinstance(data, str) else data
            if len(self._partial) > self._max_message:
                self._fail(CLOSE_MESSAGE_TOO_BIG, "message too big")
            elif event.message_finished:
                whole, self._partial = bytes(self._partial), bytearray()
                # wsproto has checked the text's UTF-8, fragment by fragment.
                self._messages.append(
                    whole.decode() if isinstance(event, TextMessage) else whole
                )
        elif isinstance(event, Ping):
            self._queue(self._proto.send(event.response()))
        elif isinstance(event, CloseConnection):
            self._peer_closed(event)

    def _peer_closed(self, event: CloseConnection) -> None:
        state = self._proto.state
        if state is ConnectionState.OPEN:
            # Not a close frame: wsproto could not parse what the peer sent.
            self._fail(event.code, event.reason or "")
            return
        self.close_code, self.close_reason = event.code, event.reason or ""
        if state is ConnectionState.REMOTE_CLOSING:
            self._queue(self._proto.send(event.response()))
            self._close_sent = True
        self.flush()
        self._transport.close()  # the server closes the TCP connection first
        self._end()

    def _fail(self, code: int, reason: str) -> None:
        _LOGGER.debug("Closing a WebSocket: %s", reason)
        self.close_code, self.close_reason = code, reason
        self._send_close(code, reason)
        self._transport.close()
        self._end()

    # sending

    def send_text(self, text: str) -> None:
        """Queue a text message, sent with the rest of this loop turn's.

        Once the connection is closing, nothing more is sent.
        """
        if self.closed:
            return
        self._queue(self._proto.send(TextMessage(data=text)))

    @property
    def quiet(self) -> bool:
        """Whether nothing was written since the end of the last turn.

        A message sent then may be flushed at once; what follows it in the same turn
        is written at the turn's end, together.
        """
        return not self._wrote

    @property
    def backed_up(self) -> bool:
        """Whether the peer does not take what was written (the transport is full)."""
        return self._writer.paused

    @property
    def buffered(self) -> int:
        """Bytes framed and not written yet."""
        return self._buffered

    def flush(self) -> None:
        """Write every queued frame now, in one write."""
        if self._out:
            data = b"".join(self._out)
            self._out.clear()
            self._buffered = 0
            self._writer.write(data)
            self._wrote = True
            self._schedule_flush()  # the turn's end, where writing is quiet again

    def flush_soon(self) -> None:
        """Have the end of this turn write (and call ``before_flush``)."""
        self._schedule_flush()

    async def drain(self) -> None:
        """Flush, then wait while the peer does not take what was written.

        Raises ``ConnectionResetError`` once the connection is lost.
        """
        self.flush()
        await self._writer.drain()

    async def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Send our close frame, wait (at most ``close_timeout``) for the peer's, end."""
        self._send_close(code, reason)
        try:
            async with asyncio.timeout(self._close_timeout):
                await self._done.wait()
        except TimeoutError:
            self._transport.abort()
            self._end()

    def abort(self) -> None:
        """Drop the connection now, without a closing handshake."""
        self._transport.abort()
        self._end()

    def connection_lost(self) -> None:
        """End: the connection was lost (the HTTP connection forwards it)."""
        if self.close_code is None:
            self.close_code = CLOSE_ABNORMAL
        self._end()

    def _send_close(self, code: int, reason: str) -> None:
        if self._close_sent or self._done.is_set():
            return
        self._close_sent = True
        try:
            self._queue(self._proto.send(CloseConnection(code=code, reason=reason)))
        except LocalProtocolError:
            return
        self.flush()

    def _queue(self, frame: bytes) -> None:
        self._out.append(frame)
        self._buffered += len(frame)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._scheduled_flush)

    def _scheduled_flush(self) -> None:
        """End the turn: what waited for it, then one write; the next turn is quiet."""
        if self.before_flush is not None and not self.closed:
            self.before_flush()
        self.flush()  # while still scheduled: it schedules nothing more
        self._flush_scheduled = False
        self._wrote = False

    def _end(self) -> None:
        for handle in (self._ping_handle, self._pong_handle):
            if handle is not None:
                handle.cancel()
        self._ping_handle = self._pong_handle = None
        self._done.set()
        self._readable.set()

    # heartbeats

    def _ping(self) -> None:
        if self._heartbeat is None:
            return
        quiet = self._loop.time() - self._last_heard
        if quiet < self._heartbeat:
            self._ping_handle = self._loop.call_later(
                self._heartbeat - quiet, self._ping
            )
            return
        if self.closed:
            return
        self._queue(self._proto.send(Ping()))
        self.flush()
        self._pong_handle = self._loop.call_later(self._heartbeat / 2, self._no_pong)
        self._ping_handle = self._loop.call_later(self._heartbeat, self._ping)

    def _no_pong(self) -> None:
        _LOGGER.debug("Dropping a WebSocket that did not answer a ping")
        self._pong_handle = None
        self.abort()
