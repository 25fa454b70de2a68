"""The OpenAPI 3.1 description served at ``/api/v1/openapi.json``.

Written by hand, as the contract, rather than derived from the handlers; tests check that
it names exactly the routes the server has and exactly the fields each schema accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ezlock_edge import __version__
from ezlock_edge.core.limits import (
    COUNTDOWN_SECONDS,
    EVENTS_PER_QUERY,
    EVENTS_PER_QUERY_DEFAULT,
    NAME_LENGTH,
    PASSWORD_DIGITS,
    SCHEDULE_WINDOWS,
    TEMPLATE_SLOT,
    TEMPLATES_PER_DELETE,
    USER_NUMBER,
    VISITOR_USES,
    VOLUME,
    Limit,
)

from .version import API_VERSION

__all__ = ["API_VERSION", "document"]


type Json = dict[str, Any]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Json) -> Json:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: Json, required: tuple[str, ...] = (), **extra: Any) -> Json:
    schema: Json = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def _integer(limit: Limit, **extra: Any) -> Json:
    """Describe an integer within one of the lock's limits (the document carries them all)."""
    return {
        "type": "integer",
        "minimum": limit.minimum,
        "maximum": limit.maximum,
    } | extra


_TIME: Json = {"type": "string", "format": "date-time"}
_NAME: Json = {
    "type": "string",
    "minLength": NAME_LENGTH.minimum,
    "maxLength": NAME_LENGTH.maximum,
}
_USER_REF: Json = _nullable(
    _object(
        {"number": {"type": "integer"}, "name": {"type": "string"}},
        ("number", "name"),
    )
)
_CREDENTIAL_TYPE: Json = {
    "type": "string",
    "enum": ["password", "fingerprint", "face", "palm"],
}
_HHMM = "^([01][0-9]|2[0-3]):[0-5][0-9]$"
_SCHEDULE: Json = _nullable(
    {
        "type": "array",
        "maxItems": SCHEDULE_WINDOWS.maximum,
        "description": "Weekly windows in the lock's time zone (Info.time_zone); "
        "until not after from passes midnight; null or [] = no schedule.",
        "items": _object(
            {
                "days": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 7,
                    "uniqueItems": True,
                    "items": {
                        "type": "string",
                        "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                    },
                },
                "from": {"type": "string", "pattern": _HHMM},
                "until": {
                    "type": "string",
                    "pattern": "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
                },
            },
            ("days", "from", "until"),
        ),
    }
)
_VISITOR_STATUS: Json = {
    "type": "string",
    "enum": ["scheduled", "active", "used_up", "expired", "revoked"],
    "description": "where it stands now (a weekly schedule aside); an ended one"
    " (used_up, expired, revoked) never opens again and is listed for 30 days",
}
_COUNT: Json = _object(
    {"count": {"type": "integer"}, "capacity": {"type": "integer"}},
    ("count", "capacity"),
)

_SETTINGS_PROPERTIES: Json = {
    "countdown_lock_enabled": {"type": "boolean"},
    "countdown_lock_seconds": _integer(COUNTDOWN_SECONDS),
    "remote_unlock_enabled": {"type": "boolean"},
    "lockout_protection": {"type": "boolean"},
    "away_mode": {"type": "boolean"},
    "wifi_enabled": {"type": "boolean"},
    "door_direction": {"type": "string", "enum": ["left", "right"]},
    "volume": _integer(VOLUME),
    "muted": {"type": "boolean"},
    "require_pin_for_remote": {"type": "boolean"},
}

_CAMERA_REASON: Json = {
    "type": "string",
    "enum": ["low_battery", "not_configured", "device_error"],
}

