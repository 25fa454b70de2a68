"""Visitor credentials: temporary passwords (L-30) and Bluetooth keys (L-31), one concept with a kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum

from ezlock_edge.core.schedule import NO_SCHEDULE, Schedule

from .rendering import JsonDict, iso
from .validity import window_refusal


class VisitorKind(StrEnum):
    """What a visitor presents; the value names the kind's API objects and events."""

    TEMPORARY_PASSWORD = "temporary_password"  # noqa: S105 -- a kind, not a secret
    """L-30: a code typed on the keypad; one use unless said otherwise."""
    BLUETOOTH_KEY = "bluetooth_key"
    """L-31: a key a phone presents over Bluetooth; any number of uses."""

    @property
    def counts_uses(self) -> bool:
        """Return whether uses are counted (and may be limited) for this kind."""
        return self is VisitorKind.TEMPORARY_PASSWORD

    @property
    def default_max_uses(self) -> int | None:
        """Return the uses a new one gets unless told (None: no limit)."""
        return 1 if self.counts_uses else None


@dataclass(frozen=True, slots=True)
class VisitorCredential:
    """A visitor's secret, valid in its dates, its weekly schedule and for some uses.

    Temporary passwords (L-30) and Bluetooth keys (L-31) are both this, with a kind.
    A revoked one never opens again; it stays listed (``revoked``) like one used up or
    expired, until the lock forgets it (core/visitors.py ``RETENTION``).
    """

    id: str
    kind: VisitorKind
    name: str
    valid_from: datetime
    valid_until: datetime
    max_uses: int | None  # None: any number of uses (always, for a Bluetooth key)
    uses: int
    created: datetime
    secret_hash: bytes = field(repr=False)
    schedule: Schedule = NO_SCHEDULE
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None  # where uses count

    @property
    def ref(self) -> JsonDict:
        """How events point at this visitor code or key."""
        return {"id": self.id, "name": self.name}

    @property
    def used_up(self) -> bool:
        """Return whether every allowed use is spent."""
        return self.max_uses is not None and self.uses >= self.max_uses

    def refusal(self, moment: datetime, zone: tzinfo) -> str | None:
        """Why it does not open now, or None when it does.

        ``revoked``, ``not_yet_valid``, ``expired``, ``used_up`` or ``outside_schedule``.
        """
        if self.revoked_at is not None:
            return "revoked"
        return visitor_refusal(
            self.valid_from, self.valid_until, self.schedule, moment, zone
        ) or ("used_up" if self.used_up else None)

    def usable_at(self, moment: datetime, zone: tzinfo) -> bool:
        """Inside its dates and its schedule, with uses left, not revoked."""
        return self.refusal(moment, zone) is None

    def status(self, moment: datetime) -> str:
        """``scheduled``, ``active``, ``used_up``, ``expired`` or ``revoked`` (schedule aside)."""
        if self.revoked_at is not None:
            return "revoked"
        return visitor_status(self.valid_from, self.valid_until, moment, self.used_up)

    def ended_at(self, moment: datetime) -> datetime | None:
        """When it stopped opening for good (revoked, expired, used up), or None."""
        ends = [self.revoked_at] if self.revoked_at is not None else []
        if moment >= self.valid_until:
            ends.append(self.valid_until)
        if self.used_up:
            ends.append(self.last_used_at or self.created)
        return min(ends, default=None)

    def as_dict(self, moment: datetime) -> JsonDict:
        """Return the API's object for its kind (never the secret)."""
        data: JsonDict = {
            "id": self.id,
            "name": self.name,
            "valid_from": iso(self.valid_from),
            "valid_until": iso(self.valid_until),
            "schedule": self.schedule.as_list(),
        }
        if self.kind.counts_uses:
            data |= {
                "max_uses": self.max_uses,
                "uses": self.uses,
                "last_used_at": iso(self.last_used_at),
            }
        data |= {
            "status": self.status(moment),
            "revoked_at": iso(self.revoked_at),
            "created": iso(self.created),
        }
        return data


def visitor_refusal(
    start: datetime,
    end: datetime,
    schedule: Schedule,
    moment: datetime,
    zone: tzinfo,
) -> str | None:
    """Why a visitor's dates or schedule refuse ``moment``, or None."""
    return window_refusal(start, end, moment) or (
        None if schedule.allows(moment, zone) else "outside_schedule"
    )


def visitor_status(
    start: datetime, end: datetime, moment: datetime, used_up: bool
) -> str:
    """Where a visitor stands in its life, for lists: its dates and its uses."""
    if moment >= end:
        return "expired"
    if used_up:
        return "used_up"
    return "scheduled" if moment < start else "active"
