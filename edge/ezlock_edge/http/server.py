"""The open connections of one server, and a plain listening server (the simulator's).

The API accepts its connections itself (``ezlock_edge.api.listener``, for its limits)
and hands each to an :class:`HttpConnection` made by :meth:`Connections.factory`; a
server without such limits uses :func:`serve`. Either way :meth:`Connections.close`
shuts down cleanly: idle connections close at once, an answer being written is
finished (for at most ``SHUTDOWN_TIMEOUT`` seconds), then whatever is left is dropped
and its handler cancelled; when it returns, no connection's task is left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib

from .connection import ErrorPage, Handler, HttpConnection, HttpLimits, plain_error

SHUTDOWN_TIMEOUT = 10.0


class Connections:
    """The connections served with one handler."""

    def __init__(
        self,
        handler: Handler,
        *,
        limits: HttpLimits | None = None,
        error_page: ErrorPage = plain_error,
    ) -> None:
        """Serve every connection with ``handler`` within ``limits``."""
        self._handler = handler
        self._limits = limits
        self._error_page = error_page
        self.live: set[HttpConnection] = set()

    def factory(self) -> Callable[[], HttpConnection]:
        """Return the protocol factory for the event loop."""
        return lambda: HttpConnection(
            self._handler,
            self.live,
            limits=self._limits,
            error_page=self._error_page,
        )

    async def close(self) -> None:
        """Close every connection: idle ones now, busy ones once answered.

        An answer still being written after ``SHUTDOWN_TIMEOUT`` seconds is dropped.
        """
        for connection in list(self.live):
            connection.shut_down()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SHUTDOWN_TIMEOUT):
                await self._all_ended()
        for connection in list(self.live):
            connection.abort()
        await self._all_ended()

    async def _all_ended(self) -> None:
        # ``live`` holds each connection until its task ends (also one lost already).
        while self.live:
            await asyncio.gather(*(c.wait_closed() for c in list(self.live)))


class HttpServer:
    """A listening socket serving :class:`Connections` (no connection limits)."""

    def __init__(self, server: asyncio.Server, connections: Connections) -> None:
        """Wrap a started ``server``."""
        self._server = server
        self._connections = connections
        self.port: int = server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening, then close the connections."""
        self._server.close()
        await self._connections.close()
        await self._server.wait_closed()


async def serve(
    handler: Handler,
    host: str,
    port: int,
    *,
    limits: HttpLimits | None = None,
    error_page: ErrorPage = plain_error,
) -> HttpServer:
    """Listen on ``host:port`` (0: any free port) and serve with ``handler``."""
    connections = Connections(handler, limits=limits, error_page=error_page)
    server = await asyncio.get_running_loop().create_server(
        connections.factory(), host, port
    )
    return HttpServer(server, connections)