SCHEMAS: Json = {
    "CameraUnavailable": _object(
        {
            "error": {"type": "string", "const": "camera_unavailable"},
            "message": {"type": "string"},
            "reason": _CAMERA_REASON,
        },
        ("error", "message", "reason"),
    ),
    "Error": {
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["error", "message"],
    },
    "Info": _object(
        {
            "serial": {"type": "string"},
            "model": {"type": "string"},
            "firmware": {"type": "string"},
            "api_version": {"type": "integer"},
            "pairing_open": {"type": "boolean"},
            "tls_fingerprint": _nullable(
                {"type": "string", "pattern": "^[0-9a-f]{64}$"}
            ),
            "name": _nullable({"type": "string", "minLength": 1, "maxLength": 32}),
            "time_zone": {"type": "string", "description": "IANA name"},
        },
        (
            "serial",
            "model",
            "firmware",
            "api_version",
            "pairing_open",
            "tls_fingerprint",
            "name",
            "time_zone",
        ),
    ),
    "PairRequest": _object(
        {
            "client_name": {"type": "string", "minLength": 1, "maxLength": 64},
            "verification_code": {"type": "string", "minLength": 1, "maxLength": 32},
        },
        ("client_name", "verification_code"),
    ),
    "Paired": _object(
        {"token": {"type": "string"}, "client_id": {"type": "string"}},
        ("token", "client_id"),
    ),
    "ClientCreate": _object(
        {
            "client_name": {"type": "string", "minLength": 1, "maxLength": 64},
            "role": {"type": "string", "enum": ["operate"]},
        },
        ("client_name", "role"),
    ),
    "ClientCreated": _object(
        {
            "token": {"type": "string"},
            "client_id": {"type": "string"},
            "role": {"type": "string", "enum": ["operate"]},
        },
        ("token", "client_id", "role"),
    ),
    "State": _object(
        {
            "bolt": {
                "type": "string",
                "enum": [
                    "locked",
                    "unlocked",
                    "locking",
                    "unlocking",
                    "jammed",
                    "unknown",
                ],
            },
            "door": {"type": "string", "enum": ["open", "closed", "unknown"]},
            "battery_percent": {"type": "integer", "minimum": 0, "maximum": 100},
            "low_battery": {"type": "boolean"},
            "power_source": {"type": "string", "enum": ["battery", "emergency"]},
            "tamper": {"type": "boolean"},
            "wifi_enabled": {"type": "boolean"},
            "wifi_rssi": _nullable({"type": "integer"}),
            "bluetooth": {"type": "string", "enum": ["off", "idle", "connected"]},
            "door_direction": {"type": "string", "enum": ["left", "right"]},
            "lockout_active": {"type": "boolean"},
            "lockout_until": _nullable(_TIME),
            "pairing_open": {"type": "boolean"},
            "pairing_until": _nullable(_TIME),
            "away_mode": {"type": "boolean"},
            "muted": {"type": "boolean"},
            "volume": {"type": "integer"},
            "remote_unlock_enabled": {"type": "boolean"},
            "lockout_protection": {"type": "boolean"},
            "require_pin_for_remote": {"type": "boolean"},
            "countdown_lock_enabled": {"type": "boolean"},
            "countdown_lock_seconds": {"type": "integer"},
            "countdown_lock_at": _nullable(_TIME),
            "admin_exists": {"type": "boolean"},
            "devices": {
                "type": "object",
                "additionalProperties": {
                    "type": "string",
                    "enum": ["connected", "disconnected"],
                },
            },
            "users": _object({"count": {"type": "integer"}}, ("count",)),
            "credentials": _object(
                {
                    "password": _COUNT,
                    "fingerprint": _COUNT,
                    "face": _COUNT,
                    "palm": _COUNT,
                }
            ),
            "temporary_passwords": {"type": "integer"},
            "bluetooth_keys": {"type": "integer"},
            "last_operation": _nullable(
                {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "enum": ["unlocked", "locked"]},
                        "method": _nullable({"type": "string"}),
                        "source": _nullable({"type": "string"}),
                        "user": _USER_REF,
                        "visitor": _nullable(
                            _object(
                                {"id": {"type": "string"}, "name": {"type": "string"}},
                                ("id", "name"),
                            )
                        ),
                        "time": _TIME,
                    },
                }
            ),
            "last_seq": {"type": "integer"},
            "camera": _object(
                {
                    "available": {"type": "boolean"},
                    "reason": _nullable(_CAMERA_REASON),
                    "viewers": {"type": "integer", "minimum": 0},
                    "width": {"type": "integer"},
                    "height": {"type": "integer"},
                    "fps": {"type": "integer"},
                },
                ("available", "reason", "viewers", "width", "height", "fps"),
            ),
        }
    ),
    "Settings": _object(_SETTINGS_PROPERTIES, tuple(_SETTINGS_PROPERTIES)),
    "SettingsPatch": _object(_SETTINGS_PROPERTIES, minProperties=1),
    "CountdownLock": _object({"seconds": _integer(COUNTDOWN_SECONDS)}, ("seconds",)),
    "CountdownStarted": _object({"lock_at": _TIME}, ("lock_at",)),
    "Empty": _object({}),
    "Credential": _object(
        {
            "id": {"type": "string"},
            "type": _CREDENTIAL_TYPE,
            "user": _USER_REF,
            "slot": _nullable({"type": "integer"}),
            "duress": {"type": "boolean"},
            "created": _TIME,
        }
    ),
    "CredentialPatch": _object({"duress": {"type": "boolean"}}, ("duress",)),
    "ModuleTemplates": _object(
        {
            "credential_type": {
                "type": "string",
                "enum": ["fingerprint", "face", "palm"],
            },
            "readable": {
                "type": "boolean",
                "description": "false: the module did not answer (the lists are empty)",
            },
            "unknown_slots": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "templates the module holds that no credential owns "
                "(another host's: the whole library, not only the lock's slots)",
            },
            "missing_slots": {"type": "array", "items": {"type": "integer"}},
            "missing_credentials": {
                "type": "array",
                "items": _ref("Credential"),
                "description": "credentials whose template the module lost: they "
                "match nobody until enrolled again",
            },
        },
        (
            "credential_type",
            "readable",
            "unknown_slots",
            "missing_slots",
            "missing_credentials",
        ),
    ),
    "TemplatesDelete": _object(
        {
            "slots": {
                "type": "array",
                "minItems": TEMPLATES_PER_DELETE.minimum,
                "maxItems": TEMPLATES_PER_DELETE.maximum,
                "uniqueItems": True,
                "items": _integer(TEMPLATE_SLOT),
            }
        },
        ("slots",),
    ),
    "User": _object(
        {
            "number": _integer(USER_NUMBER),
            "name": {"type": "string"},
            "role": {"type": "string", "enum": ["admin", "user"]},
            "valid_from": _nullable(_TIME),
            "valid_until": _nullable(_TIME),
            "schedule": _SCHEDULE,
            "created": _TIME,
            "credentials": {"type": "array", "items": _ref("Credential")},
        }
    ),
    "UserCreate": _object(
        {
            "name": _NAME,
            "role": {"type": "string", "enum": ["admin", "user"], "default": "user"},
            "valid_from": _nullable(_TIME),
            "valid_until": _nullable(_TIME),
            "schedule": _SCHEDULE,
        },
        ("name",),
    ),
    "UserPatch": _object(
        {
            "name": _NAME,
            "role": {"type": "string", "enum": ["admin", "user"]},
            "valid_from": _nullable(_TIME),
            "valid_until": _nullable(_TIME),
            "schedule": _SCHEDULE,
        },
        minProperties=1,
    ),
    "Password": _object(
        {
            "password": {
                "type": "string",
                "minLength": PASSWORD_DIGITS.minimum,
                "maxLength": PASSWORD_DIGITS.maximum,
                "pattern": f"^[0-9]{{{PASSWORD_DIGITS.minimum},{PASSWORD_DIGITS.maximum}}}$",
            }
        },
        ("password",),
    ),
    "EnrollmentRequest": _object(
        {"type": {"type": "string", "enum": ["fingerprint", "face", "palm"]}},
        ("type",),
    ),
    "Enrollment": _object(
        {
            "enrollment_id": {"type": "string"},
            "user": _USER_REF,
            "credential_type": _CREDENTIAL_TYPE,
            "steps": {"type": "integer"},
        }
    ),
    "TemporaryPassword": _object(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "valid_from": _TIME,
            "valid_until": _TIME,
            "schedule": _SCHEDULE,
            "max_uses": _nullable({"type": "integer"}),
            "uses": {"type": "integer"},
            "last_used_at": _nullable(_TIME),
            "status": _VISITOR_STATUS,
            "revoked_at": _nullable(_TIME),
            "created": _TIME,
            "code": {"type": "string", "description": "only in the 201 reply"},
        }
    ),
    "TemporaryPasswordCreate": _object(
        {
            "name": _NAME,
            "valid_from": _TIME,
            "valid_until": _TIME,
            "max_uses": _nullable(_integer(VISITOR_USES, default=1)),
            "schedule": _SCHEDULE,
            "code": {
                "type": "string",
                "description": "the owner's code (L-25); default: 8 random digits",
            },
        },
        ("name", "valid_until"),
    ),
    "BluetoothKey": _object(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "valid_from": _TIME,
            "valid_until": _TIME,
            "schedule": _SCHEDULE,
            "status": _VISITOR_STATUS,
            "revoked_at": _nullable(_TIME),
            "created": _TIME,
            "key": {"type": "string", "description": "only in the 201 reply"},
        }
    ),
    "BluetoothKeyCreate": _object(
        {
            "name": _NAME,
            "valid_from": _TIME,
            "valid_until": _TIME,
            "schedule": _SCHEDULE,
        },
        ("name", "valid_until"),
    ),
    "Event": {
        "type": "object",
        "description": "See the event catalogue in docs/architecture.md.",
        "properties": {
            "seq": {"type": "integer"},
            "time": _TIME,
            "type": {"type": "string"},
            "snapshot_id": _nullable(
                {
                    "type": "string",
                    "description": "doorbell, and unlocked / unlock_failed from "
                    "outside: the picture at GET /camera/snapshots/{id}; null while "
                    "the camera is off",
                }
            ),
        },
        "required": ["seq", "time", "type"],
    },
    "Events": _object(
        {
            "events": {"type": "array", "items": _ref("Event")},
            "last_seq": {"type": "integer"},
        },
        ("events", "last_seq"),
    ),
    "Client": _object(
        {
            "client_id": {"type": "string"},
            "name": {"type": "string"},
            "role": {"type": "string", "enum": ["admin", "operate"]},
            "created": _TIME,
            "last_seen": _nullable(_TIME),
        }
    ),
}


