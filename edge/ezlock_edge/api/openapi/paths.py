"""The paths: each route's operation, its parameters and its replies."""

from __future__ import annotations

from ezlock_edge.core.limits import (
    EVENTS_PER_QUERY,
    EVENTS_PER_QUERY_DEFAULT,
    USER_NUMBER,
)

from .json_schema import Json, bounded_integer, closed_object, ref


def _list_of(key: str, item: str) -> Json:
    return closed_object({key: {"type": "array", "items": ref(item)}}, (key,))


def _json(schema: Json) -> Json:
    return {"content": {"application/json": {"schema": schema}}}


def reply(description: str, schema: Json | None = None) -> Json:
    """Describe one reply, with its JSON body's schema if it has one."""
    described: Json = {"description": description}
    if schema is not None:
        described.update(_json(schema))
    return described


_ERRORS: Json = {
    "400": reply("Invalid request", ref("Error")),
    "401": reply("Missing, unknown or revoked token", ref("Error")),
    "429": reply(
        "Too many bad tokens from this address, or this client holds too many"
        " connections",
        ref("Error"),
    ),
}


def _op(
    summary: str,
    replies: Json,
    body: str | None = None,
    *,
    body_optional: bool = False,
    parameters: list[Json] | None = None,
) -> Json:
    operation: Json = {"summary": summary, "responses": {**replies, **_ERRORS}}
    if body is not None:
        operation["requestBody"] = {"required": not body_optional, **_json(ref(body))}
    if parameters:
        operation["parameters"] = parameters
    return operation


def _path_param(name: str, schema: Json) -> Json:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_param(name: str, schema: Json) -> Json:
    return {"name": name, "in": "query", "required": False, "schema": schema}


_JPEG = {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}
_CAMERA_OFF = {"409": reply("camera_unavailable", ref("CameraUnavailable"))}
_NUMBER = _path_param("number", bounded_integer(USER_NUMBER))
_ID = _path_param("id", {"type": "string"})
_NO_CONTENT = {"204": reply("Done")}
_ACCEPTED = {"202": reply("Accepted", ref("Empty"))}

