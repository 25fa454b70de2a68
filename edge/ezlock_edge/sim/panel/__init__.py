"""The simulator's front panel: a static page drawn like the lock, served beside ``/sim/v1``.

The page is plain HTML, CSS and JavaScript shipped in the package (no build step, nothing
fetched from the internet). It drives the lock only through the ``/sim/v1`` actions, so
what it can do is exactly what ``ezlock-edge sim`` and the tests can do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from ezlock_edge.http.messages import Response
from ezlock_edge.http.request import Request
from ezlock_edge.http.routing import Router

PANEL_DIR = Path(__file__).parent
"""Where the page's files live (inside the installed package)."""

_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/panel.css": ("panel.css", "text/css; charset=utf-8"),
    "/panel.js": ("panel.js", "text/javascript; charset=utf-8"),
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


type _Handler = Callable[[Request], Awaitable[Response]]


def add_panel_routes(router: Router[_Handler]) -> None:
    """Serve the front panel at ``/`` (and its two assets) with ``router``."""
    for route, (name, content_type) in _FILES.items():
        router.add("GET", route, _file_handler(PANEL_DIR / name, content_type))


def _file_handler(path: Path, content_type: str) -> _Handler:
    body = path.read_bytes()  # a few KiB, read once when the simulator starts

    async def serve(request: Request) -> Response:
        return Response(200, body, _HEADERS | {"Content-Type": content_type})

    return serve
