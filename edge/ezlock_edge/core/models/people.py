"""People at the lock: users, their roles and credentials, capacities, enrollments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum

from ezlock_edge.core.schedule import NO_SCHEDULE, Schedule

from .rendering import JsonDict, iso
from .validity import window_refusal


class Role(StrEnum):
    """L-20: an admin also enters the menu and manages the lock."""

    ADMIN = "admin"
    USER = "user"


class CredentialType(StrEnum):
    """How a person proves who they are at the lock."""

    PASSWORD = "password"  # noqa: S105
    FINGERPRINT = "fingerprint"
    FACE = "face"
    PALM = "palm"


# L-22: lock-wide capacity per type; L-23: per-user limits.
CAPACITY: Mapping[CredentialType, int] = {
    CredentialType.FACE: 50,
    CredentialType.PALM: 50,
    CredentialType.FINGERPRINT: 50,
    CredentialType.PASSWORD: 50,
}
PER_USER_LIMIT: Mapping[CredentialType, int] = {
    CredentialType.FACE: 3,
    CredentialType.PALM: 2,
    CredentialType.FINGERPRINT: 5,
    CredentialType.PASSWORD: 1,
}


@dataclass(frozen=True, slots=True)
class User:
    """A person known to the lock (L-20, L-21, L-28)."""

    number: int
    name: str
    role: Role
    valid_from: datetime | None
    valid_until: datetime | None
    created: datetime
    schedule: Schedule = NO_SCHEDULE

    @property
    def ref(self) -> JsonDict:
        """How events and credentials point at this user."""
        return {"number": self.number, "name": self.name}

    def refusal(self, moment: datetime, zone: tzinfo) -> str | None:
        """Why the user's credentials do not open now, or None when they do.

        L-28: outside the validity period (``not_yet_valid``, ``expired``) none of the
        user's credentials opens; nor outside the weekly schedule (``outside_schedule``).
        """
        return window_refusal(self.valid_from, self.valid_until, moment) or (
            None if self.schedule.allows(moment, zone) else "outside_schedule"
        )

    def as_dict(self, credentials: list[Credential]) -> JsonDict:
        """Return the API's user object."""
        return {
            "number": self.number,
            "name": self.name,
            "role": self.role.value,
            "valid_from": iso(self.valid_from),
            "valid_until": iso(self.valid_until),
            "schedule": self.schedule.as_list(),
            "created": iso(self.created),
            "credentials": [cred.as_dict(self) for cred in credentials],
        }


@dataclass(frozen=True, slots=True)
class Credential:
    """A password (kept as a keyed hash) or a biometric template slot (L-32)."""

    id: str
    user_number: int
    type: CredentialType
    slot: int | None
    duress: bool
    created: datetime
    secret_hash: bytes | None = field(default=None, repr=False)

    def as_dict(self, user: User | None) -> JsonDict:
        """Return the API's credential object."""
        return {
            "id": self.id,
            "type": self.type.value,
            "user": user.ref if user is not None else None,
            "slot": self.slot,
            "duress": self.duress,
            "created": iso(self.created),
        }


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A biometric enrollment started from the API; progress arrives as events."""

    id: str
    user: User
    credential_type: CredentialType
    steps: int

    def as_dict(self) -> JsonDict:
        """Return the API's enrollment object."""
        return {
            "enrollment_id": self.id,
            "user": self.user.ref,
            "credential_type": self.credential_type.value,
            "steps": self.steps,
        }
