"""The simulator's front panel: a static page drawn like the lock, served beside ``/sim/v1``.

The page is plain HTML, CSS and JavaScript shipped in the package (no build step, nothing
fetched from the internet). It drives the lock only through the ``/sim/v1`` actions, so
what it can do is exactly what ``ezlock-edge sim`` and the tests can do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

PANEL_DIR = Path(__file__).parent
"""Where the page's files live (inside the installed package)."""

_FILES = {
    "/": "index.html",
    "/panel.css": "panel.css",
    "/panel.js": "panel.js",
}
# The page loads nothing but its own script and style sheet, and talks only to its origin.
_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}


def add_panel_routes(app: web.Application) -> None:
    """Serve the front panel at ``/`` (and its two assets) on ``app``."""
    for route, name in _FILES.items():
        app.router.add_get(route, _file_handler(PANEL_DIR / name))


def _file_handler(path: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path, headers=_HEADERS)

    return serve
