"""The whole document: the paths with each route's role, the components, the versions."""

from __future__ import annotations

from collections.abc import Mapping

from ezlock_edge import __version__
from ezlock_edge.api.version import API_VERSION

from .components import SCHEMAS
from .json_schema import Json, ref
from .paths import PATHS, reply

_FORBIDDEN = reply("forbidden: this client's role is operate", ref("Error"))


def _with_roles(roles: Mapping[tuple[str, str], str | None]) -> Json:
    """Name each operation's role as OpenAPI 3.1 does: role names in its security.

    ``None`` is a route without a token; ``admin`` routes also answer ``403``.
    """
    paths: Json = {}
    for path, operations in PATHS.items():
        paths[path] = {}
        for method, operation in operations.items():
            role = roles[(method.upper(), path)]
            described = dict(operation)
            if role is None:
                described["security"] = []
                described["responses"] = {
                    code: reply
                    for code, reply in operation["responses"].items()
                    if code not in {"401", "429"}
                }
            else:
                described["security"] = [{"bearer": [role]}]
                described["x-ezlock-role"] = role
                if role == "admin":
                    described["responses"] = {
                        **operation["responses"],
                        "403": operation["responses"].get("403", _FORBIDDEN),
                    }
            paths[path][method] = described
    return paths


def document(roles: Mapping[tuple[str, str], str | None]) -> Json:
    """Return the whole OpenAPI document; ``roles`` is each route's (api/routes.py)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ezlock edge driver",
            "version": __version__,
            "description": "Local API of an ezlock edge driver (docs/api.md).",
            "x-api-version": API_VERSION,
        },
        "paths": _with_roles(roles),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
