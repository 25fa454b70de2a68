"""What each route accepts: one voluptuous schema per body, strict about types.

Only plain voluptuous features are used (Home Assistant aliases ``voluptuous`` to a shim
and runs this code in-process). Types are checked, never coerced: ``"5"`` is not a number
and ``true`` is not an integer. Unknown fields are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime
import re
from typing import Any

import voluptuous as vol

from ezlock_edge.core import limits
from ezlock_edge.core.errors import InvalidRequestError
from ezlock_edge.core.limits import Limit
from ezlock_edge.core.schedule import Schedule, parse_schedule

CREDENTIAL_TYPES = ("fingerprint", "face", "palm")
ROLES = ("admin", "user")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def strict_int(minimum: int, maximum: int) -> Callable[[Any], int]:
    """Accept an integer in ``[minimum, maximum]``; refuse booleans and floats."""

    def validate(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise vol.Invalid("expected an integer")
        if not minimum <= value <= maximum:
            raise vol.Invalid(f"must be between {minimum} and {maximum}")
        return value

    return validate


def text(maximum: int) -> Callable[[Any], str]:
    """Accept a non-blank single-line string of at most ``maximum`` characters."""

    def validate(value: Any) -> str:
        if not isinstance(value, str):
            raise vol.Invalid("expected a string")
        if not value.strip() or len(value) > maximum:
            raise vol.Invalid(f"must be 1 to {maximum} characters")
        if _CONTROL.search(value):
            raise vol.Invalid("must not contain control characters")
        return value

    return validate


def aware_datetime(value: Any) -> datetime:
    """Accept an ISO-8601 time with an offset; one without is ambiguous."""
    if not isinstance(value, str):
        raise vol.Invalid("expected an ISO-8601 time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise vol.Invalid("expected an ISO-8601 time") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise vol.Invalid("time must include a UTC offset")
    return parsed


def one_of(*choices: str) -> Callable[[Any], str]:
    """Accept one of ``choices`` (exact strings)."""

    def validate(value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise vol.Invalid(f"expected one of {', '.join(choices)}")
        return value

    return validate


def boolean(value: Any) -> bool:
    """Accept a JSON boolean only."""
    if not isinstance(value, bool):
        raise vol.Invalid("expected a boolean")
    return value


def not_empty(value: dict[str, Any]) -> dict[str, Any]:
    """Refuse an empty PATCH: it must change something."""
    if not value:
        raise vol.Invalid("at least one field is required")
    return value


def _nullable(validator: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def validate(value: Any) -> Any:
        return None if value is None else validator(value)

    return validate


def within(limit: Limit) -> Callable[[Any], int]:
    """Accept an integer within one of the lock's limits (``core.limits``)."""
    return strict_int(limit.minimum, limit.maximum)


def schedule(value: Any) -> Schedule:
    """Accept a weekly schedule (``null`` / ``[]``: none), as ``core.schedule`` reads it."""
    try:
        return parse_schedule(value, field="")
    except InvalidRequestError as err:
        (where, expected), *_ = err.fields.items()
        path: list[Hashable] = [
            int(part) if part.isdigit() else part for part in where.split(".")[1:]
        ]
        raise vol.Invalid(expected, path=path) from None


_NAME = text(limits.NAME_LENGTH.maximum)
_TIME = aware_datetime
_OPTIONAL_TIME = _nullable(aware_datetime)

EMPTY = vol.Schema({})

PAIR = vol.Schema(
    {
        vol.Required("client_name"): text(64),
        vol.Required("verification_code"): text(32),
    }
)
CLIENT_CREATE = vol.Schema(
    {
        vol.Required("client_name"): text(64),
        vol.Required("role"): one_of("operate"),
    }
)

COUNTDOWN_LOCK = vol.Schema({vol.Required("seconds"): within(limits.COUNTDOWN_SECONDS)})

SETTINGS_PATCH = vol.All(
    vol.Schema(
        {
            vol.Optional("countdown_lock_enabled"): boolean,
            vol.Optional("countdown_lock_seconds"): within(limits.COUNTDOWN_SECONDS),
            vol.Optional("remote_unlock_enabled"): boolean,
            vol.Optional("lockout_protection"): boolean,
            vol.Optional("away_mode"): boolean,
            vol.Optional("wifi_enabled"): boolean,
            vol.Optional("door_direction"): one_of("left", "right"),
            vol.Optional("volume"): within(limits.VOLUME),
            vol.Optional("muted"): boolean,
            vol.Optional("require_pin_for_remote"): boolean,
        }
    ),
    not_empty,
)

