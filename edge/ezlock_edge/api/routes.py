"""The REST handlers of ``/api/v1``: validate, call the lock core, answer JSON.

Handlers hold no lock logic: every rule (and every refusal, as a ``LockError``) lives in
the core. The route table at the bottom is the one the server registers and the one the
OpenAPI test compares with ``openapi.PATHS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from ezlock_edge.core.limits import EVENTS_PER_QUERY_DEFAULT
from ezlock_edge.core.models import ClientRole, VisitorKind
from ezlock_edge.http.messages import Response, json_response
from ezlock_edge.http.request import Request

from . import camera, schemas
from .auth import new_token, token_hash
from .context import CLIENT, CONTEXT, ApiContext
from .validation import json_body, path_param, query
from .ws import websocket

PREFIX = "/api/v1"
# The PIN of a lock admin, when the lock has require_pin_for_remote on (Matter's
# RequirePINforRemoteOperation): a header, so that routes without a body carry it too.
PIN_HEADER = "X-Ezlock-PIN"

type RouteHandler = Callable[[Request], Awaitable[Response]]


def _context(request: Request) -> ApiContext:
    return request[CONTEXT]


def _json(data: Any, status: int = 200) -> Response:
    return json_response(data, status=status)


def _no_content() -> Response:
    return Response(204)


def _user_number(request: Request) -> int:
    number: int = path_param(request, "number", schemas.USER_NUMBER)
    return number


def _object_id(request: Request) -> str:
    object_id: str = path_param(request, "id", schemas.OBJECT_ID)
    return object_id


# identity and pairing (no token)


async def info(request: Request) -> Response:
    """``GET /info``."""
    context = _context(request)
    lock_info = context.core.info
    return _json(
        {
            "serial": lock_info.serial,
            "model": lock_info.model,
            "firmware": lock_info.firmware,
            "api_version": context.api_version,
            "pairing_open": context.core.pairing_open,
            "tls_fingerprint": context.tls_fingerprint,
            "name": context.core.name,
            "time_zone": context.core.time_zone.key,
        }
    )


async def pair(request: Request) -> Response:
    """``POST /pair``: spend the pairing window on a new client (L-65)."""
    body = await json_body(request, schemas.PAIR)
    core = _context(request).core
    core.consume_pairing(body["verification_code"])
    token = new_token()
    client = core.add_client(body["client_name"], token_hash(token))
    return _json({"token": token, "client_id": client.id}, status=201)


async def openapi(request: Request) -> Response:
    """``GET /openapi.json``."""
    return _json(openapi_document())


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI document with each route's role from :data:`ROUTES`."""
    from .openapi import document  # noqa: PLC0415 -- built on request, not at start

    return document(
        {
            (route.method, route.path): route.role.value if route.role else None
            for route in ROUTES
        }
    )


# state and actions


async def state(request: Request) -> Response:
    """``GET /state``."""
    return _json(_context(request).core.state.as_dict())


async def lock(request: Request) -> Response:
    """``POST /lock``: the bolt moves; ``bolt`` events follow."""
    await json_body(request, schemas.EMPTY, optional=True)
    await _context(request).core.lock("remote")
    return _json({}, status=202)


async def unlock(request: Request) -> Response:
    """``POST /unlock``: remote unlock, only when enabled (L-43)."""
    await json_body(request, schemas.EMPTY, optional=True)
    await _context(request).core.unlock_remote(
        request[CLIENT].id, request.headers.get(PIN_HEADER)
    )
    return _json({}, status=202)


async def countdown_lock(request: Request) -> Response:
    """``POST /countdown_lock``: lock once, N seconds from now."""
    body = await json_body(request, schemas.COUNTDOWN_LOCK)
    lock_at = await _context(request).core.countdown_lock(body["seconds"])
    return _json({"lock_at": lock_at.isoformat()}, status=202)


async def get_settings(request: Request) -> Response:
    """``GET /settings``."""
    return _json(_context(request).core.get_settings().as_dict())


