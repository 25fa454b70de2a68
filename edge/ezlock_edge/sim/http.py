"""The simulator's control surface over HTTP, on loopback only: ``/sim/v1/<action>``.

The front panel page (``sim.panel``) is served at ``/`` beside it.

``POST /sim/v1/<action>`` with a JSON object body does what a person does to the lock;
``GET /sim/v1/label``, ``/panel`` and ``/clock`` only look (``POST /sim/v1/clock
{"advance": SECONDS}`` moves a manual clock). Bad input gets a 400 with
``{"error": "..."}``. Requests must come to a loopback host name and POSTs must be
``application/json``, so a web page in a browser on the same machine cannot drive the
simulated lock (no DNS rebinding, no form posts).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
from typing import Any

from ezlock_edge.clock import ClockStalledError
from ezlock_edge.http.connection import Handler
from ezlock_edge.http.messages import HttpError, Key, Response, json_response
from ezlock_edge.http.request import Request
from ezlock_edge.http.routing import Router
from ezlock_edge.http.server import HttpServer, serve

from .actions import ACTIONS, READABLE_ACTIONS, SIM_HTTP_PORT
from .errors import SimulationError, UnknownActionError
from .lock import SimulatedLock
from .panel import add_panel_routes

_LOGGER = logging.getLogger(__name__)

_LOCK_KEY = Key[SimulatedLock]("sim_lock")


@functools.lru_cache(maxsize=64)  # asked at every request, of a handful of names
def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) only reaches this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def create_handler(lock: SimulatedLock) -> Handler:
    """Build the handler serving ``lock``'s control surface and front panel."""
    router: Router[Handler] = Router()
    router.add("GET", "/sim/v1/{action}", _look)
    router.add("POST", "/sim/v1/{action}", _act)
    add_panel_routes(router)

    async def handle(request: Request) -> Response:
        if not is_loopback(request.host):
            return _error(403, "the simulator answers on loopback host names only")
        try:
            handler = router.resolve(request)
        except HttpError as err:
            return _error(err.status, err.reason, err.headers)
        request[_LOCK_KEY] = lock
        return await handler(request)

    return handle


async def start_http(
    lock: SimulatedLock, host: str = "127.0.0.1", port: int = SIM_HTTP_PORT
) -> HttpServer:
    """Serve the control surface on ``host:port``; refuses any non-loopback address.

    Returns the server: ``await server.close()`` stops serving.
    """
    if not is_loopback(host):
        raise ValueError(f"the simulator only listens on loopback, not on {host!r}")
    server = await serve(create_handler(lock), host, port, error_page=_http_error)
    _LOGGER.info("simulator control surface on http://%s:%d/sim/v1", host, server.port)
    return server


def _http_error(error: HttpError) -> Response:
    return _error(error.status, error.reason, error.headers)


async def _look(request: Request) -> Response:
    action = request.match_info["action"]
    if action not in READABLE_ACTIONS:
        if action in ACTIONS:
            return _error(405, f"{action} changes the lock: use POST")
        return _error(404, f"unknown action {action!r}")
    return await _run(request, action, {})


async def _act(request: Request) -> Response:
    action = request.match_info["action"]
    if request.content_type != "application/json":
        return _error(415, "send the body as application/json")
    raw = await request.text()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as err:
        return _error(400, f"body is not JSON: {err}")
    except ValueError, RecursionError:  # an integer too long, nesting too deep
        return _error(400, "body is not JSON this simulator reads")
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    return await _run(request, action, body)


async def _run(request: Request, action: str, body: dict[str, Any]) -> Response:
    try:
        result = await request[_LOCK_KEY].handle(action, body)
    except UnknownActionError as err:
        return _error(404, str(err))
    except SimulationError as err:
        return _error(400, str(err))
    except ClockStalledError as err:  # a defect of the simulation, said, not waited on
        _LOGGER.error("%s: %s", action, err)
        return _error(500, f"{action}: {err}")
    return json_response(result)


def _error(
    status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    return json_response({"error": message}, status=status, headers=headers)
