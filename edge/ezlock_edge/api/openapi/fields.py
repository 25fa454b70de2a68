"""Property schemas that several component schemas share (times, names, schedules)."""

from __future__ import annotations

from ezlock_edge.core.limits import (
    COUNTDOWN_SECONDS,
    NAME_LENGTH,
    SCHEDULE_WINDOWS,
    VOLUME,
)

from .json_schema import Json, bounded_integer, closed_object, nullable

TIME: Json = {"type": "string", "format": "date-time"}
NAME: Json = {
    "type": "string",
    "minLength": NAME_LENGTH.minimum,
    "maxLength": NAME_LENGTH.maximum,
}
USER_REF: Json = nullable(
    closed_object(
        {"number": {"type": "integer"}, "name": {"type": "string"}},
        ("number", "name"),
    )
)
CREDENTIAL_TYPE: Json = {
    "type": "string",
    "enum": ["password", "fingerprint", "face", "palm"],
}
_HHMM = "^([01][0-9]|2[0-3]):[0-5][0-9]$"
SCHEDULE: Json = nullable(
    {
        "type": "array",
        "maxItems": SCHEDULE_WINDOWS.maximum,
        "description": "Weekly windows in the lock's time zone (Info.time_zone); "
        "until not after from passes midnight; null or [] = no schedule.",
        "items": closed_object(
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
VISITOR_STATUS: Json = {
    "type": "string",
    "enum": [
        "scheduled",
        "outside_schedule",
        "active",
        "used_up",
        "expired",
        "revoked",
    ],
    "description": "where it stands now: active exactly when it opens now (its dates,"
    " its weekly schedule, its uses); an ended one (used_up, expired, revoked) never"
    " opens again and is listed for 30 days",
}
STATUS_UNTIL: Json = nullable(
    TIME
    | {
        "description": "when status next changes with time alone (for an ended one:"
        " when the lock forgets it); null if it never does"
    }
)
COUNT: Json = closed_object(
    {"count": {"type": "integer"}, "capacity": {"type": "integer"}},
    ("count", "capacity"),
)

SETTINGS_PROPERTIES: Json = {
    "countdown_lock_enabled": {"type": "boolean"},
    "countdown_lock_seconds": bounded_integer(COUNTDOWN_SECONDS),
    "remote_unlock_enabled": {"type": "boolean"},
    "lockout_protection": {"type": "boolean"},
    "away_mode": {"type": "boolean"},
    "wifi_enabled": {"type": "boolean"},
    "door_direction": {"type": "string", "enum": ["left", "right"]},
    "volume": bounded_integer(VOLUME),
    "muted": {"type": "boolean"},
    "require_pin_for_remote": {"type": "boolean"},
}

CAMERA_REASON: Json = {
    "type": "string",
    "enum": ["low_battery", "not_configured", "device_error"],
}
