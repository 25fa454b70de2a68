"""Weekly schedules of people and visitors: a window is some weekdays from a time until a time.

On the lock's clock (its ``time_zone``); an end not after its start passes midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from ._reader import JsonObject, JsonValue, Reader
from .errors import EzlockProtocolError


class Weekday(StrEnum):
    """Days of a weekly schedule, Monday first (ISO 8601)."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


@dataclass(frozen=True, slots=True)
class ScheduleWindow:
    """Some weekdays from ``start`` until ``end`` (``HH:MM``, exclusive).

    On the lock's clock; an ``end`` not after ``start`` passes midnight, and ``24:00``
    is the day's end.
    """

    days: tuple[Weekday, ...]
    start: str
    end: str

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse a window object."""
        days = reader.data.get("days")
        if not isinstance(days, list) or not days:
            raise EzlockProtocolError(f"{reader.path}.days: expected a list of days")
        try:
            parsed = tuple(Weekday(str(day)) for day in days)
        except ValueError:
            raise EzlockProtocolError(
                f"{reader.path}.days: expected weekdays"
            ) from None
        return cls(days=parsed, start=_hhmm(reader, "from"), end=_hhmm(reader, "until"))

    def as_json(self) -> JsonObject:
        """Return the API's window object."""
        return {
            "days": [day.value for day in self.days],
            "from": self.start,
            "until": self.end,
        }


type Schedule = tuple[ScheduleWindow, ...]
"""A weekly schedule; empty: no restriction."""


def _hhmm(reader: Reader, key: str) -> str:
    value = reader.text(key)
    hours, _, minutes = value.partition(":")
    if not (
        len(hours) == 2 == len(minutes)
        and hours.isdigit()
        and minutes.isdigit()
        and (int(hours) < 24 or value == "24:00")
        and int(minutes) < 60
    ):
        raise EzlockProtocolError(f"{reader.path}.{key}: expected a time HH:MM")
    return value


def read_schedule(reader: Reader) -> Schedule:
    """Read an optional ``schedule`` (``null`` or absent: none)."""
    if reader.data.get("schedule") is None:
        return ()
    return tuple(
        ScheduleWindow.from_reader(item) for item in reader.children("schedule")
    )


def schedule_json(schedule: Schedule) -> JsonValue:
    """Return a schedule as a request sends it (``[]`` clears one)."""
    return [window.as_json() for window in schedule]
