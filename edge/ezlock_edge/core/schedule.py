"""Weekly schedules: when a person's credentials or a visitor's code open the door.

A schedule is a list of windows, each a set of weekdays and a time of day from / until,
on top of the validity dates (Matter's week-day schedules, keymaster's weekday windows).
The lock reads them on its own wall clock, in its own IANA time zone: "Mon 08:00-18:00"
means what the clock on the wall says, in winter and in summer, so a window is matched
against the local time of the moment (``zoneinfo``), never against a fixed UTC offset.
A window whose ``until`` is not after its ``from`` passes midnight and ends on the next
day (``fri 22:00-02:00`` opens until Saturday 02:00); ``until`` may be ``24:00``. An empty
schedule means no restriction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
import re
from typing import Any

from .errors import InvalidRequestError
from .limits import SCHEDULE_WINDOWS

_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


class Weekday(StrEnum):
    """The days of the week as the API names them, Monday first (ISO 8601)."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


_ORDER = tuple(Weekday)  # index = datetime.weekday()


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class Window:
    """Some weekdays, from a time of day until another (exclusive); may pass midnight."""

    days: frozenset[Weekday]
    start: int  # minutes after midnight, 0-1439
    end: int  # minutes after midnight, 1-1440; not after ``start``: the next day

    @property
    def wraps(self) -> bool:
        """Return whether the window passes midnight into the next day."""
        return self.end <= self.start

    def allows(self, local: datetime) -> bool:
        """Return whether the wall-clock time ``local`` falls inside the window."""
        day = _ORDER[local.weekday()]
        now = (
            local.hour * 60
            + local.minute
            + (local.second + local.microsecond / 1e6) / 60
        )
        if not self.wraps:
            return day in self.days and self.start <= now < self.end
        yesterday = _ORDER[(local.weekday() - 1) % 7]
        return (day in self.days and now >= self.start) or (
            yesterday in self.days and now < self.end
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the API's window object."""
        return {
            "days": [day.value for day in _ORDER if day in self.days],
            "from": _hhmm(self.start),
            "until": _hhmm(self.end),
        }


@dataclass(frozen=True, slots=True)
class Schedule:
    """Windows in which access is allowed; no windows means no restriction."""

    windows: tuple[Window, ...] = ()

    def __bool__(self) -> bool:
        """Return whether the schedule restricts anything."""
        return bool(self.windows)

    def allows(self, moment: datetime, zone: tzinfo) -> bool:
        """Return whether ``moment`` (aware) is inside a window, on the lock's clock."""
        if not self.windows:
            return True
        local = moment.astimezone(zone)
        return any(window.allows(local) for window in self.windows)

    def next_change(self, moment: datetime, zone: tzinfo) -> datetime | None:
        """Return the first moment after ``moment`` at which :meth:`allows` changes.

        None when it never does (no windows, or windows that cover the whole week).
        Every window opens and closes within a week of a day it names, so the edges of
        the windows on the days from yesterday to a week ahead are enough.
        """
        if not self.windows:
            return None
        today = moment.astimezone(zone).date()
        edges: set[datetime] = set()
        for offset in range(-1, 9):
            day = today + timedelta(days=offset)
            for window in self.windows:
                if _ORDER[day.weekday()] in window.days:
                    closes = day + timedelta(days=1) if window.wraps else day
                    edges.add(_wall(day, window.start, zone))
                    edges.add(_wall(closes, window.end, zone))
        now = self.allows(moment, zone)
        later = sorted(edge for edge in edges if edge > moment)
        return next((edge for edge in later if self.allows(edge, zone) != now), None)

    def as_list(self) -> list[dict[str, Any]] | None:
        """Return the API's ``schedule`` value (``null`` when there is none)."""
        return [window.as_dict() for window in self.windows] or None

    @classmethod
    def from_list(cls, value: Iterable[Mapping[str, Any]] | None) -> Schedule:
        """Read what :meth:`as_list` wrote (the database's copy, already valid)."""
        return cls(
            tuple(
                Window(
                    frozenset(Weekday(day) for day in item["days"]),
                    _minutes(item["from"]),
                    _minutes(item["until"]),
                )
                for item in value or ()
            )
        )


NO_SCHEDULE = Schedule()


def _wall(day: date, minutes: int, zone: tzinfo) -> datetime:
    """Return when the wall clock in ``zone`` shows ``minutes`` past ``day``'s midnight."""
    local = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return local.replace(tzinfo=zone).astimezone(UTC)


def parse_schedule(value: Any, field: str = "schedule") -> Schedule:
    """Read a client's ``schedule`` (``null`` or a list of windows), naming what is wrong.

    Raises ``InvalidRequestError`` whose ``fields`` point at the bad part, such as
    ``schedule.1.until``.
    """
    if value is None:
        return NO_SCHEDULE
    if isinstance(value, Schedule):
        return value
    if not isinstance(value, list):
        raise _bad(field, "a list of windows or null")
    if len(value) > SCHEDULE_WINDOWS.maximum:
        raise _bad(field, f"at most {SCHEDULE_WINDOWS.maximum} windows")
    return Schedule(
        tuple(_window(item, f"{field}.{index}") for index, item in enumerate(value))
    )


def _window(item: Any, path: str) -> Window:
    if not isinstance(item, dict):
        raise _bad(path, "an object with days, from and until")
    unknown = set(item) - {"days", "from", "until"}
    if unknown:
        raise _bad(f"{path}.{min(unknown)}", "unknown field")
    days = item.get("days")
    if (
        not isinstance(days, list)
        or not days
        or any(day not in Weekday._value2member_map_ for day in days)
        or len(set(days)) != len(days)
    ):
        raise _bad(
            f"{path}.days", "distinct weekdays: mon, tue, wed, thu, fri, sat, sun"
        )
    start = item.get("from")
    if not isinstance(start, str) or not _HHMM.match(start):
        raise _bad(f"{path}.from", "a time HH:MM, 00:00-23:59")
    end = item.get("until")
    if not isinstance(end, str) or not (_HHMM.match(end) or end == "24:00"):
        raise _bad(f"{path}.until", "a time HH:MM, 00:00-24:00")
    if _minutes(start) == _minutes(end):
        raise _bad(f"{path}.until", "must differ from from")
    return Window(
        frozenset(Weekday(day) for day in days), _minutes(start), _minutes(end)
    )


def _bad(field: str, expected: str) -> InvalidRequestError:
    return InvalidRequestError(f"Bad schedule: {field}", {field: expected})
