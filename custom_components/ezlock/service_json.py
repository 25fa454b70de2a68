"""What the actions send and answer as JSON.

Times go to the lock in UTC and come back in Home Assistant's zone; models answer as the
API's objects; a visitor's secret only in the answer of the action that created it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from homeassistant.util import dt as dt_util

from .client import VisitorCredential


def to_utc(value: datetime | None) -> datetime | None:
    """Send times in UTC; a time without zone is in Home Assistant's zone."""
    return None if value is None else dt_util.as_utc(value)


def json_object(model: object) -> dict[str, Any]:
    """Return a model as the API's JSON object."""
    shown: dict[str, Any] = as_json(model)
    return shown


def as_json(value: object) -> Any:
    """Return a model (or what it holds) as JSON: times ISO-8601 in HA's time zone."""
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: as_json(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, datetime):
        return dt_util.as_local(value).isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(key): as_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(item) for item in value]
    return value


def _local(moment: datetime | None) -> str | None:
    """Show a time in Home Assistant's zone, ``None`` for none."""
    return None if moment is None else dt_util.as_local(moment).isoformat()


def visitor_json(visitor: VisitorCredential) -> dict[str, Any]:
    """Return the API's object for the visitor's kind; the secret only when new."""
    shown: dict[str, Any] = {
        "id": visitor.id,
        "name": visitor.name,
        "valid_from": dt_util.as_local(visitor.valid_from).isoformat(),
        "valid_until": dt_util.as_local(visitor.valid_until).isoformat(),
        "schedule": [window.as_json() for window in visitor.schedule],
        "status": visitor.status.value,
        "status_until": _local(visitor.status_until),
        "revoked_at": _local(visitor.revoked_at),
    }
    if visitor.kind.counts_uses:
        shown |= {
            "max_uses": visitor.max_uses,
            "uses": visitor.uses,
            "remaining_uses": visitor.remaining_uses,
            "last_used_at": _local(visitor.last_used_at),
        }
    shown["created"] = dt_util.as_local(visitor.created).isoformat()
    if visitor.secret is not None:
        shown[visitor.kind.secret_field] = visitor.secret
    return shown
