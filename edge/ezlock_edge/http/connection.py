"""One HTTP/1.1 connection: h11 parses, one task answers its requests in order.

What this layer keeps so that no handler has to:

- **Order and keep-alive.** Requests are answered one after the other; what a client
  pipelines while a handler runs is buffered up to ``READ_AHEAD`` bytes, then reading
  pauses (reading goes on until then, so a client that leaves is noticed at once); a
  connection idle for ``keep_alive`` seconds between requests is closed.
- **Limits.** A request head over ``max_head`` bytes is refused (``431``), a body over
  the handler's limit (``413``) before it is read when its length is declared; a body
  a handler did not read is discarded for at most ``linger`` seconds, then the
  connection closes (``Connection: close``), so nothing unread is mistaken for the next
  request.
- **Malformed input** gets an error answer (the server's ``error_page``) and the
  connection is closed; nothing of it reaches a handler. Stricter than h11 where
  parsers differ (request smuggling through a proxy that reads the head otherwise):
  a head line that ends in a bare LF, and an obsolete line folding, are refused
  (``400``; RFC 9112 2.2 and 5.2 allow either refusal).
- **Upgrades.** A handler may turn the connection into a WebSocket (``101``) or stream
  a body of unknown length (chunked).

Deadlines for connections that never send a complete request are the listener's
(``ezlock_edge.api.listener``): this layer has no notion of trust.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
from http import HTTPStatus
import logging
import re
from typing import cast

import h11

from .messages import HttpError, Response, http_date
from .request import Request, StreamResponse
from .websocket import WebSocket, accept_token
from .writer import Writer

_LOGGER = logging.getLogger(__name__)

type Handler = Callable[[Request], Awaitable[Response]]
type ErrorPage = Callable[[HttpError], Response]
type H11Event = type[h11.NEED_DATA | h11.PAUSED] | h11.Event

_NO_BODY_STATUS = frozenset({204, 304})
READ_AHEAD = 64 * 1024
"""Bytes a client may send while its request is answered before reading pauses."""


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """How much a connection may send, and how long it may sit idle."""

    max_head: int = 16 * 1024
    """Bytes of request line and headers."""
    max_body: int = 1024 * 1024
    """Bytes of a body (a handler may read less: ``Request.max_body``)."""
    keep_alive: float = 75.0
    """Seconds a connection may wait between two requests (loop time)."""
    linger: float = 5.0
    """Seconds an unread body is discarded for before the connection closes."""


def plain_error(error: HttpError) -> Response:
    """Answer a refusal of the HTTP layer as text."""
    return Response(
        error.status,
        f"{error.status} {error.reason}\n".encode(),
        {**error.headers, "Content-Type": "text/plain; charset=utf-8"},
    )


class HttpConnection(asyncio.Protocol):
    """Serves one connection with ``handler``; ``live`` holds it until its task ends.

    Until the task ends, not only until the connection is lost: a handler may still
    be finishing (a WebSocket dropped at its close timeout), and a server's shutdown
    waits for it (``server.Connections.close``).
    """

    def __init__(
        self,
        handler: Handler,
        live: set[HttpConnection],
        *,
        limits: HttpLimits | None = None,
        error_page: ErrorPage = plain_error,
    ) -> None:
        """Prepare; the connection starts with :meth:`connection_made`."""
        self._handler = handler
        self._live = live
        self._limits = limits or HttpLimits()
        self._error_page = error_page
        self._h11 = self._new_cycle()
        # The raw bytes of the request head being received (None once it was checked).
        self._raw_head: bytearray | None = bytearray()
        self._head_refused: str | None = None
        self._transport: asyncio.Transport | None = None
        self._writer: Writer | None = None
        self._task: asyncio.Task[None] | None = None
        self._data = asyncio.Event()
        self._waiting = False  # the task waits for bytes: reading must go on
        self._read_ahead = 0  # bytes received while not waiting for them
        self._reading_paused = False
        self._lost = False
        self._idle = True  # between requests: a shutdown may close it now
        self._shutting_down = False
        self._stream: StreamResponse | None = None
        self._websocket: WebSocket | None = None
        self._declared: int | None = None  # the request's Content-Length

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start serving."""
        self._transport = cast("asyncio.Transport", transport)
        self._writer = Writer(self._transport)
        self._live.add(self)
        self._task = asyncio.get_running_loop().create_task(self._serve())
        self._task.add_done_callback(lambda _: self._live.discard(self))

    def data_received(self, data: bytes) -> None:
        """Hand bytes to h11 (or to the WebSocket once upgraded)."""
        if self._websocket is not None:
            self._websocket.feed(data)
            return
        with contextlib.suppress(RuntimeError):  # bytes after the client's EOF
            self._h11.receive_data(data)
        if self._raw_head is not None:
            self._check_head(data)
        self._data.set()
        if self._waiting:
            return
        self._read_ahead += len(data)
        if self._read_ahead > READ_AHEAD and not self._reading_paused:
            # A handler runs: the rest of what the client pipelines waits in the kernel.
            self._reading_paused = True
            self._transport_().pause_reading()

    def eof_received(self) -> bool | None:
        """Note that the client sends nothing more (the transport then closes)."""
        if self._websocket is None:
            with contextlib.suppress(RuntimeError):
                self._h11.receive_data(b"")
            self._data.set()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """Wake whatever waits on the connection: it ended."""
        self._lost = True
        if self._writer is not None:
            self._writer.lost()
        self._data.set()
        if self._websocket is not None:
            self._websocket.connection_lost()

    def pause_writing(self) -> None:
        """Hold writers back: the transport's buffer is full."""
        if self._writer is not None:
            self._writer.pause()

    def resume_writing(self) -> None:
        """Let writers go on: the transport's buffer drained."""
        if self._writer is not None:
            self._writer.resume()

    # shutdown

    def shut_down(self) -> None:
        """Close now if idle, else after the answer being written."""
        self._shutting_down = True
        if self._idle:
            self._data.set()

    async def wait_closed(self) -> None:
        """Wait until the connection's task has ended (however it ends)."""
        if self._task is not None:
            await asyncio.wait([self._task])

    def abort(self) -> None:
        """Drop the connection now, and stop its handler if it is still running."""
        if self._transport is not None:
            self._transport.abort()
        if self._task is not None:
            self._task.cancel()

    # serving

    def _transport_(self) -> asyncio.Transport:
        if self._transport is None:
            raise RuntimeError("not connected")
        return self._transport

    def _writer_(self) -> Writer:
        if self._writer is None:
            raise RuntimeError("not connected")
        return self._writer

    def _new_cycle(self) -> h11.Connection:
        return h11.Connection(
            h11.SERVER, max_incomplete_event_size=self._limits.max_head
        )

    async def _serve(self) -> None:
        try:
            while await self._serve_one():
                pass
        except h11.RemoteProtocolError as err:
            self._refuse(HttpError(err.error_status_hint, _public_reason(err)))
        except ConnectionError:
            pass
        except Exception:
            _LOGGER.exception("HTTP connection failed")
        finally:
            if self._websocket is not None and not self._websocket.closed:
                self._websocket.abort()
            if self._transport is not None:
                self._transport.close()

    def _check_head(self, data: bytes) -> None:
        """Look at the raw lines of the head being received, as h11 will not.

        h11 takes a bare LF for a line's end and unfolds an obsolete line folding; a
        proxy in front that does neither reads another head from the same bytes (a
        header more or less, where the body begins). Both are refused here instead.
        """
        head = self._raw_head
        if head is None:
            return
        scanned = max(
            0, len(head) - 2
        )  # searched already, but for a blank line's start
        head += data
        end = _BLANK_LINE.search(head, scanned)
        if end is None:
            if len(head) > self._limits.max_head:
                self._raw_head = None  # h11 refuses it as too large
            return
        lines = bytes(head[: end.end()])
        self._raw_head = None
        if lines.count(b"\n") != lines.count(b"\r\n"):
            self._head_refused = "A head line ends without CR"
        elif _FOLDED.search(lines):
            self._head_refused = "Obsolete line folding"

    def _expect_head(self, trailing: bytes) -> None:
        """Check the next request's head, which begins with ``trailing``."""
        self._raw_head, self._head_refused = bytearray(), None
        if trailing:
            self._check_head(trailing)

    async def _serve_one(self) -> bool:
        """Answer one request; whether the connection may serve another."""
        self._idle = True
        event = await self._next_event(idle=True)
        if not isinstance(event, h11.Request):
            return False
        if self._head_refused is not None:
            raise h11.RemoteProtocolError(self._head_refused, 400)
        self._idle = False
        # h11 bounds a head still incomplete; one that arrived whole is bounded here.
        head = len(event.target) + sum(len(k) + len(v) + 4 for k, v in event.headers)
        if head > self._limits.max_head:
            raise h11.RemoteProtocolError("Request head too large", 431)
        request = Request(self, event, self._transport_(), self._limits.max_body)
        if (
            "transfer-encoding" in request.headers
            and "content-length" in request.headers
        ):
            # h11 would take the chunks; two framings is how requests are smuggled
            # past a proxy (RFC 9112 6.3: reject, or close after): refused.
            raise h11.RemoteProtocolError("Content-Length with Transfer-Encoding", 400)
        # h11 has checked the header (digits, one value); none when chunked.
        length = request.headers.get("content-length")
        self._declared = int(length) if length is not None else None
        response = await self._run(request)
        if self._websocket is not None:
            return False
        if self._stream is not None:
            ended, self._stream = self._stream.ended, None
            if not ended or response.close:
                return False
        elif self._h11.our_state is h11.SEND_RESPONSE:
            body_read = self._discard_buffered_body()
            close = (
                response.close
                or not body_read
                or self._shutting_down
                or not _keep_alive(request)
            )
            self._write_response(request, response, close=close)
            # A client that pipelines and never reads gets no more answers queued.
            await self._writer_().drain()
            if not body_read:
                await self._linger()
                return False
            if close:
                return False
            self._next_cycle()
            return not self._shutting_down
        else:
            return False
        if (
            self._shutting_down
            or self._h11.our_state is not h11.DONE
            or self._h11.their_state is not h11.DONE
        ):
            return False
        self._expect_head(bytes(self._h11.trailing_data[0]))
        self._h11.start_next_cycle()
        return True

    def _next_cycle(self) -> None:
        """Parse the next request afresh, after an answer written without h11.

        The request was read whole and answered (the answer's own bytes, not h11's
        events: see :meth:`_write_response`); what the client pipelined behind it is
        handed to a new parser, as ``start_next_cycle`` would keep it.
        """
        data, closed = self._h11.trailing_data
        self._h11 = self._new_cycle()
        self._expect_head(bytes(data))
        if data:
            self._h11.receive_data(bytes(data))
        if closed:
            self._h11.receive_data(b"")

    async def _run(self, request: Request) -> Response:
        try:
            return await self._handler(request)
        except HttpError as err:
            return self._error_page(err)
        except ConnectionError:
            return Response(500, close=True)
        except Exception:
            _LOGGER.exception(
                "Unhandled error in %s %s", request.method, request.raw_path
            )
            return self._error_page(HttpError(500))

    async def _next_event(
        self, *, idle: bool = False, within: float | None = None
    ) -> H11Event | None:
        """Return h11's next event, reading as needed; None if the connection ended.

        ``idle``: waiting for a request, for at most ``keep_alive`` seconds (then
        None). ``within``: seconds a wait may last (then ``TimeoutError``). A timer is
        set only when there is something to wait for: what came with the head (a
        small body) is returned without one.
        """
        if idle:
            within = self._limits.keep_alive
        deadline: float | None = None
        while True:
            event = self._h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            if self._lost or (idle and self._shutting_down):
                return None
            self._data.clear()
            self._waiting = True
            self._read_ahead = 0
            if self._reading_paused:
                self._reading_paused = False
                self._transport_().resume_reading()
            if deadline is None and within is not None:
                deadline = asyncio.get_running_loop().time() + within
            try:
                if deadline is None:
                    await self._data.wait()
                else:
                    async with asyncio.timeout_at(deadline):
                        await self._data.wait()
            except TimeoutError:
                if idle:
                    return None
                raise
            finally:
                self._waiting = False

    def _discard_buffered_body(self) -> bool:
        """Skip what arrived of the body; whether all of it has (without waiting)."""
        try:
            while self._h11.their_state is h11.SEND_BODY:
                if self._h11.next_event() is h11.NEED_DATA:
                    return False
        except h11.RemoteProtocolError:
            return False
        return True

    async def _linger(self) -> None:
        """Discard the rest of an unread body for a while, so the answer is read."""
        with contextlib.suppress(TimeoutError, h11.RemoteProtocolError):
            async with asyncio.timeout(self._limits.linger):
                while self._h11.their_state is h11.SEND_BODY:
                    if await self._next_event() is None:
                        return

    def _head(self, response: Response, *, close: bool) -> list[tuple[str, str]]:
        headers = list(response.headers.items())
        names = {name.lower() for name, _ in headers}
        if "content-length" not in names and response.status not in _NO_BODY_STATUS:
            headers.append(("Content-Length", str(len(response.body))))
        if "date" not in names:
            headers.append(("Date", http_date()))
        if close:
            headers.append(("Connection", "close"))
        return headers

    def _write_response(
        self, request: Request, response: Response, *, close: bool
    ) -> None:
        """Write a whole answer in one write, its head formatted here.

        Not through h11's events: building and checking them cost more than the rest
        of a small request's handling (issue #18). What h11 would add is here: the
        framing (``Content-Length``), ``Connection: close`` when the client asked for
        it or spoke HTTP/1.0, no body for ``HEAD``, ``204`` and ``304``; and every
        header line is checked (a name token, a value without control characters).
        """
        lines = [f"HTTP/1.1 {response.status} {_phrase(response.status).decode()}"]
        for name, value in self._head(response, close=close):
            line = f"{name}: {value}"
            if not _HEADER_LINE.fullmatch(line):
                raise ValueError(f"Invalid response header {name!r}")
            lines.append(line)
        lines.append("\r\n")
        head = "\r\n".join(lines).encode("latin-1")
        if (
            response.body
            and request.method != "HEAD"
            and response.status not in _NO_BODY_STATUS
        ):
            head += response.body
        self._writer_().write(head)

    def _refuse(self, error: HttpError) -> None:
        """Answer a request h11 could not parse, then close."""
        if self._h11.our_state not in {h11.IDLE, h11.SEND_RESPONSE} or self._lost:
            return
        response = self._error_page(error)
        _LOGGER.debug("Refused a malformed request: %s", error.reason)
        head = [f"HTTP/1.1 {error.status} {_phrase(error.status).decode()}"]
        head += [f"{name}: {value}" for name, value in response.headers.items()]
        head += [
            f"Content-Length: {len(response.body)}",
            f"Date: {http_date()}",
            "Connection: close",
        ]
        raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body
        self._writer_().write(raw)

    # the request's side (request.Exchange)

    async def read_body(self, limit: int) -> bytes:
        """Read the body, refusing one over ``limit`` bytes (``413``).

        A body that stops coming for ``keep_alive`` seconds is ``408``: the listener's
        deadline covers only connections without a token, and a server may have none.
        """
        if self._h11.their_state is not h11.SEND_BODY:
            return b""
        declared = self._declared
        if declared is not None and declared > limit:
            raise HttpError(413, f"The body is larger than {limit} bytes")
        if self._h11.they_are_waiting_for_100_continue:
            self._writer_().write(
                self._h11.send(h11.InformationalResponse(status_code=100, headers=[]))
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                event = await self._next_event(within=self._limits.keep_alive)
            except h11.RemoteProtocolError as err:
                raise HttpError(400, _public_reason(err)) from None
            except TimeoutError:
                raise HttpError(408, "The body stopped coming") from None
            if event is None:
                raise ConnectionResetError("the client left during its body")
            if isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > limit:
                    raise HttpError(413, f"The body is larger than {limit} bytes")
                chunks.append(bytes(event.data))

    async def upgrade(
        self,
        request: Request,
        *,
        heartbeat: float | None,
        max_message: int,
        close_timeout: float,
    ) -> WebSocket:
        """Accept the request's WebSocket upgrade (RFC 6455 4.2.2)."""
        headers = request.headers
        if (
            request.method != "GET"
            or request.http_version != "1.1"  # "HTTP/1.1 or higher" (RFC 6455 4.1)
            or "websocket" not in headers.tokens("upgrade")
            or "upgrade" not in headers.tokens("connection")
        ):
            raise HttpError(400, "Expected a WebSocket upgrade request")
        if headers.get("sec-websocket-version") != "13":
            raise HttpError(
                400,
                "Unsupported WebSocket version",
                {"Sec-WebSocket-Version": "13"},
            )
        key = headers.get("sec-websocket-key") or ""
        try:
            valid = len(base64.b64decode(key, validate=True)) == 16
        except binascii.Error:
            valid = False
        if not valid:
            raise HttpError(400, "Invalid Sec-WebSocket-Key")
        if not self._discard_buffered_body():
            raise HttpError(400, "A WebSocket upgrade request has no body")
        try:
            handshake = self._h11.send(
                h11.InformationalResponse(
                    status_code=101,
                    headers=[
                        ("Upgrade", "websocket"),
                        ("Connection", "Upgrade"),
                        ("Sec-WebSocket-Accept", accept_token(key)),
                    ],
                    reason=b"Switching Protocols",
                )
            )
        except h11.LocalProtocolError:
            # h11 saw no switch offered: nothing to switch to.
            raise HttpError(400, "Expected a WebSocket upgrade request") from None
        trailing, _ = self._h11.trailing_data
        websocket = WebSocket(
            self._writer_(),
            handshake=handshake or b"",
            trailing=bytes(trailing),
            heartbeat=heartbeat,
            max_message=max_message,
            close_timeout=close_timeout,
        )
        self._websocket = websocket
        if self._reading_paused:
            self._reading_paused = False
            self._transport_().resume_reading()
        return websocket

    async def start_stream(self, response: Response) -> StreamResponse:
        """Send the status and headers; the body follows in chunks."""
        if self._h11.our_state is not h11.SEND_RESPONSE:
            raise RuntimeError("the answer was already sent")
        close = response.close or not self._discard_buffered_body()
        headers = self._head_for_stream(response, close=close)
        self._writer_().write(
            self._h11.send(
                h11.Response(
                    status_code=response.status,
                    headers=headers,
                    reason=_phrase(response.status),
                )
            )
            or b""
        )
        self._stream = StreamResponse(self, response)
        if close:
            self._stream.force_close()
        return self._stream

    def _head_for_stream(
        self, response: Response, *, close: bool
    ) -> list[tuple[str, str]]:
        headers = list(response.headers.items())
        headers.append(("Date", http_date()))
        if close:
            headers.append(("Connection", "close"))
        return headers

    async def send_part(self, data: bytes) -> None:
        """Send one part of a streamed body; wait while the client takes nothing."""
        writer = self._writer_()
        if writer.closed:
            raise ConnectionResetError("connection lost")
        writer.write(self._h11.send(h11.Data(data=data)) or b"")
        await writer.drain()

    def end_body(self) -> None:
        """End a streamed body."""
        self._writer_().write(self._h11.send(h11.EndOfMessage()) or b"")


# A response header line as RFC 9110 5.1/5.5 allows it (field-content without obs-text).
_BLANK_LINE = re.compile(rb"\n\r?\n")  # the end of a head, as h11 finds it
_FOLDED = re.compile(rb"\n[ \t]")  # a line that continues the one before (obs-fold)
_HEADER_LINE = re.compile(
    r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+: (?:[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?)?"
)


def _keep_alive(request: Request) -> bool:
    """Whether the client lets the connection serve another request (as h11 decides)."""
    return request.http_version >= "1.1" and "close" not in request.headers.tokens(
        "connection"
    )


# h11 quotes what it could not parse (``illegal header line: bytearray(b'...')``):
# that may be a credential, so neither the answer nor the log repeats it.
_QUOTED = re.compile(r"""(?::\s*)?(?:bytearray\()?b['"].*""", re.DOTALL)


def _public_reason(error: h11.RemoteProtocolError) -> str:
    """Return h11's reason for refusing a request, without the bytes it quotes."""
    return _QUOTED.sub("", str(error)).strip() or "Malformed request"


def _phrase(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode("latin-1")
    except ValueError:
        return b""
