"""The API's listening socket: bounded connections, deadlines, and room for paired clients.

A plain server accepts as many connections as the process has file descriptors and lets
each sit idle (or half-way through a TLS handshake) for as long as it likes, so ~1,000
idle sockets lock every client out, and a failing ``accept()`` is logged as fast as it
fails. This listener accepts connections itself and hands each to the HTTP layer
(``ezlock_edge.http``) only after:

- **counting it**: at most ``total`` connections at once and ``per_address`` from one
  address (an IPv6 /64 counts as one address: a host picks any address in its prefix);
- **giving it a deadline**: a connection that has not made an authenticated request
  ``deadline`` seconds after it was accepted (TLS handshake included) is closed;
- **keeping paired clients**: a connection becomes *trusted* with its first valid token.
  When a limit is reached the oldest untrusted connection is closed to make room; only
  when every connection in the way is trusted is the new one refused. Idle sockets from
  an attacker therefore never push a paired client out, and never keep a new one out for
  longer than they last themselves. One paired client may hold at most ``per_client``
  trusted connections, so a client (an operate-role token on a phone, say) cannot take
  every slot and keep the others, Home Assistant among them, out.

Refusals and ``accept()`` failures are logged at most once per ``log_interval`` with the
number of repeats, so an attack cannot fill the disk through the journal.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
import errno
import functools
import ipaddress
import logging
import resource
import socket
import ssl
from typing import Any, cast

from ezlock_edge.clock import Clock

_LOGGER = logging.getLogger(__name__)

# accept() failures that mean "out of resources, try again later", not "broken".
_RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_BACKLOG = 128


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """How many connections the API holds open and how long an unpaired one may stay."""

    total: int = 128
    per_address: int = 32
    per_client: int = 16  # trusted connections one paired client may hold
    deadline: float = 5.0  # seconds from accept to the first authenticated request
    handshake_timeout: float = 10.0  # real seconds; a backstop to ``deadline``
    log_interval: float = 60.0  # at most one refusal / accept-failure line per this


class RateLimitedLog:
    """Log a repeated warning once, then at most once per interval with a count."""

    def __init__(self, clock: Clock, interval: float) -> None:
        """Use ``clock`` to space the lines ``interval`` seconds apart."""
        self._clock = clock
        self._interval = interval
        self._next: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def report(self, key: str, message: str, **extra: Any) -> None:
        """Log ``message`` unless a line with ``key`` was logged less than an interval ago."""
        now = self._clock.monotonic()
        if now < self._next.get(key, -1.0):
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        repeats = self._suppressed.pop(key, 0)
        self._next[key] = now + self._interval
        _LOGGER.warning(
            "%s%s",
            message,
            f" ({repeats} more since the last report)" if repeats else "",
            extra=extra,
        )


@functools.lru_cache(maxsize=256)  # every request's throttle asks (issue #18)
def address_key(address: str) -> str:
    """Return what ``per_address`` counts by: the IPv4 address, or the IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address.split("%", maxsplit=1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class _Connection:
    """One accepted connection, from accept to close."""

    __slots__ = ("address", "client", "deadline", "key", "sock", "task", "transport")

    def __init__(self, sock: socket.socket, address: str) -> None:
        self.sock = sock
        self.address = address
        self.key = address_key(address)
        self.client: str | None = None  # the paired client's id, once it showed a token
        self.task: asyncio.Task[None] | None = None
        self.transport: asyncio.Transport | None = None
        self.deadline: asyncio.Handle | None = None

    @property
    def trusted(self) -> bool:
        """Whether a paired client has used this connection."""
        return self.client is not None

    def close(self) -> None:
        """Drop the connection now, wherever it is (handshake or serving)."""
        if self.transport is not None:
            self.transport.abort()
        elif self.task is not None and not self.task.done():
            # Still in the TLS handshake: connect_accepted_socket closes the socket.
            self.task.cancel()
        else:
            self.sock.close()


class _Tracked(asyncio.Protocol):
    """The HTTP layer's protocol for one connection, telling the listener when it starts and ends."""

    def __init__(
        self, inner: asyncio.Protocol, listener: Listener, connection: _Connection
    ) -> None:
        self._inner = inner
        self._listener = listener
        self._connection = connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Registered before the HTTP layer sees the connection: its first request may already
        # be buffered behind the handshake and must find the connection to trust.
        self._listener.on_made(self._connection, cast("asyncio.Transport", transport))
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            self._inner.connection_lost(exc)
        finally:
            self._listener.on_lost(self._connection)


class Listener:
    """Accepts connections for ``factory`` (HTTP connections) within ``limits``."""

    def __init__(
        self,
        factory: Callable[[], asyncio.Protocol],
        clock: Clock,
        ssl_context: ssl.SSLContext | None,
        limits: ConnectionLimits,
    ) -> None:
        """Prepare; nothing listens before :meth:`start`."""
        self._factory = factory
        self._clock = clock
        self._ssl = ssl_context
        self.limits = limits
        self._log = RateLimitedLog(clock, limits.log_interval)
        # Oldest first: eviction takes the longest-waiting untrusted connection.
        self._connections: OrderedDict[_Connection, None] = OrderedDict()
        self._by_transport: dict[asyncio.BaseTransport, _Connection] = {}
        self._sockets: list[socket.socket] = []
        self._accepting: list[asyncio.Task[None]] = []
        self._freed = asyncio.Event()
        self._total = limits.total
        self.port = 0

    @property
    def total(self) -> int:
        """Return the total bound in force: ``limits.total``, or less with few fds.

        Half the process's file-descriptor limit is kept for everything else (UARTs,
        database, the simulator), so connections alone never exhaust it.
        """
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.limits.total
        return max(1, min(self.limits.total, soft // 2))

    @property
    def open_connections(self) -> int:
        """Return how many connections are open (in handshake or serving)."""
        return len(self._connections)

    async def start(self, host: str, port: int) -> None:
        """Bind ``host:port`` (every address ``host`` resolves to) and start accepting."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            host or None,
            port,
            type=socket.SOCK_STREAM,
            flags=socket.AI_PASSIVE,
        )
        try:
            for family, kind, proto, _, address in dict.fromkeys(infos):
                sock = socket.socket(family, kind, proto)
                self._sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                # Port 0: every address gets the port the OS chose for the first.
                bind_to = (address[0], self.port or address[1], *address[2:])
                sock.bind(bind_to)
                sock.listen(_BACKLOG)
                sock.setblocking(False)
                self.port = sock.getsockname()[1]
        except OSError:
            self._close_sockets()
            raise
        self._total = self.total
        self._accepting = [
            loop.create_task(self._accept_loop(sock)) for sock in self._sockets
        ]

    def trusted(self, transport: asyncio.BaseTransport | None) -> bool:
        """Whether the connection of ``transport`` is a paired client's (or not ours)."""
        connection = self._by_transport.get(transport) if transport else None
        return connection is None or connection.trusted

    def trust(self, transport: asyncio.BaseTransport | None, client_id: str) -> bool:
        """Mark the connection of ``transport`` as ``client_id``'s: no deadline, kept.

        False, and the connection stays untrusted, when that client already holds
        ``per_client`` trusted connections. A connection stays counted for the client
        that showed the first token on it, whoever sends requests on it later (a pool
        shared by two tokens is still one connection).
        """
        connection = self._by_transport.get(transport) if transport else None
        if connection is None or connection.client is not None:
            return True
        held = sum(1 for c in self._connections if c.client == client_id)
        if held >= self.limits.per_client:
            self._log.report(
                "per_client",
                "A paired client holds too many connections: refused one more",
                remote=connection.address,
                client_id=client_id,
            )
            return False
        connection.client = client_id
        if connection.deadline is not None:
            connection.deadline.cancel()
            connection.deadline = None
        return True

    async def stop(self) -> None:
        """Stop accepting and drop connections still in their TLS handshake.

        Connections being served are closed by the server (``http.server.Connections``).
        """
        for task in self._accepting:
            task.cancel()
        await asyncio.gather(*self._accepting, return_exceptions=True)
        self._accepting = []
        self._close_sockets()
        pending = [c.task for c in self._connections if c.transport is None and c.task]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _close_sockets(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets = []

    async def _accept_loop(self, listening: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, peer = await loop.sock_accept(listening)
            except OSError as err:
                if err.errno not in _RESOURCE_ERRORS:
                    raise
                self._log.report("accept", f"Cannot accept connections: {err.strerror}")
                # Out of file descriptors: the oldest unauthenticated connection gives
                # its up; with none to drop, wait for one to end instead of spinning.
                self._freed.clear()
                victim = next((c for c in self._connections if not c.trusted), None)
                if victim is not None:
                    self._forget(victim)
                    victim.close()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await self._freed.wait()
                continue
            self._admit(sock, str(peer[0]) if peer else "")

    def _admit(self, sock: socket.socket, address: str) -> None:
        connection = _Connection(sock, address)
        if not self._make_room(connection.key):
            self._log.report(
                "refused",
                "Refused a connection: every slot is held by paired clients",
                remote=address,
            )
            sock.close()
            return
        self._connections[connection] = None
        connection.deadline = self._clock.call_later(
            self.limits.deadline, lambda: self._expire(connection)
        )
        # Eager: the socket belongs to a transport before anything can cancel the task.
        connection.task = asyncio.get_running_loop().create_task(
            self._serve(connection), eager_start=True
        )

    def _make_room(self, key: str) -> bool:
        """Evict untrusted connections until ``key`` may connect; False if it may not."""
        limits = self.limits
        while True:
            same = [c for c in self._connections if c.key == key]
            if len(same) >= limits.per_address:
                scope = same
            elif len(self._connections) >= self._total:
                scope = list(self._connections)
            else:
                return True
            victim = next((c for c in scope if not c.trusted), None)
            if victim is None:
                return False
            self._log.report(
                "evicted",
                "Connection limit reached: closing the oldest unauthenticated one",
                remote=victim.address,
            )
            self._forget(victim)
            victim.close()

    def _expire(self, connection: _Connection) -> None:
        connection.deadline = None
        if connection.trusted or connection not in self._connections:
            return
        _LOGGER.debug(
            "Closing a connection that did not authenticate in time",
            extra={"remote": connection.address},
        )
        self._forget(connection)
        connection.close()

    async def _serve(self, connection: _Connection) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.connect_accepted_socket(
                lambda: _Tracked(self._factory(), self, connection),
                connection.sock,
                ssl=self._ssl,
                ssl_handshake_timeout=(
                    self.limits.handshake_timeout if self._ssl else None
                ),
            )
        except (OSError, ssl.SSLError, TimeoutError) as err:
            _LOGGER.debug(
                "TLS handshake failed: %s", err, extra={"remote": connection.address}
            )
            self.on_lost(connection)
        except asyncio.CancelledError:
            self.on_lost(connection)
        except AttributeError:
            # Under asyncio's debug mode connect_accepted_socket reads the transport's
            # socket after the handshake; a TLS transport closed twice by then (its
            # protocol closed it, then the peer hung up) has dropped its SSL protocol
            # and raises instead (CPython's sslproto). The connection came and went.
            _LOGGER.debug(
                "Connection closed as its handshake ended",
                extra={"remote": connection.address},
            )
            self.on_lost(connection)

    def on_made(self, connection: _Connection, transport: asyncio.Transport) -> None:
        """Note that ``connection`` is served over ``transport`` (handshake done)."""
        connection.transport = transport
        if connection not in self._connections:
            transport.abort()  # evicted or expired during the handshake's last step
            return
        self._by_transport[transport] = connection

    def on_lost(self, connection: _Connection) -> None:
        """Forget ``connection``: it ended, its slot is free."""
        self._forget(connection)
        self._freed.set()

    def _forget(self, connection: _Connection) -> None:
        self._connections.pop(connection, None)
        if connection.transport is not None:
            self._by_transport.pop(connection.transport, None)
        if connection.deadline is not None:
            connection.deadline.cancel()
            connection.deadline = None