async def patch_settings(request: Request) -> Response:
    """``PATCH /settings``."""
    body = await json_body(request, schemas.SETTINGS_PATCH)
    settings = await _context(request).core.update_settings(**body)
    return _json(settings.as_dict())


async def clear_lockout(request: Request) -> Response:
    """``POST /lockout/clear`` (L-42)."""
    await json_body(request, schemas.EMPTY, optional=True)
    await _context(request).core.clear_lockout()
    return _no_content()


# users and credentials


async def list_users(request: Request) -> Response:
    """``GET /users``."""
    core = _context(request).core
    users = await core.list_users()
    return _json({"users": [core.describe_user(user) for user in users]})


async def add_user(request: Request) -> Response:
    """``POST /users``."""
    body = await json_body(request, schemas.USER_CREATE)
    core = _context(request).core
    return _json(core.describe_user(await core.create_user(**body)), status=201)


async def get_user(request: Request) -> Response:
    """``GET /users/{number}``."""
    core = _context(request).core
    return _json(core.describe_user(await core.get_user(_user_number(request))))


async def patch_user(request: Request) -> Response:
    """``PATCH /users/{number}``."""
    number = _user_number(request)
    body = await json_body(request, schemas.USER_PATCH)
    core = _context(request).core
    return _json(core.describe_user(await core.update_user(number, **body)))


async def delete_user(request: Request) -> Response:
    """``DELETE /users/{number}`` (L-27)."""
    await _context(request).core.delete_user(_user_number(request))
    return _no_content()


async def set_password(request: Request) -> Response:
    """``PUT /users/{number}/password`` (L-25)."""
    number = _user_number(request)
    body = await json_body(request, schemas.PASSWORD)
    core = _context(request).core
    credential = await core.set_password(number, body["password"])
    return _json(core.describe_credential(credential))


async def start_enrollment(request: Request) -> Response:
    """``POST /users/{number}/enrollments``: the person presents it at the lock."""
    number = _user_number(request)
    body = await json_body(request, schemas.ENROLLMENT)
    enrollment = await _context(request).core.start_enrollment(number, body["type"])
    return _json(enrollment.as_dict(), status=202)


async def cancel_enrollment(request: Request) -> Response:
    """``DELETE /enrollments/{id}``: the person gave up; the lock stops asking."""
    await _context(request).core.cancel_enrollment(_object_id(request))
    return _no_content()


async def list_credentials(request: Request) -> Response:
    """``GET /credentials``."""
    params = query(request, schemas.CREDENTIALS_QUERY)
    core = _context(request).core
    credentials = await core.list_credentials(params.get("user"))
    return _json({"credentials": [core.describe_credential(c) for c in credentials]})


async def patch_credential(request: Request) -> Response:
    """``PATCH /credentials/{id}``: the duress flag (L-29)."""
    credential_id = _object_id(request)
    body = await json_body(request, schemas.CREDENTIAL_PATCH)
    core = _context(request).core
    credential = await core.set_duress(credential_id, body["duress"])
    return _json(core.describe_credential(credential))


async def delete_credential(request: Request) -> Response:
    """``DELETE /credentials/{id}``."""
    await _context(request).core.delete_credential(_object_id(request))
    return _no_content()


# module templates


async def list_templates(request: Request) -> Response:
    """``GET /templates``: each module's templates against the lock's credentials."""
    core = _context(request).core
    reports = await core.check_templates()
    return _json({"templates": [core.describe_templates(r) for r in reports]})


async def delete_templates(request: Request) -> Response:
    """``POST /templates/{credential_type}/delete``: templates no credential owns."""
    kind: str = path_param(request, "credential_type", schemas.MODULE_TYPE)
    body = await json_body(request, schemas.TEMPLATES_DELETE)
    core = _context(request).core
    report = await core.delete_templates(kind, body["slots"])
    return _json(core.describe_templates(report))


# visitors


