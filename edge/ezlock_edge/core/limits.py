"""Every limit a client can run into, in one place.

The core enforces these, the API's schemas check them before the core sees a request,
and the OpenAPI document publishes them (``minimum`` / ``maximum``), which is where
clients such as the Home Assistant integration take theirs from.
"""

from __future__ import annotations

from dataclasses import dataclass

from ezlock_edge.vocabulary.mcu import MAX_VOLUME


@dataclass(frozen=True, slots=True)
class Limit:
    """An inclusive range of integers (a count, a length, a number of seconds)."""

    minimum: int
    maximum: int

    def __contains__(self, value: object) -> bool:
        """Return whether ``value`` is an integer (not a bool) in the range."""
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.minimum <= value <= self.maximum
        )

    def __str__(self) -> str:
        """Return the range as error messages give it: ``5-300``."""
        return f"{self.minimum}-{self.maximum}"


COUNTDOWN_SECONDS = Limit(5, 300)
"""L-45: how long after an unlock (or a request) the lock throws the bolt."""
VOLUME = Limit(0, MAX_VOLUME)
"""L-48: the MCU's volume levels; 0 is silent."""
USER_NUMBER = Limit(1, 999)
"""L-21: three digits on the keypad."""
NAME_LENGTH = Limit(1, 32)
"""Characters in a user's or a visitor's name."""
PASSWORD_DIGITS = Limit(6, 10)
"""L-25: digits in a password (the keypad accepts longer entries, L-41)."""
VISITOR_USES = Limit(1, 100)
"""L-30: uses of a temporary password (none: unlimited within its window)."""
EVENTS_PER_QUERY = Limit(1, 1000)
"""Events in one reply of the history query (L-66); ask again with ``since``."""
EVENTS_PER_QUERY_DEFAULT = 100
SCHEDULE_WINDOWS = Limit(0, 8)
"""How many weekly windows one person or visitor can have (``core.schedule``)."""
TEMPLATE_SLOT = Limit(0, 0xFFFF)
"""A module template's slot: a fingerprint page or a face / palm user id (u16 each)."""
TEMPLATES_PER_DELETE = Limit(1, 1024)
"""Slots one ``POST /templates/{type}/delete`` may name (a module's whole library)."""
