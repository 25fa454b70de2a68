"""Visitor credentials: one concept with a kind, a keypad code (L-30) or a phone key (L-31)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Self

from ._reader import Reader
from .schedule import Schedule, read_schedule


class VisitorStatus(StrEnum):
    """Where a visitor code or key stands now (docs/api.md); ``active``: it opens now."""

    SCHEDULED = "scheduled"
    OUTSIDE_SCHEDULE = "outside_schedule"
    ACTIVE = "active"
    USED_UP = "used_up"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def ended(self) -> bool:
        """It never opens again; the lock lists it for 30 days after it ended."""
        return self in {
            VisitorStatus.USED_UP,
            VisitorStatus.EXPIRED,
            VisitorStatus.REVOKED,
        }


class VisitorKind(StrEnum):
    """The two kinds of visitor credential: a keypad code (L-30) or a phone key (L-31)."""

    TEMPORARY_PASSWORD = "temporary_password"  # noqa: S105 (a kind, not a secret)
    BLUETOOTH_KEY = "bluetooth_key"

    @property
    def collection(self) -> str:
        """The route and list key of this kind (``temporary_passwords``)."""
        return f"{self.value}s"

    @property
    def secret_field(self) -> str:
        """The field that carries the secret in the creation reply only."""
        return "code" if self is VisitorKind.TEMPORARY_PASSWORD else "key"

    @property
    def counts_uses(self) -> bool:
        """Temporary passwords have a use count; Bluetooth keys only a window."""
        return self is VisitorKind.TEMPORARY_PASSWORD


@dataclass(frozen=True, slots=True)
class VisitorRef:
    """A visitor code or Bluetooth key as events and operations name it."""

    id: str
    name: str

    @classmethod
    def optional(cls, reader: Reader, key: str) -> Self | None:
        """Parse ``{"id", "name"}`` at ``key``, which may be ``null`` or absent."""
        child = reader.optional_child(key)
        if child is None:
            return None
        return cls(id=child.text("id"), name=child.text("name"))


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitorCredential:
    """A visitor's temporary password or Bluetooth key: a window, uses and a kind.

    ``max_uses`` is ``None`` when there is no limit; ``uses`` is ``None`` where the lock
    does not count them (Bluetooth keys). ``secret`` (the code or the key) is only in
    the reply that created the credential: the lock keeps just its hash. A revoked one
    stays listed (``revoked_at``), like one used up or expired, for 30 days.
    ``status_until`` is when the lock says ``status`` next changes with time alone.
    """

    kind: VisitorKind
    id: str
    name: str
    valid_from: datetime
    valid_until: datetime
    max_uses: int | None
    uses: int | None
    created: datetime
    secret: str | None = field(default=None, repr=False)
    schedule: Schedule = ()
    status: VisitorStatus = VisitorStatus.ACTIVE
    status_until: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def remaining_uses(self) -> int | None:
        """Uses left, ``None`` when unlimited or not counted."""
        if self.max_uses is None or self.uses is None:
            return None
        return max(self.max_uses - self.uses, 0)

    @classmethod
    def from_reader(cls, kind: VisitorKind, reader: Reader) -> Self:
        """Parse a temporary password or Bluetooth key object."""
        return cls(
            kind=kind,
            id=reader.text("id"),
            name=reader.text("name"),
            valid_from=reader.time("valid_from"),
            valid_until=reader.time("valid_until"),
            max_uses=reader.optional_integer("max_uses", 1)
            if kind.counts_uses
            else None,
            uses=reader.integer("uses", 0) if kind.counts_uses else None,
            created=reader.time("created"),
            secret=reader.optional_text(kind.secret_field),
            schedule=read_schedule(reader),
            status=reader.choice("status", VisitorStatus),
            status_until=reader.optional_time("status_until"),
            revoked_at=reader.optional_time("revoked_at"),
            last_used_at=reader.optional_time("last_used_at")
            if kind.counts_uses
            else None,
        )

    @classmethod
    def from_json(cls, kind: VisitorKind, data: object) -> Self:
        """Parse a temporary password or Bluetooth key object."""
        return cls.from_reader(kind, Reader(data, kind.value))
