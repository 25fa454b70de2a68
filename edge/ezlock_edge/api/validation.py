"""Turn request bodies, query strings and path parameters into validated values.

Anything that does not fit the route's schema becomes a ``400`` naming the offending
fields; nothing malformed reaches the lock core.
"""

from __future__ import annotations

from collections.abc import Callable
import json
from typing import Any

import voluptuous as vol

from ezlock_edge.http.request import Request

from .errors import ApiError


def invalid_request(err: vol.Invalid) -> ApiError:
    """Build a ``400 invalid_request`` naming each field voluptuous refused."""
    errors = err.errors if isinstance(err, vol.MultipleInvalid) else [err]
    fields = {
        ".".join(str(part) for part in error.path): error.msg
        for error in errors
        if error.path
    }
    return ApiError(400, "invalid_request", str(err), fields)


def validate(schema: Callable[[Any], Any], data: Any) -> Any:
    """Run ``schema`` over ``data``, refusing with ``invalid_request``."""
    try:
        return schema(data)
    except vol.Invalid as err:
        raise invalid_request(err) from None


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


async def json_body(
    request: Request, schema: Callable[[Any], Any], *, optional: bool = False
) -> Any:
    """Read the JSON body checked by ``schema``; ``optional`` allows no body."""
    raw = await request.read()
    if not raw.strip():
        if optional:
            return validate(schema, {})
        raise ApiError(400, "invalid_json", "A JSON object body is required")
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except ValueError, RecursionError:
        raise ApiError(400, "invalid_json", "The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "The body must be a JSON object")
    return validate(schema, data)


def query(request: Request, schema: Callable[[Any], Any]) -> Any:
    """Read the query string checked by ``schema``; refuse repeated parameters."""
    params: dict[str, str] = {}
    for key, value in request.query():
        if key in params:
            raise ApiError(
                400, "invalid_request", f"Repeated parameter {key}", {key: "repeated"}
            )
        params[key] = value
    return validate(schema, params)


def path_param(request: Request, name: str, validator: Callable[[Any], Any]) -> Any:
    """Read a path parameter checked by ``validator``."""
    schema = vol.Schema({vol.Required(name): validator})
    return validate(schema, {name: request.match_info[name]})[name]
