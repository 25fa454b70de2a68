"""The push channel: ``/api/v1/ws`` replays stored events after a seq, then streams live.

Ordering and exactly-once delivery come from one rule: the connection subscribes to live
events *before* it reads the stored ones, and the writer drops any live event whose seq it
has already sent. Every event is persisted before it is announced, so a client that resumes
from its last seq misses nothing, also across an edge restart. Memory per connection is
bounded: a client that does not read is closed (``4008 slow_consumer``), not buffered.

A live event is framed when it is announced. The events one sync made durable (an
unlock's bolt reports and its ``unlocked``) are written together as soon as the last
of them is announced, before anything else the loop has ready; outside a sync's
announcements the first message of a loop turn is written at once. What the rest of
a turn makes ready goes out in one write at the turn's end. A state change waits for
that end (or the next event): a burst of changes in one turn is one message, the
newest state.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
import contextlib
from dataclasses import fields
import json
import logging
from operator import attrgetter
from typing import Any

import voluptuous as vol

from ezlock_edge.core.events import Event
from ezlock_edge.core.models import Client, LockState
from ezlock_edge.http.messages import Response
from ezlock_edge.http.request import Request
from ezlock_edge.http.websocket import Message, WebSocket

from . import schemas
from .context import CLIENT, CLOSE_UNAUTHORIZED, CONTEXT, ApiContext

_LOGGER = logging.getLogger(__name__)

REPLAY_PAGE = 500
CLOSE_TIMEOUT = 5.0
MAX_MESSAGE = 64 * 1024

CLOSE_SLOW_CONSUMER = 4008
_FLUSH_AT = 64 * 1024  # framed bytes written at once within a turn


# Every field of a state but ``last_seq``, to compare two states without it.
_BUT_LAST_SEQ = attrgetter(
    *(field.name for field in fields(LockState) if field.name != "last_seq")
)


class _StateChanged:
    """Backlog marker: send the current state (coalesces bursts of changes)."""


_STATE = _StateChanged()


class _Finish:
    """Backlog marker: everything announced before it is sent; now close."""

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


type _Item = Event | _StateChanged | _Finish


class WsSession:
    """One authenticated WebSocket connection."""

    def __init__(self, request: Request, context: ApiContext) -> None:
        """Serve ``request`` with the lock behind ``context``."""
        self._request = request
        self._context = context
        self._ws: WebSocket | None = None
        # What is announced but not framed yet: during the replay, while the peer
        # does not take more, and a state change until the end of its turn.
        self._backlog: deque[_Item] = deque()
        self._backlog_size = context.ws.queue_size
        self._live = False  # replay done: what is announced is framed at once
        self._cursor = 0  # the newest seq sent
        # Set when the peer took nothing more: the writer task waits for it to read.
        self._backed_up = asyncio.Event()
        self._state_pending = False
        self._sent_state: LockState | None = None
        self._announced: LockState | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._unannounced: Callable[[], None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closing = False
        self._finishing = False
        self.client: Client | None = None

    async def run(self, client: Client) -> Response:
        """Serve ``client`` (authenticated by the upgrade request) until either side ends."""
        self.client = client
        ws = self._ws = await self._request.websocket(
            heartbeat=self._context.ws.heartbeat,
            max_message=MAX_MESSAGE,
            close_timeout=CLOSE_TIMEOUT,
        )
        ws.before_flush = self._end_of_turn
        self._context.sessions.add(self)
        try:
            self._send(
                {
                    "type": "auth_ok",
                    "client_id": self.client.id,
                    "api_version": self._context.api_version,
                }
            )
            await self._read_loop(ws)
        finally:
            self._context.sessions.discard(self)
            await self._stop_streaming()
            await ws.close()
        return Response(101)

    def close_soon(self, code: int, reason: str) -> None:
        """Close this connection from outside (revocation, shutdown, slow consumer)."""
        if self._closing:
            return
        self._closing = True
        self._unsubscribe_live()
        self._context.spawn(self._close(code, reason))

    def finish(self, code: int, reason: str) -> None:
        """Close after sending what was already announced (revocation, factory reset).

        The event that caused the close is the last thing the client receives, so it
        learns why its token stopped working.
        """
        if self._finishing:
            return
        self._finishing = True
        if self._closing or self._writer is None:
            self.close_soon(code, reason)
            return
        self._unsubscribe_live()
        if len(self._backlog) >= self._backlog_size:
            self.close_soon(code, reason)
            return
        self._enqueue(_Finish(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        await self._stop_streaming()
        if self._ws is not None:
            # A peer that does not answer the close frame is dropped after CLOSE_TIMEOUT.
            await self._ws.close(code, reason)

    async def _read_loop(self, ws: WebSocket) -> None:
        async for message in ws:
            if self._closing:
                return
            try:
                reply = self._handle(_decode(message))
            except vol.Invalid as err:
                reply = {
                    "type": "error",
                    "error": "invalid_message",
                    "message": str(err),
                }
            if reply is not None:
                self._send(reply)
                # A client that sends and never reads: stop reading it instead of
                # queueing replies without end (a lost one ends the loop next).
                with contextlib.suppress(ConnectionError):
                    await ws.drain()

    def _handle(self, data: Any) -> dict[str, Any] | None:
        """Act on one client message; return the direct reply, if any."""
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "subscribe":
            self._subscribe(schemas.WS_SUBSCRIBE(data)["since"])
            return None
        if kind == "ping":
            schemas.WS_PING(data)
            return {"type": "pong"}
        raise vol.Invalid("expected a subscribe or ping message")

    def _subscribe(self, since: int | None) -> None:
        if self._writer is not None:
            raise vol.Invalid("already subscribed")
        core = self._context.core
        # Live first, stored second: nothing can fall between the two.
        self._unsubscribe = core.subscribe(self._on_event, self._on_state)
        self._unannounced = core.events.on_announced(self._write_announced)
        last_seq = core.events.last_seq
        if since is None:
            cursor = last_seq
        elif since > last_seq:
            # A seq from another history (the data directory was replaced): this
            # lock's events are all new to the client.
            cursor = 0
        else:
            cursor = since
        self._writer = asyncio.create_task(self._stream(cursor))

    def _on_event(self, event: Event) -> None:
        self._enqueue(event)
        if _ends_session(event, self.client):
            # The event that revoked this client is the last thing it receives: no
            # later event or state may slip in before the close.
            self.finish(CLOSE_UNAUTHORIZED, "revoked")

    def _on_state(self, state: LockState) -> None:
        # The newest announced snapshot: every change announces one after it.
        self._announced = state
        if not self._state_pending:
            self._state_pending = True
            self._enqueue(_STATE)

    def _enqueue(self, item: _Item) -> None:
        if len(self._backlog) >= self._backlog_size:
            if not self._closing:
                _LOGGER.warning(
                    "Closing a WebSocket that cannot keep up",
                    extra={"client_id": self.client.id if self.client else None},
                )
                self.close_soon(CLOSE_SLOW_CONSUMER, "slow_consumer")
            return
        self._backlog.append(item)
        if not self._live or self._ws is None:
            return
        # Nothing written yet this turn: this one leaves now (or, among a sync's
        # announcements, with the last of them: _write_announced); what the rest of the
        # turn makes ready goes out with the turn's end (WebSocket.before_flush).
        quiet = self._ws.quiet
        self._pump()
        if quiet and not self._context.core.events.announcing:
            self._ws.flush()

    def _write_announced(self) -> None:
        """Write what a sync's announcements framed, before the loop runs anything else.

        Not at the turn's end: ahead of it there may be a state snapshot to take, or
        the next batch of MCU events read meanwhile (issue #18).
        """
        if self._live and self._ws is not None and self._ws.buffered:
            self._ws.flush()

    def _pump(self, *, end_of_turn: bool = False) -> None:
        """Frame the backlog in order while the peer takes more.

        A state change last in the backlog waits for the end of the turn (or the next
        event), so that later changes of the same turn are sent with it, as one.
        """
        ws = self._ws
        backlog = self._backlog
        while backlog and ws is not None and not self._closing:
            item = backlog[0]
            if item is _STATE and len(backlog) == 1 and not end_of_turn:
                ws.flush_soon()
                return
            if ws.backed_up:
                self._backed_up.set()  # the writer goes on once the peer reads
                return
            backlog.popleft()
            if isinstance(item, Event):
                if item.seq > self._cursor:
                    self._send_event(item)
                    self._cursor = item.seq
            elif isinstance(item, _Finish):
                backlog.clear()
                self.close_soon(item.code, item.reason)
                return
            else:
                self._send_state()
            if ws.buffered > _FLUSH_AT:
                # Written now, so that a peer that does not read is noticed (the
                # transport pauses) before one turn frames without end.
                ws.flush()

    def _end_of_turn(self) -> None:
        """Frame what waited for the end of this turn (a state change), before its write."""
        if self._live:
            self._pump(end_of_turn=True)

    async def _stream(self, cursor: int) -> None:
        ws = self._ws
        if ws is None:
            return
        events = self._context.core.events
        while page := events.query(since=cursor, limit=REPLAY_PAGE):
            for event in page:
                self._send_event(event)
            await ws.drain()
            cursor = page[-1].seq
        self._send({"type": "subscribed", "last_seq": cursor})
        self._send_state()
        self._cursor = cursor
        self._live = True
        while not self._closing:
            # What came during the replay, or waited while the peer took nothing.
            self._pump()
            ws.flush()
            if ws.backed_up:
                await ws.drain()  # until the peer takes more
                continue
            self._backed_up.clear()
            await self._backed_up.wait()

    def _send_event(self, event: Event) -> None:
        self._send({"type": "event", "seq": event.seq, "event": event.as_dict()})

    def _send_state(self) -> None:
        """Send the current state, unless this connection was sent the same one last.

        Many things note a change that leaves the state as it was (each MCU event
        handled, a match started); the client has that state already. So it has when
        only ``last_seq`` moved: the events it was sent carry their seqs.
        """
        self._state_pending = False
        state, self._announced = self._announced or self._context.core.state, None
        sent = self._sent_state
        if sent is not None and _BUT_LAST_SEQ(state) == _BUT_LAST_SEQ(sent):
            return
        self._sent_state = state
        self._send({"type": "state", "state": state.as_dict()})

    def _send(self, message: dict[str, Any]) -> None:
        """Frame ``message``; it is written with the rest of this loop turn's."""
        if self._ws is not None:
            self._ws.send_text(json.dumps(message))

    def _unsubscribe_live(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._unannounced is not None:
            self._unannounced()
            self._unannounced = None

    async def _stop_streaming(self) -> None:
        self._unsubscribe_live()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await self._writer


def _ends_session(event: Event, client: Client | None) -> bool:
    """Whether ``event`` revokes ``client`` (its own revocation, or a factory reset)."""
    if event.type == "factory_reset":
        return True
    return (
        event.type == "client_revoked"
        and client is not None
        and event.data.get("client_id") == client.id
    )


def _decode(message: Message) -> Any:
    if not isinstance(message, str):
        return None
    try:
        return json.loads(message)
    except ValueError, RecursionError:
        return None


async def websocket(request: Request) -> Response:
    """``GET /api/v1/ws``."""
    return await WsSession(request, request[CONTEXT]).run(request[CLIENT])
