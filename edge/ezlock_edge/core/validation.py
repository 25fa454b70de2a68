"""What the core refuses from a client before acting: unknown names, values out of range.

The API checks the shape of every request first (``ezlock_edge.api.schemas``); these
checks keep the core safe for any other caller and say which field is wrong.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from ezlock_edge.vocabulary.mcu import DoorDirection

from .errors import InvalidRequestError, InvalidValidityError
from .limits import COUNTDOWN_SECONDS, NAME_LENGTH, VOLUME, Limit
from .models import Settings

_RANGED_SETTINGS = {"countdown_lock_seconds": COUNTDOWN_SECONDS, "volume": VOLUME}


def parse_enum[E: StrEnum](enum: type[E], value: Any, field: str) -> E:
    """Read an enum value from a client, refusing unknown ones as a bad request."""
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidRequestError(f"Unknown {field}", {field: choices}) from None


def check_range(name: str, value: Any, limit: Limit) -> None:
    """Refuse ``value`` unless it is an integer within ``limit``."""
    if value not in limit:
        raise InvalidRequestError(f"{name} must be {limit}", {name: str(limit)})


def check_name(name: str) -> None:
    """Refuse a user's or visitor's name of the wrong length."""
    if len(name) not in NAME_LENGTH:
        raise InvalidRequestError("Bad name", {"name": f"{NAME_LENGTH} characters"})


def check_validity(start: datetime | None, end: datetime | None) -> None:
    """Refuse a validity window with a time without offset or an end not after its start."""
    for field, moment in (("valid_from", start), ("valid_until", end)):
        if moment is not None and moment.utcoffset() is None:
            raise InvalidRequestError("Time without offset", {field: "needs an offset"})
    if start is not None and end is not None and end <= start:
        raise InvalidValidityError(
            "valid_until must be after valid_from",
            {"valid_until": "not after valid_from"},
        )


def validated_settings(current: Settings, changes: dict[str, Any]) -> Settings:
    """Return ``current`` with ``changes``, refusing unknown fields and bad values."""
    fields: dict[str, str] = {}
    values = current.as_dict()
    for name, value in changes.items():
        if name not in values:
            fields[name] = "unknown setting"
        elif name in _RANGED_SETTINGS:
            if value not in _RANGED_SETTINGS[name]:
                fields[name] = str(_RANGED_SETTINGS[name])
        elif name == "door_direction":
            if isinstance(value, DoorDirection):
                values[name] = value.name.lower()
                continue
            if value not in {"left", "right"}:
                fields[name] = "left or right"
        elif not isinstance(value, bool):
            fields[name] = "true or false"
        values[name] = value
    if fields:
        raise InvalidRequestError("Invalid settings", fields)
    return Settings.from_dict(values)
