"""The component schemas: every request body and reply the API exchanges.

Tests check that each names exactly the fields its handler accepts or returns.
"""

from __future__ import annotations

from ezlock_edge.core.limits import (
    COUNTDOWN_SECONDS,
    PASSWORD_DIGITS,
    TEMPLATE_SLOT,
    TEMPLATES_PER_DELETE,
    USER_NUMBER,
    VISITOR_USES,
)

from .fields import (
    CAMERA_REASON,
    COUNT,
    CREDENTIAL_TYPE,
    NAME,
    SCHEDULE,
    SETTINGS_PROPERTIES,
    STATUS_UNTIL,
    TIME,
    USER_REF,
    VISITOR_STATUS,
)
from .json_schema import Json, bounded_integer, closed_object, nullable, ref

SCHEMAS: Json = {
    "CameraUnavailable": closed_object(
        {
            "error": {"type": "string", "const": "camera_unavailable"},
            "message": {"type": "string"},
            "reason": CAMERA_REASON,
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
    "Info": closed_object(
        {
            "serial": {"type": "string"},
            "model": {"type": "string"},
            "firmware": {"type": "string"},
            "api_version": {"type": "integer"},
            "pairing_open": {"type": "boolean"},
            "tls_fingerprint": nullable(
                {"type": "string", "pattern": "^[0-9a-f]{64}$"}
            ),
            "name": nullable({"type": "string", "minLength": 1, "maxLength": 32}),
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
    "PairRequest": closed_object(
        {
            "client_name": {"type": "string", "minLength": 1, "maxLength": 64},
            "verification_code": {"type": "string", "minLength": 1, "maxLength": 32},
        },
        ("client_name", "verification_code"),
    ),
    "Paired": closed_object(
        {"token": {"type": "string"}, "client_id": {"type": "string"}},
        ("token", "client_id"),
    ),
    "ClientCreate": closed_object(
        {
            "client_name": {"type": "string", "minLength": 1, "maxLength": 64},
            "role": {"type": "string", "enum": ["operate"]},
        },
        ("client_name", "role"),
    ),
    "ClientCreated": closed_object(
        {
            "token": {"type": "string"},
            "client_id": {"type": "string"},
            "role": {"type": "string", "enum": ["operate"]},
        },
        ("token", "client_id", "role"),
    ),
    "State": closed_object(
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
            "wifi_rssi": nullable({"type": "integer"}),
            "bluetooth": {"type": "string", "enum": ["off", "idle", "connected"]},
            "door_direction": {"type": "string", "enum": ["left", "right"]},
            "lockout_active": {"type": "boolean"},
            "lockout_until": nullable(TIME),
            "pairing_open": {"type": "boolean"},
            "pairing_until": nullable(TIME),
            "away_mode": {"type": "boolean"},
            "muted": {"type": "boolean"},
            "volume": {"type": "integer"},
            "remote_unlock_enabled": {"type": "boolean"},
            "lockout_protection": {"type": "boolean"},
            "require_pin_for_remote": {"type": "boolean"},
            "countdown_lock_enabled": {"type": "boolean"},
            "countdown_lock_seconds": {"type": "integer"},
            "countdown_lock_at": nullable(TIME),
            "admin_exists": {"type": "boolean"},
            "devices": {
                "type": "object",
                "additionalProperties": {
                    "type": "string",
                    "enum": ["connected", "disconnected"],
                },
            },
            "users": closed_object({"count": {"type": "integer"}}, ("count",)),
            "credentials": closed_object(
                {
                    "password": COUNT,
                    "fingerprint": COUNT,
                    "face": COUNT,
                    "palm": COUNT,
                }
            ),
            "temporary_passwords": {"type": "integer"},
            "bluetooth_keys": {"type": "integer"},
            "last_operation": nullable(
                {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "enum": ["unlocked", "locked"]},
                        "method": nullable({"type": "string"}),
                        "source": nullable({"type": "string"}),
                        "user": USER_REF,
                        "visitor": nullable(
                            closed_object(
                                {"id": {"type": "string"}, "name": {"type": "string"}},
                                ("id", "name"),
                            )
                        ),
                        "time": TIME,
                    },
                }
            ),
            "last_seq": {"type": "integer"},
            "camera": closed_object(
                {
                    "available": {"type": "boolean"},
                    "reason": nullable(CAMERA_REASON),
                    "viewers": {"type": "integer", "minimum": 0},
                    "width": {"type": "integer"},
                    "height": {"type": "integer"},
                    "fps": {"type": "integer"},
                },
                ("available", "reason", "viewers", "width", "height", "fps"),
            ),
        }
    ),
    "Settings": closed_object(SETTINGS_PROPERTIES, tuple(SETTINGS_PROPERTIES)),
    "SettingsPatch": closed_object(SETTINGS_PROPERTIES, minProperties=1),
    "CountdownLock": closed_object(
        {"seconds": bounded_integer(COUNTDOWN_SECONDS)}, ("seconds",)
    ),
    "CountdownStarted": closed_object({"lock_at": TIME}, ("lock_at",)),
    "Empty": closed_object({}),
    "Credential": closed_object(
        {
            "id": {"type": "string"},
            "type": CREDENTIAL_TYPE,
            "user": USER_REF,
            "slot": nullable({"type": "integer"}),
            "duress": {"type": "boolean"},
            "created": TIME,
        }
    ),
    "CredentialPatch": closed_object({"duress": {"type": "boolean"}}, ("duress",)),
    "ModuleTemplates": closed_object(
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
                "items": ref("Credential"),
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
    "TemplatesDelete": closed_object(
        {
            "slots": {
                "type": "array",
                "minItems": TEMPLATES_PER_DELETE.minimum,
                "maxItems": TEMPLATES_PER_DELETE.maximum,
                "uniqueItems": True,
                "items": bounded_integer(TEMPLATE_SLOT),
            }
        },
        ("slots",),
    ),
    "User": closed_object(
        {
            "number": bounded_integer(USER_NUMBER),
            "name": {"type": "string"},
            "role": {"type": "string", "enum": ["admin", "user"]},
            "valid_from": nullable(TIME),
            "valid_until": nullable(TIME),
            "schedule": SCHEDULE,
            "created": TIME,
            "credentials": {"type": "array", "items": ref("Credential")},
        }
    ),
    "UserCreate": closed_object(
        {
            "name": NAME,
            "role": {"type": "string", "enum": ["admin", "user"], "default": "user"},
            "valid_from": nullable(TIME),
            "valid_until": nullable(TIME),
            "schedule": SCHEDULE,
        },
        ("name",),
    ),
    "UserPatch": closed_object(
        {
            "name": NAME,
            "role": {"type": "string", "enum": ["admin", "user"]},
            "valid_from": nullable(TIME),
            "valid_until": nullable(TIME),
            "schedule": SCHEDULE,
        },
        minProperties=1,
    ),
    "Password": closed_object(
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
    "EnrollmentRequest": closed_object(
        {"type": {"type": "string", "enum": ["fingerprint", "face", "palm"]}},
        ("type",),
    ),
    "Enrollment": closed_object(
        {
            "enrollment_id": {"type": "string"},
            "user": USER_REF,
            "credential_type": CREDENTIAL_TYPE,
            "steps": {"type": "integer"},
        }
    ),
    "TemporaryPassword": closed_object(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "valid_from": TIME,
            "valid_until": TIME,
            "schedule": SCHEDULE,
            "max_uses": nullable({"type": "integer"}),
            "uses": {"type": "integer"},
            "last_used_at": nullable(TIME),
            "status": VISITOR_STATUS,
            "status_until": STATUS_UNTIL,
            "revoked_at": nullable(TIME),
            "created": TIME,
            "code": {"type": "string", "description": "only in the 201 reply"},
        }
    ),
    "TemporaryPasswordCreate": closed_object(
        {
            "name": NAME,
            "valid_from": TIME,
            "valid_until": TIME,
            "max_uses": nullable(bounded_integer(VISITOR_USES, default=1)),
            "schedule": SCHEDULE,
            "code": {
                "type": "string",
                "description": "the owner's code (L-25); default: 8 random digits",
            },
        },
        ("name", "valid_until"),
    ),
    "BluetoothKey": closed_object(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "valid_from": TIME,
            "valid_until": TIME,
            "schedule": SCHEDULE,
            "status": VISITOR_STATUS,
            "status_until": STATUS_UNTIL,
            "revoked_at": nullable(TIME),
            "created": TIME,
            "key": {"type": "string", "description": "only in the 201 reply"},
        }
    ),
    "BluetoothKeyCreate": closed_object(
        {
            "name": NAME,
            "valid_from": TIME,
            "valid_until": TIME,
            "schedule": SCHEDULE,
        },
        ("name", "valid_until"),
    ),
    "Event": {
        "type": "object",
        "description": "See the event catalogue in docs/architecture.md.",
        "properties": {
            "seq": {"type": "integer"},
            "time": TIME,
            "type": {"type": "string"},
            "snapshot_id": nullable(
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
    "Events": closed_object(
        {
            "events": {"type": "array", "items": ref("Event")},
            "last_seq": {"type": "integer"},
        },
        ("events", "last_seq"),
    ),
    "Client": closed_object(
        {
            "client_id": {"type": "string"},
            "name": {"type": "string"},
            "role": {"type": "string", "enum": ["admin", "operate"]},
            "created": TIME,
            "last_seen": nullable(TIME),
        }
    ),
}
