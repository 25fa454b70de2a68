"""Every failure becomes the same JSON shape: ``{"error", "message", "fields"?}``.

Clients branch on ``error`` (a stable code), people read ``message``. Nothing a handler
raises, not even a bug, may reach the client as a stack trace.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
import logging

from ezlock_edge.core.errors import LockError
from ezlock_edge.http.messages import HttpError, Response, json_response
from ezlock_edge.http.request import Request

_LOGGER = logging.getLogger(__name__)

type Handler = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    """A request the API refuses; carries the HTTP status and the machine code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Describe the refusal."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields) if fields else None
        self.headers = dict(headers) if headers else None


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build the one JSON body every error has."""
    body: dict[str, object] = {"error": code, "message": message}
    if fields:
        body["fields"] = dict(fields)
    return json_response(body, status=status, headers=headers)


# The HTTP layer's own refusals (no route, wrong method, body too large, a malformed
# request) keep their status but get a code of ours.
_HTTP_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    431: "headers_too_large",
}

# Lock-core codes whose HTTP status is not the default 409 "the lock's rules refuse".
_CORE_STATUS = {
    "invalid_request": 400,
    "password_policy": 400,
    "invalid_validity": 400,
    "invalid_verification_code": 401,
    "pairing_closed": 403,
    "admin_required": 403,
    "pin_required": 403,
    "invalid_pin": 403,
    "lock_offline": 503,
    "module_unavailable": 503,
    "camera_busy": 503,
}


def status_for_core_code(code: str) -> int:
    """Map a lock-core error code to its HTTP status (docs/api.md, Errors)."""
    if code in _CORE_STATUS:
        return _CORE_STATUS[code]
    if code.endswith("_not_found"):
        return 404
    return 409


def http_error(err: HttpError) -> Response:
    """Answer a refusal of the HTTP layer in the JSON error shape."""
    code = _HTTP_CODES.get(err.status, "http_error")
    headers = {"Allow": err.headers["Allow"]} if "Allow" in err.headers else None
    return error_response(err.status, code, err.reason, headers=headers)


async def error_middleware(request: Request, handler: Handler) -> Response:
    """Turn whatever a handler raises into the JSON error shape."""
    try:
        return await handler(request)
    except ApiError as err:
        return error_response(
            err.status, err.code, err.message, err.fields, err.headers
        )
    except LockError as err:
        status = status_for_core_code(err.code)
        return error_response(status, err.code, err.message, err.fields)
    except HttpError as err:
        return http_error(err)
    except ConnectionError:
        raise  # the client left (during its body): nobody to answer, nothing wrong
    except Exception:
        _LOGGER.exception("Unhandled error in %s %s", request.method, request.raw_path)
        return error_response(500, "internal_error", "Internal error, see the log")
