"""Every limit a client can run into, in one place.

The core enforces these, the API's schemas check them before the core sees a request,
and the OpenAPI document publishes them (``minimum`` / ``maximum``), which is where
clients such as the Home Assistant integration take theirs from.
"""

from __future__ import annotations

from dataclasses import dataclass


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
VOLUME = Limit(0, 3)
"""L-48: the MCU's volume levels; 0 is silent."""
