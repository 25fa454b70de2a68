"""The API's HTTP server: routes, middlewares, TLS, connection limits, clean shutdown.

HTTP/1.1 and the WebSocket are ``ezlock_edge.http`` (h11 and wsproto); the listener
accepts the connections within the limits (``listener``); this module puts the route
table, the middlewares and the lock's context together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
import logging

from ezlock_edge.clock import Clock
from ezlock_edge.core.events import acting_client
from ezlock_edge.core.lock import LockCore
from ezlock_edge.core.models import ClientRole
from ezlock_edge.http.connection import HttpLimits
from ezlock_edge.http.messages import Response
from ezlock_edge.http.request import Request
from ezlock_edge.http.routing import Router
from ezlock_edge.http.server import Connections
from ezlock_edge.http.websocket import CLOSE_GOING_AWAY

from .auth import bearer_token
from .context import CLIENT, CONTEXT, ApiContext, WsSettings
from .errors import ApiError, Handler, error_middleware, http_error
from .listener import ConnectionLimits, Listener
from .routes import PIN_HEADER, RATE_LIMITED, ROLES, ROUTES, STREAMED, RouteHandler
from .tls import TlsIdentity
from .version import API_VERSION

_LOGGER = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
_READS = frozenset({"GET", "HEAD"})  # change nothing: no PIN, logged at DEBUG

type Middleware = Callable[[Request, Handler], Awaitable[Response]]


async def auth_middleware(request: Request, handler: Handler) -> Response:
    """Require a valid bearer token and the route's role on every route but the open ones.

    A valid token also marks the connection as a paired client's, so the listener
    never closes it to make room (api/listener.py). While the request is served, every
    event the lock writes names the client (``by_client``).
    """
    role = ROLES[handler]
    if role is None:
        return await handler(request)
    context = request[CONTEXT]
    token = bearer_token(request)
    if token is None:
        raise ApiError(401, "unauthorized", "Send 'Authorization: Bearer <token>'")
    client = context.authenticate(request.remote or "", token)
    context.trust(request.transport, client)
    if role is ClientRole.ADMIN and client.role is not ClientRole.ADMIN:
        raise ApiError(
            403, "forbidden", f"This needs an admin client; this one is {client.role}"
        )
    request[CLIENT] = client
    if handler in RATE_LIMITED:
        context.writes.check(client.id)
    with acting_client(client.ref):
        if role is ClientRole.ADMIN and request.method not in _READS:
            # Matter's RequirePINforRemoteOperation, for every admin change (remote
            # unlock checks it in the lock core, after its own refusals).
            action = f"{request.method} {request.route or request.path}"
            await context.core.check_remote_pin(request.headers.get(PIN_HEADER), action)
        return await handler(request)


async def keep_alive_middleware(request: Request, handler: Handler) -> Response:
    """Close a connection that has shown no valid token after its answer.

    The listener closes such a connection at its deadline, a few seconds after it was
    accepted (api/listener.py). Kept alive, it would sit in the client's pool until
    then, and a request the client sends on it just as the deadline closes it fails
    as "server disconnected" (a POST is not sent again): Home Assistant reads
    ``/info`` without its token before its first authenticated requests. Answered
    with ``Connection: close``, the client's next request opens a new connection.
    """
    response = await handler(request)
    if not request[CONTEXT].trusted(request.transport):
        response.force_close()
    return response


async def log_middleware(request: Request, handler: Handler) -> Response:
    """Log each request without its body, query or headers (they may hold secrets).

    Changes are logged at INFO (an audit trail of who did what), reads at DEBUG, and so
    are refusals of a request without a valid token: anyone on the LAN can send those,
    one per TLS handshake, and at INFO they would crowd the clients' changes out of
    the journal (the listener and the token throttle report attacks, rate-limited).
    The path is logged as it came, percent-encoded: decoded, a ``%0A`` in it would
    start a line of the attacker's making in the audit trail.
    """
    response = await handler(request)
    client = request.get(CLIENT)
    stranger = client is None and response.status >= 400
    _LOGGER.log(
        logging.DEBUG if request.method in _READS or stranger else logging.INFO,
        "%s %s -> %d",
        request.method,
        request.raw_path,
        response.status,
        extra={
            "remote": request.remote,
            "client_id": client.id if client is not None else None,
        },
    )
    return response


MIDDLEWARES: Sequence[Middleware] = (
    keep_alive_middleware,
    log_middleware,
    error_middleware,
)
"""Outermost first; routing, then ``auth_middleware``, run inside them."""


def create_router() -> Router[RouteHandler]:
    """Build the router of :data:`ROUTES` (the one table)."""
    router: Router[RouteHandler] = Router()
    for route in ROUTES:
        # HEAD as GET, but not where the answer is a stream or a WebSocket.
        head = route.handler not in STREAMED
        router.add(route.method, route.path, route.handler, head=head)
    return router


def create_handler(context: ApiContext) -> Handler:
    """Build the handler of every request to ``context``'s lock."""
    router = create_router()

    async def routed(request: Request) -> Response:
        # No route, or the wrong method: 404 / 405 from the router, in JSON.
        return await auth_middleware(request, router.resolve(request))

    handler: Handler = routed
    for middleware in reversed(MIDDLEWARES):
        handler = _wrap(middleware, handler)

    async def handle(request: Request) -> Response:
        request[CONTEXT] = context
        return await handler(request)

    return handle


