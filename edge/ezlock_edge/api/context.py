"""What every handler shares: the lock core, the clock, the auth throttle, live sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
import logging
from typing import TYPE_CHECKING, Any

from ezlock_edge.clock import Clock
from ezlock_edge.core.events import Event
from ezlock_edge.core.lock import LockCore
from ezlock_edge.core.models import Client
from ezlock_edge.http.messages import Key
from ezlock_edge.tasks import BackgroundTasks

from .auth import AuthThrottle, WriteRateLimit, token_hash
from .errors import ApiError
from .listener import address_key
from .version import API_VERSION

if TYPE_CHECKING:
    from .listener import Listener
    from .ws import WsSession

_LOGGER = logging.getLogger(__name__)

# How often a client's ``last_seen`` is written: often enough to show who is active,
# rarely enough that a busy client does not turn every request into a disk write.
TOUCH_INTERVAL = 60.0


@dataclass(frozen=True, slots=True)
class WsSettings:
    """How the server keeps each WebSocket (docs/api.md, WebSocket)."""

    heartbeat: float = 20.0
    """Seconds between the server's pings; a client that misses one is dropped."""
    queue_size: int = 1000
    """Messages that may wait for a client that takes nothing more (its connection's
    buffers full) before it is closed as a slow consumer."""


CLOSE_UNAUTHORIZED = 4001


class ApiContext:
    """State of the API server that outlives single requests."""

    def __init__(
        self,
        core: LockCore,
        clock: Clock,
        tls_fingerprint: str | None,
        *,
        api_version: int = API_VERSION,
        ws: WsSettings | None = None,
    ) -> None:
        """Serve ``core``; ``tls_fingerprint`` is None on plain HTTP."""
        self.core = core
        self.clock = clock
        self.tls_fingerprint = tls_fingerprint
        self.api_version = api_version
        self.ws = ws or WsSettings()
        self.throttle = AuthThrottle(clock)
        self.writes = WriteRateLimit(clock)
        self.sessions: set[WsSession] = set()
        self.listener: Listener | None = None  # set once the server listens
        self._tasks = BackgroundTasks(_LOGGER)
        self._touched: dict[str, float] = {}

    def authenticate(self, address: str, token: str) -> Client:
        """Return the client ``token`` belongs to, counting failures per address.

        An IPv6 /64 is one address, as for the connection limits: a host picks any
        address in its prefix, and a fresh one must not start its count afresh.
        """
        key = address_key(address)
        self.throttle.check(key)
        client = self.core.find_client(token_hash(token))
        if client is None:
            self.throttle.failure(key)
            _LOGGER.info("Refused a bad token", extra={"remote": address})
            raise ApiError(401, "unauthorized", "Unknown or revoked token")
        self.throttle.success(key)
        now = self.clock.monotonic()
        if now - self._touched.get(client.id, -TOUCH_INTERVAL) >= TOUCH_INTERVAL:
            self._touched[client.id] = now
            self.core.touch_client(client.id)
        return client

    def trust(self, transport: asyncio.BaseTransport | None, client: Client) -> None:
        """Keep this paired client's connection open whatever the connection limits.

        Refuses (``429 too_many_connections``) a connection beyond the client's share
        (``ConnectionLimits.per_client``); the answer then closes it.
        """
        if self.listener is None or self.listener.trust(transport, client.id):
            return
        limit = self.listener.limits.per_client
        raise ApiError(
            429,
            "too_many_connections",
            f"This client already holds {limit} connections; reuse one of them",
        )

    def trusted(self, transport: asyncio.BaseTransport | None) -> bool:
        """Whether this connection has shown a valid token (see :meth:`trust`)."""
        return self.listener is None or self.listener.trusted(transport)

    def watch_revocations(self) -> Callable[[], None]:
        """Close a client's WebSockets when it is revoked or wiped (L-63).

        Returns the function that stops watching.
        """
        return self.core.events.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        # Deferred until every subscriber has seen the event, so each socket queues it
        # first and the client is told why it is being closed (L-63).
        loop = asyncio.get_running_loop()
        if event.type == "client_revoked":
            loop.call_soon(self._finish_sessions, event.data["client_id"])
        elif event.type == "factory_reset":
            loop.call_soon(self._finish_sessions, None)

    def _finish_sessions(self, client_id: str | None) -> None:
        for session in self._sessions_of(client_id):
            session.finish(CLOSE_UNAUTHORIZED, "revoked")

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` in the background, keeping a reference until it ends."""
        self._tasks.spawn(coroutine)

    def close_sessions(self, code: int, reason: str) -> None:
        """Close every WebSocket now."""
        for session in list(self.sessions):
            session.close_soon(code, reason)

    def _sessions_of(self, client_id: str | None) -> list[WsSession]:
        return [
            session
            for session in self.sessions
            if client_id is None
            or (session.client is not None and session.client.id == client_id)
        ]

    async def shutdown(self, code: int, reason: str) -> None:
        """Close every WebSocket and wait for the background work to finish."""
        self.close_sessions(code, reason)
        await self._tasks.wait()


CONTEXT = Key[ApiContext]("ezlock_api")
CLIENT = Key[Client]("ezlock_client")