async def list_temporary_passwords(request: Request) -> Response:
    """``GET /temporary_passwords``."""
    core = _context(request).core
    items = await core.list_visitors(VisitorKind.TEMPORARY_PASSWORD)
    return _json({"temporary_passwords": [core.describe_visitor(i) for i in items]})


async def create_temporary_password(request: Request) -> Response:
    """``POST /temporary_passwords``: the code is in this reply only (L-30)."""
    body = await json_body(request, schemas.TEMPORARY_PASSWORD_CREATE)
    core = _context(request).core
    created, code = await core.create_visitor(VisitorKind.TEMPORARY_PASSWORD, **body)
    return _json(core.describe_visitor(created) | {"code": code}, status=201)


async def delete_temporary_password(request: Request) -> Response:
    """``DELETE /temporary_passwords/{id}``."""
    await _context(request).core.revoke_visitor(
        VisitorKind.TEMPORARY_PASSWORD, _object_id(request)
    )
    return _no_content()


async def list_bluetooth_keys(request: Request) -> Response:
    """``GET /bluetooth_keys``."""
    core = _context(request).core
    items = await core.list_visitors(VisitorKind.BLUETOOTH_KEY)
    return _json({"bluetooth_keys": [core.describe_visitor(i) for i in items]})


async def create_bluetooth_key(request: Request) -> Response:
    """``POST /bluetooth_keys``: the key is in this reply only (L-31)."""
    body = await json_body(request, schemas.BLUETOOTH_KEY_CREATE)
    core = _context(request).core
    created, key = await core.create_visitor(VisitorKind.BLUETOOTH_KEY, **body)
    return _json(core.describe_visitor(created) | {"key": key}, status=201)


async def delete_bluetooth_key(request: Request) -> Response:
    """``DELETE /bluetooth_keys/{id}``."""
    await _context(request).core.revoke_visitor(
        VisitorKind.BLUETOOTH_KEY, _object_id(request)
    )
    return _no_content()


# history and clients


async def events(request: Request) -> Response:
    """``GET /events?since=&before=&limit=&order=`` (L-66)."""
    params = query(request, schemas.EVENTS_QUERY)
    log = _context(request).core.events
    page = log.query(
        since=params.get("since"),
        limit=params.get("limit", EVENTS_PER_QUERY_DEFAULT),
        before=params.get("before"),
        newest_first=params.get("order") == "newest",
    )
    return _json(
        {"events": [event.as_dict() for event in page], "last_seq": log.last_seq}
    )


async def list_clients(request: Request) -> Response:
    """``GET /clients``."""
    clients = _context(request).core.list_clients()
    return _json({"clients": [client.as_dict() for client in clients]})


async def create_client(request: Request) -> Response:
    """``POST /clients``: an ``operate`` client for a wall tablet; its token, once."""
    body = await json_body(request, schemas.CLIENT_CREATE)
    token = new_token()
    client = _context(request).core.create_client(
        body["client_name"], token_hash(token), body["role"]
    )
    return _json(
        {"token": token, "client_id": client.id, "role": client.role.value},
        status=201,
    )


async def revoke_client(request: Request) -> Response:
    """``DELETE /clients/{id}``: the token dies now, and so do its WebSockets."""
    _context(request).core.revoke_client(_object_id(request))
    return _no_content()


class Route(NamedTuple):
    """One route and the least role a client needs for it (None: no token at all)."""

    method: str
    path: str
    handler: RouteHandler
    role: ClientRole | None


OPEN = None
OPERATE = ClientRole.OPERATE
ADMIN = ClientRole.ADMIN

