"""A request as a handler sees it: method, path, query, headers, and its body on demand."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol, cast
from urllib.parse import parse_qsl, unquote, urlsplit

import h11

from .messages import Headers, Key, Response
from .websocket import WebSocket


class Exchange(Protocol):
    """What a request needs of its connection (``connection.HttpConnection``)."""

    async def read_body(self, limit: int) -> bytes:
        """Read the body, refusing one over ``limit`` bytes (413)."""

    async def upgrade(
        self,
        request: Request,
        *,
        heartbeat: float | None,
        max_message: int,
        close_timeout: float,
    ) -> WebSocket:
        """Switch the connection to the WebSocket protocol (400 if not asked for)."""

    async def start_stream(self, response: Response) -> StreamResponse:
        """Send ``response``'s status and headers; the body follows in parts."""


class Request:
    """One request; the body is read only when a handler asks for it."""

    __slots__ = (
        "_body",
        "_exchange",
        "_values",
        "headers",
        "http_version",
        "match_info",
        "max_body",
        "method",
        "path",
        "query_string",
        "raw_path",
        "remote",
        "route",
        "transport",
    )

    def __init__(
        self,
        exchange: Exchange,
        event: h11.Request,
        transport: asyncio.Transport,
        max_body: int,
    ) -> None:
        """Describe ``event`` (h11's parsed request line and headers)."""
        self._exchange = exchange
        self.transport = transport
        self.max_body = max_body
        self.method = event.method.decode("ascii")
        target = event.target.decode("latin-1")
        if target.startswith("/"):  # origin form: "//x/y" is a path, not a host
            raw_path, _, query = target.partition("#")[0].partition("?")
        else:  # absolute form (a proxy's), or "*"
            parts = urlsplit(target)
            raw_path, query = parts.path or target, parts.query
        self.raw_path = raw_path
        self.path = unquote(raw_path)
        self.query_string = query
        self.headers = Headers(event.headers)  # names lower-cased by h11
        self.http_version = event.http_version.decode("ascii")
        peer = transport.get_extra_info("peername")
        self.remote: str | None = str(peer[0]) if peer else None
        self.match_info: dict[str, str] = {}
        """The path's ``{name}`` parameters, once routed."""
        self.route: str | None = None
        """The template of the route that matched (``/users/{number}``), once routed."""
        self._values: dict[Key[Any], Any] = {}
        self._body: bytes | None = None

    def __getitem__[T](self, key: Key[T]) -> T:
        """Return the value stored under ``key``."""
        return cast("T", self._values[key])

    def __setitem__[T](self, key: Key[T], value: T) -> None:
        """Store ``value`` under ``key`` for the rest of this request."""
        self._values[key] = value

    def get[T](self, key: Key[T]) -> T | None:
        """Return the value stored under ``key``, or None."""
        return cast("T | None", self._values.get(key))

    def query(self) -> list[tuple[str, str]]:
        """Return the query string's parameters in order (repeats kept)."""
        return parse_qsl(self.query_string, keep_blank_values=True)

    @property
    def host(self) -> str:
        """Return the ``Host`` header's name, without its port ("" when none)."""
        host = self.headers.get("host") or ""
        if host.startswith("["):
            return host[: host.find("]") + 1] if "]" in host else host
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

    @property
    def content_type(self) -> str:
        """Return the media type of ``Content-Type``, lower-cased, without parameters."""
        value = self.headers.get("content-type") or "application/octet-stream"
        return value.split(";", 1)[0].strip().lower()

    async def read(self) -> bytes:
        """Return the body (at most ``max_body`` bytes, else ``413``)."""
        if self._body is None:
            self._body = await self._exchange.read_body(self.max_body)
        return self._body

    async def text(self) -> str:
        """Return the body as UTF-8 text (undecodable bytes replaced)."""
        return (await self.read()).decode("utf-8", errors="replace")

    async def websocket(
        self,
        *,
        heartbeat: float | None = None,
        max_message: int = 64 * 1024,
        close_timeout: float = 10.0,
    ) -> WebSocket:
        """Accept the WebSocket this request asks for (``400`` if it asks for none)."""
        return await self._exchange.upgrade(
            self,
            heartbeat=heartbeat,
            max_message=max_message,
            close_timeout=close_timeout,
        )

    async def stream(self, response: Response) -> StreamResponse:
        """Start answering with ``response``'s status and headers; write the body after."""
        return await self._exchange.start_stream(response)


class Sink(Protocol):
    """Where a streamed body goes (the connection)."""

    async def send_part(self, data: bytes) -> None:
        """Send ``data`` and wait while the client does not take it."""

    def end_body(self) -> None:
        """End the body."""


class StreamResponse(Response):
    """An answer whose status and headers are sent; its body is written in parts."""

    __slots__ = ("_sink", "ended")

    def __init__(self, sink: Sink, response: Response) -> None:
        """Stream into ``sink``; ``response`` gave the status and headers."""
        super().__init__(response.status, b"", response.headers, response.close)
        self._sink = sink
        self.ended = False

    async def write(self, data: bytes) -> None:
        """Send ``data``; wait while the client takes nothing.

        Raises ``ConnectionResetError`` once the client is gone.
        """
        await self._sink.send_part(data)

    async def write_eof(self) -> None:
        """End the body."""
        if not self.ended:
            self.ended = True
            self._sink.end_body()
