"""Which handler answers a path: templates with ``{name}`` segments, 404 and 405."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from .messages import HttpError
from .request import Request


@dataclass(frozen=True, slots=True)
class _Route[H]:
    method: str
    template: str
    segments: tuple[str, ...]
    handler: H
    head: bool  # a GET route that answers HEAD too


class Router[H]:
    """Routes by method and path; a ``{name}`` segment matches any one segment.

    Segments are compared after percent-decoding (``%2F`` stays inside its segment).
    A path no route has is ``404``; a path served with other methods is ``405`` with
    ``Allow``. A GET route added with ``head`` answers HEAD as well (RFC 9110 9.3.2:
    the same handler; the connection sends its head without the body).
    """

    def __init__(self) -> None:
        """Start with no routes."""
        self._routes: list[_Route[H]] = []

    def add(
        self, method: str, template: str, handler: H, *, head: bool = False
    ) -> None:
        """Serve ``method template`` with ``handler`` (and HEAD, for a GET with ``head``)."""
        self._routes.append(
            _Route(
                method,
                template,
                tuple(template.split("/")),
                handler,
                head and method == "GET",
            )
        )

    def routes(self) -> list[tuple[str, str]]:
        """Return every ``(method, template)`` served, in the order added."""
        return [(route.method, route.template) for route in self._routes]

    def resolve(self, request: Request) -> H:
        """Return the handler for ``request``; fill its ``match_info`` and ``route``."""
        segments = [unquote(part) for part in request.raw_path.split("/")]
        allowed: list[str] = []
        for route in self._routes:
            params = _match(route.segments, segments)
            if params is None:
                continue
            method = request.method
            if route.method == method or (method == "HEAD" and route.head):
                request.match_info = params
                request.route = route.template
                return route.handler
            allowed.append(route.method)
            if route.head:
                allowed.append("HEAD")
        if allowed:
            raise HttpError(405, headers={"Allow": ",".join(sorted(set(allowed)))})
        raise HttpError(404)


def _match(template: tuple[str, ...], path: list[str]) -> dict[str, str] | None:
    if len(template) != len(path):
        return None
    params: dict[str, str] = {}
    for pattern, segment in zip(template, path, strict=True):
        if pattern.startswith("{") and pattern.endswith("}"):
            if not segment:
                return None
            params[pattern[1:-1]] = segment
        elif pattern != segment:
            return None
    return params
