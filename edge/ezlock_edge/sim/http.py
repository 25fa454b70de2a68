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

import ipaddress
import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from .actions import ACTIONS, READABLE_ACTIONS, SIM_HTTP_PORT
from .errors import SimulationError, UnknownActionError
from .lock import SimulatedLock
from .panel import add_panel_routes

_LOGGER = logging.getLogger(__name__)

_LOCK_KEY = web.AppKey("sim_lock", SimulatedLock)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) only reaches this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def create_app(lock: SimulatedLock) -> web.Application:
    """Build the aiohttp application serving ``lock``'s control surface."""
    app = web.Application(middlewares=[_loopback_only])
    app[_LOCK_KEY] = lock
    app.router.add_get("/sim/v1/{action}", _look)
    app.router.add_post("/sim/v1/{action}", _act)
    add_panel_routes(app)
    return app


async def start_http(
    lock: SimulatedLock, host: str = "127.0.0.1", port: int = SIM_HTTP_PORT
) -> web.AppRunner:
    """Serve the control surface on ``host:port``; refuses any non-loopback address.

    Returns the runner: ``await runner.cleanup()`` stops serving.
    """
    if not is_loopback(host):
        raise ValueError(f"the simulator only listens on loopback, not on {host!r}")
    runner = web.AppRunner(create_app(lock), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        await runner.cleanup()
        raise
    _LOGGER.info(
        "simulator control surface on http://%s:%d/sim/v1", host, runner.addresses[0][1]
    )
    return runner


@web.middleware
async def _loopback_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_loopback(request.url.host or ""):
        return _error(403, "the simulator answers on loopback host names only")
    return await handler(request)


async def _look(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    if action not in READABLE_ACTIONS:
        if action in ACTIONS:
            return _error(405, f"{action} changes the lock: use POST")
        return _error(404, f"unknown action {action!r}")
    return await _run(request, action, {})


async def _act(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    if request.content_type != "application/json":
        return _error(415, "send the body as application/json")
    raw = await request.text()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as err:
        return _error(400, f"body is not JSON: {err}")
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    return await _run(request, action, body)


async def _run(request: web.Request, action: str, body: dict[str, Any]) -> web.Response:
    try:
        result = await request.app[_LOCK_KEY].handle(action, body)
    except UnknownActionError as err:
        return _error(404, str(err))
    except SimulationError as err:
        return _error(400, str(err))
    return web.json_response(result)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
