"""The lock's people: users, their credentials (password or a biometric slot), enrollments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Self

from ._reader import Reader
from .schedule import Schedule, read_schedule


class Role(StrEnum):
    """What a user may do at the lock (L-20)."""

    ADMIN = "admin"
    USER = "user"


class CredentialType(StrEnum):
    """How a user proves who they are (L-22)."""

    PASSWORD = "password"  # noqa: S105 (a credential type, not a secret)
    FINGERPRINT = "fingerprint"
    FACE = "face"
    PALM = "palm"


@dataclass(frozen=True, slots=True)
class UserRef:
    """A user as events, credentials and operations name them."""

    number: int
    name: str

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse ``{"number", "name"}``."""
        return cls(number=reader.integer("number", 1), name=reader.text("name"))

    @classmethod
    def optional(cls, reader: Reader, key: str) -> Self | None:
        """Parse the user at ``key``, which may be ``null``."""
        child = reader.optional_child(key)
        return None if child is None else cls.from_reader(child)


@dataclass(frozen=True, slots=True)
class Credential:
    """A password or a biometric template slot; secrets never leave the lock (L-32)."""

    id: str
    type: CredentialType
    user: UserRef | None
    slot: int | None
    duress: bool
    created: datetime

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse a credential object."""
        return cls(
            id=reader.text("id"),
            type=reader.choice("type", CredentialType),
            user=UserRef.optional(reader, "user"),
            slot=reader.optional_integer("slot", 0),
            duress=reader.boolean("duress"),
            created=reader.time("created"),
        )

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse a credential object."""
        return cls.from_reader(Reader(data, "credential"))


@dataclass(frozen=True, slots=True)
class User:
    """A person known to the lock, with their credentials (L-20, L-21, L-28)."""

    number: int
    name: str
    role: Role
    valid_from: datetime | None
    valid_until: datetime | None
    created: datetime
    credentials: tuple[Credential, ...]
    schedule: Schedule = ()

    @property
    def ref(self) -> UserRef:
        """How events name this user."""
        return UserRef(self.number, self.name)

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse a user object."""
        return cls(
            number=reader.integer("number", 1),
            name=reader.text("name"),
            role=reader.choice("role", Role),
            valid_from=reader.optional_time("valid_from"),
            valid_until=reader.optional_time("valid_until"),
            created=reader.time("created"),
            credentials=tuple(
                Credential.from_reader(item) for item in reader.children("credentials")
            ),
            schedule=read_schedule(reader),
        )

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse a user object."""
        return cls.from_reader(Reader(data, "user"))


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A biometric enrollment started at the lock; progress arrives as events."""

    enrollment_id: str
    user: UserRef
    credential_type: CredentialType
    steps: int

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse the enrollment object."""
        reader = Reader(data, "enrollment")
        return cls(
            enrollment_id=reader.text("enrollment_id"),
            user=UserRef.from_reader(reader.child("user")),
            credential_type=reader.choice("credential_type", CredentialType),
            steps=reader.integer("steps", 1),
        )
