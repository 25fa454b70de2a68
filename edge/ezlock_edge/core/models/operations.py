"""Unlocks and locks: how the door was opened (L-40) and the last operation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .rendering import JsonDict, iso


class UnlockMethod(StrEnum):
    """How the door was opened (L-40), as the ``unlocked`` event names it."""

    FACE = "face"
    PALM = "palm"
    FINGERPRINT = "fingerprint"
    PASSWORD = "password"  # noqa: S105
    TEMPORARY_PASSWORD = "temporary_password"  # noqa: S105
    BLUETOOTH = "bluetooth"
    MECHANICAL_KEY = "mechanical_key"
    REMOTE = "remote"
    INSIDE = "inside"

    @property
    def from_outside_by_person(self) -> bool:
        """L-48: these end the one-time mute (a registered face, palm, finger, password)."""
        return self in _PERSONAL

    @property
    def from_outside(self) -> bool:
        """Whether the person stood at the door (everything but inside and remote)."""
        return self not in {UnlockMethod.INSIDE, UnlockMethod.REMOTE}


_PERSONAL = frozenset(
    {
        UnlockMethod.FACE,
        UnlockMethod.PALM,
        UnlockMethod.FINGERPRINT,
        UnlockMethod.PASSWORD,
    }
)


@dataclass(frozen=True, slots=True)
class LastOperation:
    """The last unlock or lock, for the state object."""

    type: str
    method: str | None
    source: str | None
    user: JsonDict | None
    time: datetime
    visitor: JsonDict | None = None  # the visitor code's or key's {id, name}

    def as_dict(self) -> JsonDict:
        """Return the API's ``last_operation`` object."""
        return {
            "type": self.type,
            "method": self.method,
            "source": self.source,
            "user": self.user,
            "visitor": self.visitor,
            "time": iso(self.time),
        }