USER_CREATE = vol.Schema(
    {
        vol.Required("name"): _NAME,
        vol.Optional("role", default="user"): one_of(*ROLES),
        vol.Optional("valid_from"): _OPTIONAL_TIME,
        vol.Optional("valid_until"): _OPTIONAL_TIME,
        vol.Optional("schedule"): schedule,
    }
)

USER_PATCH = vol.All(
    vol.Schema(
        {
            vol.Optional("name"): _NAME,
            vol.Optional("role"): one_of(*ROLES),
            vol.Optional("valid_from"): _OPTIONAL_TIME,
            vol.Optional("valid_until"): _OPTIONAL_TIME,
            vol.Optional("schedule"): schedule,
        }
    ),
    not_empty,
)

PASSWORD = vol.Schema({vol.Required("password"): text(64)})

ENROLLMENT = vol.Schema({vol.Required("type"): one_of(*CREDENTIAL_TYPES)})

CREDENTIAL_PATCH = vol.Schema({vol.Required("duress"): boolean})

TEMPORARY_PASSWORD_CREATE = vol.Schema(
    {
        vol.Required("name"): _NAME,
        vol.Optional("valid_from"): _TIME,
        vol.Required("valid_until"): _TIME,
        vol.Optional("max_uses", default=1): _nullable(within(limits.VISITOR_USES)),
        vol.Optional("schedule"): schedule,
        vol.Optional("code"): text(64),  # L-25 is checked by the core, by rule
    }
)

BLUETOOTH_KEY_CREATE = vol.Schema(
    {
        vol.Required("name"): _NAME,
        vol.Optional("valid_from"): _TIME,
        vol.Required("valid_until"): _TIME,
        vol.Optional("schedule"): schedule,
    }
)


def slot_list(value: Any) -> list[int]:
    """Accept a list of distinct template slots (``limits.TEMPLATES_PER_DELETE``)."""
    count = limits.TEMPLATES_PER_DELETE
    if not isinstance(value, list) or len(value) not in count:
        raise vol.Invalid(f"expected a list of {count} slots")
    slot = within(limits.TEMPLATE_SLOT)
    slots = [slot(item) for item in value]
    if len(set(slots)) != len(slots):
        raise vol.Invalid("slots must be distinct")
    return slots


TEMPLATES_DELETE = vol.Schema({vol.Required("slots"): slot_list})

# Path and query parameters arrive as strings.


def digits(minimum: int, maximum: int) -> Callable[[Any], int]:
    """Accept a decimal string (path or query parameter) naming an integer in range."""
    bounded = strict_int(minimum, maximum)

    def validate(value: Any) -> int:
        if not isinstance(value, str) or not value.isascii() or not value.isdigit():
            raise vol.Invalid("expected a non-negative integer")
        if len(value) > 12:
            raise vol.Invalid(f"must be between {minimum} and {maximum}")
        return bounded(int(value))

    return validate


USER_NUMBER = digits(limits.USER_NUMBER.minimum, limits.USER_NUMBER.maximum)
OBJECT_ID = text(64)

EVENTS_QUERY = vol.Schema(
    {
        vol.Optional("since"): digits(0, 2**63 - 1),
        vol.Optional("before"): digits(1, 2**63 - 1),
        vol.Optional("limit"): digits(
            limits.EVENTS_PER_QUERY.minimum, limits.EVENTS_PER_QUERY.maximum
        ),
        vol.Optional("order"): one_of("oldest", "newest"),
    }
)

CREDENTIALS_QUERY = vol.Schema({vol.Optional("user"): USER_NUMBER})
MODULE_TYPE = one_of(*CREDENTIAL_TYPES)

# WebSocket client messages.

WS_SUBSCRIBE = vol.Schema(
    {
        vol.Required("type"): one_of("subscribe"),
        vol.Required("since"): _nullable(strict_int(0, 2**63 - 1)),
    }
)
WS_PING = vol.Schema({vol.Required("type"): one_of("ping")}, extra=vol.ALLOW_EXTRA)