def _list_of(key: str, item: str) -> Json:
    return _object({key: {"type": "array", "items": _ref(item)}}, (key,))


def _json(schema: Json) -> Json:
    return {"content": {"application/json": {"schema": schema}}}


def _reply(description: str, schema: Json | None = None) -> Json:
    reply: Json = {"description": description}
    if schema is not None:
        reply.update(_json(schema))
    return reply


_ERRORS: Json = {
    "400": _reply("Invalid request", _ref("Error")),
    "401": _reply("Missing, unknown or revoked token", _ref("Error")),
    "429": _reply("Too many bad tokens from this address", _ref("Error")),
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
        operation["requestBody"] = {"required": not body_optional, **_json(_ref(body))}
    if parameters:
        operation["parameters"] = parameters
    return operation


def _path_param(name: str, schema: Json) -> Json:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_param(name: str, schema: Json) -> Json:
    return {"name": name, "in": "query", "required": False, "schema": schema}


_JPEG = {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}
_CAMERA_OFF = {"409": _reply("camera_unavailable", _ref("CameraUnavailable"))}
_NUMBER = _path_param("number", _integer(USER_NUMBER))
_ID = _path_param("id", {"type": "string"})
_NO_CONTENT = {"204": _reply("Done")}
_ACCEPTED = {"202": _reply("Accepted", _ref("Empty"))}

PATHS: Json = {
    "/api/v1/info": {
        "get": _op("Identity of the lock", {"200": _reply("Info", _ref("Info"))})
    },
    "/api/v1/pair": {
        "post": _op(
            "Pair a client while the pairing window is open (L-65)",
            {
                "201": _reply("Paired; the token is shown once", _ref("Paired")),
                "403": _reply("pairing_closed", _ref("Error")),
            },
            "PairRequest",
        )
    },
    "/api/v1/openapi.json": {
        "get": _op("This document", {"200": _reply("OpenAPI 3.1")})
    },
    "/api/v1/state": {
        "get": _op("Lock state", {"200": _reply("State", _ref("State"))})
    },
    "/api/v1/lock": {"post": _op("Lock", _ACCEPTED, "Empty", body_optional=True)},
    "/api/v1/unlock": {
        "post": _op(
            "Remote unlock (L-43)",
            {**_ACCEPTED, "409": _reply("Refused", _ref("Error"))},
            "Empty",
            body_optional=True,
        )
    },
    "/api/v1/countdown_lock": {
        "post": _op(
            "Lock after N seconds (one shot)",
            {"202": _reply("Scheduled", _ref("CountdownStarted"))},
            "CountdownLock",
        )
    },
    "/api/v1/settings": {
        "get": _op("Settings", {"200": _reply("Settings", _ref("Settings"))}),
        "patch": _op(
            "Change settings",
            {"200": _reply("Settings", _ref("Settings"))},
            "SettingsPatch",
        ),
    },
    "/api/v1/users": {
        "get": _op("Users", {"200": _reply("Users", _list_of("users", "User"))}),
        "post": _op("Add a user", {"201": _reply("User", _ref("User"))}, "UserCreate"),
    },
    "/api/v1/users/{number}": {
        "get": _op(
            "One user", {"200": _reply("User", _ref("User"))}, parameters=[_NUMBER]
        ),
        "patch": _op(
            "Change a user",
            {"200": _reply("User", _ref("User"))},
            "UserPatch",
            parameters=[_NUMBER],
        ),
        "delete": _op("Delete a user (L-27)", _NO_CONTENT, parameters=[_NUMBER]),
    },
    "/api/v1/users/{number}/password": {
        "put": _op(
            "Set the user's password (L-25)",
            {"200": _reply("Credential", _ref("Credential"))},
            "Password",
            parameters=[_NUMBER],
        )
    },
    "/api/v1/users/{number}/enrollments": {
        "post": _op(
            "Start a biometric enrollment at the lock",
            {"202": _reply("Started", _ref("Enrollment"))},
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
            {"200": _reply("Credentials", _list_of("credentials", "Credential"))},
            parameters=[_query_param("user", _integer(USER_NUMBER))],
        )
    },
    "/api/v1/credentials/{id}": {
        "patch": _op(
            "Mark or unmark the duress credential (L-29)",
            {"200": _reply("Credential", _ref("Credential"))},
            "CredentialPatch",
            parameters=[_ID],
        ),
        "delete": _op("Delete a credential", _NO_CONTENT, parameters=[_ID]),
    },
    "/api/v1/templates": {
        "get": _op(
            "Each biometric module's templates against the lock's credentials, read now",
            {"200": _reply("Templates", _list_of("templates", "ModuleTemplates"))},
        )
    },
    "/api/v1/templates/{credential_type}/delete": {
        "post": _op(
            "Delete templates no credential owns from a module",
            {
                "200": _reply("The module, read again", _ref("ModuleTemplates")),
                "409": _reply(
                    "template_in_use (a credential owns one), enrollment_busy",
                    _ref("Error"),
                ),
                "503": _reply("module_unavailable", _ref("Error")),
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
                "200": _reply(
                    "List", _list_of("temporary_passwords", "TemporaryPassword")
                )
            },
        ),
        "post": _op(
            "Create a temporary password (L-30)",
            {"201": _reply("Created, with the code", _ref("TemporaryPassword"))},
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
            {"200": _reply("List", _list_of("bluetooth_keys", "BluetoothKey"))},
        ),
        "post": _op(
            "Create a Bluetooth key (L-31)",
            {"201": _reply("Created, with the key", _ref("BluetoothKey"))},
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
            {"200": _reply("Events, oldest (or newest) first", _ref("Events"))},
            parameters=[
                _query_param("since", {"type": "integer", "minimum": 0}),
                _query_param("before", {"type": "integer", "minimum": 1}),
                _query_param("order", {"type": "string", "enum": ["oldest", "newest"]}),
                _query_param(
                    "limit",
                    _integer(EVENTS_PER_QUERY, default=EVENTS_PER_QUERY_DEFAULT),
                ),
            ],
        )
    },
    "/api/v1/clients": {
        "get": _op(
            "Paired clients", {"200": _reply("Clients", _list_of("clients", "Client"))}
        ),
        "post": _op(
            "Create an operate client (a wall tablet); the token is shown once",
            {"201": _reply("Created", _ref("ClientCreated"))},
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
                "503": _reply("camera_busy: as many streams as served", _ref("Error")),
            },
        )
    },
    "/api/v1/camera/snapshots/{id}": {
        "get": _op(
            "The picture an event's snapshot_id refers to",
            {
                "200": {"description": "JPEG", **_JPEG},
                "404": _reply("snapshot_not_found (or evicted)", _ref("Error")),
            },
            parameters=[_ID],
        )
    },
    "/api/v1/ws": {
        "get": _op(
            "WebSocket: events and state (see docs/api.md)",
            {"101": _reply("Switching protocols")},
        )
    },
}


_FORBIDDEN = _reply("forbidden: this client's role is operate", _ref("Error"))


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