# The one table: the server registers it, the auth middleware enforces its roles and
# the OpenAPI document names them. ``operate`` reads and operates; everything that
# changes who can open the door (or reads who can) needs ``admin``.
ROUTES: list[Route] = [
    Route("GET", f"{PREFIX}/info", info, OPEN),
    Route("POST", f"{PREFIX}/pair", pair, OPEN),
    Route("GET", f"{PREFIX}/openapi.json", openapi, OPEN),
    Route("GET", f"{PREFIX}/state", state, OPERATE),
    Route("POST", f"{PREFIX}/lock", lock, OPERATE),
    Route("POST", f"{PREFIX}/unlock", unlock, OPERATE),
    Route("POST", f"{PREFIX}/countdown_lock", countdown_lock, OPERATE),
    Route("GET", f"{PREFIX}/settings", get_settings, OPERATE),
    Route("PATCH", f"{PREFIX}/settings", patch_settings, ADMIN),
    Route("GET", f"{PREFIX}/users", list_users, ADMIN),
    Route("POST", f"{PREFIX}/users", add_user, ADMIN),
    Route("GET", f"{PREFIX}/users/{{number}}", get_user, ADMIN),
    Route("PATCH", f"{PREFIX}/users/{{number}}", patch_user, ADMIN),
    Route("DELETE", f"{PREFIX}/users/{{number}}", delete_user, ADMIN),
    Route("PUT", f"{PREFIX}/users/{{number}}/password", set_password, ADMIN),
    Route("POST", f"{PREFIX}/users/{{number}}/enrollments", start_enrollment, ADMIN),
    Route("DELETE", f"{PREFIX}/enrollments/{{id}}", cancel_enrollment, ADMIN),
    Route("GET", f"{PREFIX}/credentials", list_credentials, ADMIN),
    Route("PATCH", f"{PREFIX}/credentials/{{id}}", patch_credential, ADMIN),
    Route("DELETE", f"{PREFIX}/credentials/{{id}}", delete_credential, ADMIN),
    Route("POST", f"{PREFIX}/lockout/clear", clear_lockout, ADMIN),
    Route("GET", f"{PREFIX}/templates", list_templates, ADMIN),
    Route(
        "POST",
        f"{PREFIX}/templates/{{credential_type}}/delete",
        delete_templates,
        ADMIN,
    ),
    Route("GET", f"{PREFIX}/temporary_passwords", list_temporary_passwords, ADMIN),
    Route("POST", f"{PREFIX}/temporary_passwords", create_temporary_password, ADMIN),
    Route(
        "DELETE",
        f"{PREFIX}/temporary_passwords/{{id}}",
        delete_temporary_password,
        ADMIN,
    ),
    Route("GET", f"{PREFIX}/bluetooth_keys", list_bluetooth_keys, ADMIN),
    Route("POST", f"{PREFIX}/bluetooth_keys", create_bluetooth_key, ADMIN),
    Route("DELETE", f"{PREFIX}/bluetooth_keys/{{id}}", delete_bluetooth_key, ADMIN),
    Route("GET", f"{PREFIX}/events", events, OPERATE),
    Route("GET", f"{PREFIX}/clients", list_clients, ADMIN),
    Route("POST", f"{PREFIX}/clients", create_client, ADMIN),
    Route("DELETE", f"{PREFIX}/clients/{{id}}", revoke_client, ADMIN),
    Route("GET", f"{PREFIX}/camera/snapshot", camera.snapshot, OPERATE),
    Route("GET", f"{PREFIX}/camera/stream", camera.stream, OPERATE),
    Route("GET", f"{PREFIX}/camera/snapshots/{{id}}", camera.saved_snapshot, OPERATE),
    Route("GET", f"{PREFIX}/ws", websocket, OPERATE),
]

ROLES: dict[RouteHandler, ClientRole | None] = {
    route.handler: route.role for route in ROUTES
}
WS_ROUTE: RouteHandler = websocket  # upgrades to the push channel (not JSON)
# Answered over time (a stream, a WebSocket): no HEAD for them (405); every other GET
# route answers HEAD with the head its GET would have (RFC 9110 9.3.2).
STREAMED: frozenset[RouteHandler] = frozenset({websocket, camera.stream})
# Writes of door secrets: limited per client (api/auth.py, WriteRateLimit).
RATE_LIMITED: frozenset[RouteHandler] = frozenset(
    {set_password, create_temporary_password}
)