def _wrap(middleware: Middleware, inner: Handler) -> Handler:
    async def wrapped(request: Request) -> Response:
        return await middleware(request, inner)

    return wrapped


class ApiServer:
    """Listens on ``host:port`` (HTTPS unless ``tls`` is None) until stopped."""

    def __init__(
        self,
        core: LockCore,
        clock: Clock,
        host: str,
        port: int,
        tls: TlsIdentity | None,
        limits: ConnectionLimits | None = None,
        *,
        api_version: int = API_VERSION,
        ws: WsSettings | None = None,
    ) -> None:
        """Prepare to serve ``core``; nothing listens before :meth:`start`."""
        self.context = ApiContext(
            core,
            clock,
            tls.fingerprint if tls else None,
            api_version=api_version,
            ws=ws,
        )
        self._clock = clock
        self._limits = limits or ConnectionLimits()
        self._listener: Listener | None = None
        self._host = host
        self._requested_port = port
        self._tls = tls
        self._connections: Connections | None = None
        self._unwatch: Callable[[], None] | None = None
        self.port = port

    @property
    def open_connections(self) -> int:
        """Return how many connections are open now (0 when not listening)."""
        return self._listener.open_connections if self._listener else 0

    async def start(self) -> None:
        """Bind and serve; with port 0, :attr:`port` becomes the one the OS chose."""
        connections = Connections(
            create_handler(self.context),
            limits=HttpLimits(max_body=MAX_BODY),
            error_page=http_error,
        )
        ssl_context = self._tls.server_context() if self._tls else None
        listener = Listener(
            connections.factory(), self._clock, ssl_context, self._limits
        )
        await listener.start(self._host, self._requested_port)
        self._connections = connections
        self._listener = listener
        self.context.listener = listener
        self._unwatch = self.context.watch_revocations()
        self.port = listener.port
        _LOGGER.info(
            "API listening",
            extra={
                "host": self._host,
                "port": self.port,
                "scheme": "https" if self._tls else "http",
            },
        )

    async def stop(self) -> None:
        """Close every WebSocket (``1001 shutdown``), finish requests, stop listening."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if self._connections is None:
            return
        self.context.core.camera.end_streams()  # or the shutdown waits for them
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
        await self.context.shutdown(CLOSE_GOING_AWAY, "shutdown")
        await self._connections.close()
        self._connections = None
