"""How values are kept in SQLite's columns: times as ISO 8601 text, schedules as JSON."""

from __future__ import annotations

from datetime import datetime
import json

from ezlock_edge.core.schedule import Schedule


def time_text(value: datetime | None) -> str | None:
    """Write a time (None stays NULL)."""
    return value.isoformat() if value is not None else None


def parse_time(value: str | None) -> datetime | None:
    """Read a time (NULL is None)."""
    return datetime.fromisoformat(value) if value is not None else None


def parse_required_time(value: str) -> datetime:
    """Read a time of a NOT NULL column."""
    return datetime.fromisoformat(value)


def parse_schedule(value: str | None) -> Schedule:
    """Read a weekly schedule (NULL: none)."""
    return Schedule.from_list(json.loads(value) if value is not None else None)


def schedule_text(schedule: Schedule) -> str | None:
    """Write a weekly schedule (none: NULL)."""
    windows = schedule.as_list()
    return json.dumps(windows) if windows is not None else None