PATHS: Json = {
    "/api/v1/info": {
        "get": _op("Identity of the lock", {"200": reply("Info", ref("Info"))})
    },
    "/api/v1/pair": {
        "post": _op(
            "Pair a client while the pairing window is open (L-65)",
            {
                "201": reply("Paired; the token is shown once", ref("Paired")),
                "403": reply("pairing_closed", ref("Error")),
            },
            "PairRequest",
        )
    },
    "/api/v1/openapi.json": {
        "get": _op("This document", {"200": reply("OpenAPI 3.1")})
    },
    "/api/v1/state": {"get": _op("Lock state", {"200": reply("State", ref("State"))})},
    "/api/v1/lock": {"post": _op("Lock", _ACCEPTED, "Empty", body_optional=True)},
    "/api/v1/unlock": {
        "post": _op(
            "Remote unlock (L-43)",
            {**_ACCEPTED, "409": reply("Refused", ref("Error"))},
            "Empty",
            body_optional=True,
        )
    },
    "/api/v1/countdown_lock": {
        "post": _op(
            "Lock after N seconds (one shot)",
            {"202": reply("Scheduled", ref("CountdownStarted"))},
            "CountdownLock",
        )
    },
    "/api/v1/settings": {
        "get": _op("Settings", {"200": reply("Settings", ref("Settings"))}),
        "patch": _op(
            "Change settings",
            {"200": reply("Settings", ref("Settings"))},
            "SettingsPatch",
        ),
    },
    "/api/v1/users": {
        "get": _op("Users", {"200": reply("Users", _list_of("users", "User"))}),
        "post": _op("Add a user", {"201": reply("User", ref("User"))}, "UserCreate"),
    },
    "/api/v1/users/{number}": {
        "get": _op(
            "One user", {"200": reply("User", ref("User"))}, parameters=[_NUMBER]
        ),
        "patch": _op(
            "Change a user",
            {"200": reply("User", ref("User"))},
            "UserPatch",
            parameters=[_NUMBER],
        ),
        "delete": _op("Delete a user (L-27)", _NO_CONTENT, parameters=[_NUMBER]),
    },
    "/api/v1/users/{number}/password": {
        "put": _op(
            "Set the user's password (L-25)",
            {"200": reply("Credential", ref("Credential"))},
            "Password",
            parameters=[_NUMBER],
        )
    },
    "/api/v1/users/{number}/enrollments": {
        "post": _op(
            "Start a biometric enrollment at the lock",
            {"202": reply("Started", ref("Enrollment"))},
            "EnrollmentRequest",
            parameters=[_NUMBER],
        )
    },
    "/api/v1/enrollments/{id}": {
        "delete": _op(
            "Cancel a running enrollment (404 enrollment_not_found once it ended)",
            _NO_CONTENT,
            parameters=[_ID],
        )
    },
    "/api/v1/credentials": {
        "get": _op(
            "Credentials",
            {"200": reply("Credentials", _list_of("credentials", "Credential"))},
            parameters=[_query_param("user", bounded_integer(USER_NUMBER))],
        )
    },
    "/api/v1/credentials/{id}": {
        "patch": _op(
            "Mark or unmark the duress credential (L-29)",
            {"200": reply("Credential", ref("Credential"))},
            "CredentialPatch",
            parameters=[_ID],
        ),
        "delete": _op("Delete a credential", _NO_CONTENT, parameters=[_ID]),
    },
    "/api/v1/templates": {
        "get": _op(
            "Each biometric module's templates against the lock's credentials, read now",
            {"200": reply("Templates", _list_of("templates", "ModuleTemplates"))},
        )
    },
    "/api/v1/templates/{credential_type}/delete": {
        "post": _op(
            "Delete templates no credential owns from a module",
            {
                "200": reply("The module, read again", ref("ModuleTemplates")),
                "409": reply(
                    "template_in_use (a credential owns one), enrollment_busy",
                    ref("Error"),
                ),
                "503": reply("module_unavailable", ref("Error")),
            },
            "TemplatesDelete",
            parameters=[
                _path_param(
                    "credential_type",
                    {"type": "string", "enum": ["fingerprint", "face", "palm"]},
                )
            ],
        )
    },
    "/api/v1/lockout/clear": {
        "post": _op(
            "Clear the security lockout (L-42)",
            _NO_CONTENT,
            "Empty",
            body_optional=True,
        )
    },
    "/api/v1/temporary_passwords": {
        "get": _op(
            "Temporary passwords",
            {
                "200": reply(
                    "List", _list_of("temporary_passwords", "TemporaryPassword")
                )
            },
        ),
        "post": _op(
            "Create a temporary password (L-30)",
            {"201": reply("Created, with the code", ref("TemporaryPassword"))},
            "TemporaryPasswordCreate",
        ),
    },
    "/api/v1/temporary_passwords/{id}": {
        "delete": _op(
            "Revoke a temporary password (listed as revoked); forget an ended one",
            _NO_CONTENT,
            parameters=[_ID],
        )
    },
    "/api/v1/bluetooth_keys": {
        "get": _op(
            "Bluetooth keys",
            {"200": reply("List", _list_of("bluetooth_keys", "BluetoothKey"))},
        ),
        "post": _op(
            "Create a Bluetooth key (L-31)",
            {"201": reply("Created, with the key", ref("BluetoothKey"))},
            "BluetoothKeyCreate",
        ),
    },
    "/api/v1/bluetooth_keys/{id}": {
        "delete": _op(
            "Revoke a Bluetooth key (listed as revoked); forget an ended one",
            _NO_CONTENT,
            parameters=[_ID],
        )
    },
    "/api/v1/events": {
        "get": _op(
            "Event history (L-66)",
            {"200": reply("Events, oldest (or newest) first", ref("Events"))},
            parameters=[
                _query_param("since", {"type": "integer", "minimum": 0}),
                _query_param("before", {"type": "integer", "minimum": 1}),
                _query_param("order", {"type": "string", "enum": ["oldest", "newest"]}),
                _query_param(
                    "limit",
                    bounded_integer(EVENTS_PER_QUERY, default=EVENTS_PER_QUERY_DEFAULT),
                ),
            ],
        )
    },
    "/api/v1/clients": {
        "get": _op(
            "Paired clients", {"200": reply("Clients", _list_of("clients", "Client"))}
        ),
        "post": _op(
            "Create an operate client (a wall tablet); the token is shown once",
            {"201": reply("Created", ref("ClientCreated"))},
            "ClientCreate",
        ),
    },
    "/api/v1/clients/{id}": {
        "delete": _op("Revoke a client", _NO_CONTENT, parameters=[_ID])
    },
    "/api/v1/camera/snapshot": {
        "get": _op(
            "A picture from the camera at the door now (L-13)",
            {"200": {"description": "JPEG", **_JPEG}, **_CAMERA_OFF},
        )
    },
    "/api/v1/camera/stream": {
        "get": _op(
            "Live view: MJPEG, one JPEG per part, until the camera goes off",
            {
                "200": {
                    "description": "multipart/x-mixed-replace; boundary=ezlock-frame",
                    "content": {
                        "multipart/x-mixed-replace": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                **_CAMERA_OFF,
                "503": reply("camera_busy: as many streams as served", ref("Error")),
            },
        )
    },
    "/api/v1/camera/snapshots/{id}": {
        "get": _op(
            "The picture an event's snapshot_id refers to",
            {
                "200": {"description": "JPEG", **_JPEG},
                "404": reply("snapshot_not_found (or evicted)", ref("Error")),
            },
            parameters=[_ID],
        )
    },
    "/api/v1/ws": {
        "get": _op(
            "WebSocket: events and state (see docs/api.md)",
            {"101": reply("Switching protocols")},
        )
    },
}
