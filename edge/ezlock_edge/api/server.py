"""The aiohttp application and its listener: routes, middlewares, TLS, clean shutdown."""

from __future__ import annotations

from collections.abc import Callable
import logging

from aiohttp import WSCloseCode, web

from ezlock_edge.clock import Clock
from ezlock_edge.core.events import acting_client
from ezlock_edge.core.lock import LockCore
from ezlock_edge.core.models import ClientRole

from .auth import bearer_token
from .context import CLIENT, CONTEXT, ApiContext, WsSettings
from .errors import ApiError, Handler, error_middleware
from .listener import ConnectionLimits, Listener
from .routes import PIN_HEADER, RATE_LIMITED, ROLES, ROUTES
from .tls import TlsIdentity
from .version import API_VERSION

_LOGGER = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Require a valid bearer token and the route's role on every route but the open ones.

    A valid token also marks the connection as a paired client's, so the listener
    never closes it to make room (api/listener.py). While the request is served, every
    event the lock writes names the client (``by_client``).
    """
    if request.match_info.http_exception is not None:
        return await handler(request)
    role = ROLES[request.match_info.handler]
    if role is None:
        return await handler(request)
    context = request.app[CONTEXT]
    token = bearer_token(request)
    if token is None:
        raise ApiError(401, "unauthorized", "Send 'Authorization: Bearer <token>'")
    client = context.authenticate(request.remote or "", token)
    context.trust(request.transport)
    if role is ClientRole.ADMIN and client.role is not ClientRole.ADMIN:
        raise ApiError(
            403, "forbidden", f"This needs an admin client; this one is {client.role}"
        )
    request[CLIENT] = client
    if request.match_info.handler in RATE_LIMITED:
        context.writes.check(client.id)
    with acting_client(client.ref):
        if role is ClientRole.ADMIN and request.method != "GET":
            # Matter's RequirePINforRemoteOperation, for every admin change (remote
            # unlock checks it in the lock core, after its own refusals).
            route = request.match_info.route.resource
            action = f"{request.method} {route.canonical if route else request.path}"
            await context.core.check_remote_pin(request.headers.get(PIN_HEADER), action)
        return await handler(request)


@web.middleware
async def keep_alive_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Close a connection that has shown no valid token after its answer.

    The listener closes such a connection at its deadline, a few seconds after it was
    accepted (api/listener.py). Kept alive, it would sit in the client's pool until
    then, and a request the client sends on it just as the deadline closes it fails
    as "server disconnected" (a POST is not sent again): Home Assistant reads
    ``/info`` without its token before its first authenticated requests. Answered
    with ``Connection: close``, the client's next request opens a new connection.
    """
    response = await handler(request)
    if not request.app[CONTEXT].trusted(request.transport):
        response.force_close()
    return response


@web.middleware
async def log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log each request without its body, query or headers (they may hold secrets).

    Changes are logged at INFO (an audit trail of who did what), reads at DEBUG.
    """
    response = await handler(request)
    client = request.get(CLIENT)
    _LOGGER.log(
        logging.DEBUG if request.method == "GET" else logging.INFO,
        "%s %s -> %d",
        request.method,
        request.path,
        response.status,
        extra={
            "remote": request.remote,
            "client_id": client.id if client is not None else None,
        },
    )
    return response


def create_app(context: ApiContext) -> web.Application:
    """Build the application serving ``context``'s lock."""
    app = web.Application(
        middlewares=[
            keep_alive_middleware,
            log_middleware,
            error_middleware,
            auth_middleware,
        ],
        client_max_size=MAX_BODY,
    )
    app[CONTEXT] = context
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
    return app


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
        self._runner: web.AppRunner | None = None
        self._unwatch: Callable[[], None] | None = None
        self.port = port

    @property
    def open_connections(self) -> int:
        """Return how many connections are open now (0 when not listening)."""
        return self._listener.open_connections if self._listener else 0

    async def start(self) -> None:
        """Bind and serve; with port 0, :attr:`port` becomes the one the OS chose."""
        runner = web.AppRunner(create_app(self.context), access_log=None)
        await runner.setup()
        server = runner.server
        if server is None:  # pragma: no cover - setup() always makes one
            raise RuntimeError("aiohttp runner without a server")
        ssl_context = self._tls.server_context() if self._tls else None
        listener = Listener(server, self._clock, ssl_context, self._limits)
        try:
            await listener.start(self._host, self._requested_port)
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
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
        if self._runner is None:
            return
        self.context.core.camera.end_streams()  # or the runner waits for them
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
        await self.context.shutdown(WSCloseCode.GOING_AWAY, "shutdown")
        await self._runner.cleanup()
        self._runner = None
