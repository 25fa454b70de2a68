"""Visitor credentials: temporary passwords (L-30) and Bluetooth keys (L-31), one concept with a kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from ezlock_edge.core.schedule import NO_SCHEDULE, Schedule

from .rendering import JsonDict, iso
from .validity import window_refusal

RETENTION = timedelta(days=30)
"""How long an ended visitor stays listed before the lock forgets it (docs/api.md)."""

_STATUS = {
    None: "active",
    "not_yet_valid": "scheduled",
    "outside_schedule": "outside_schedule",
    "used_up": "used_up",
    "expired": "expired",
    "revoked": "revoked",
}
"""A visitor's status is why it refuses now (:meth:`VisitorCredential.refusal`)."""


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
    expired, until the lock forgets it ``RETENTION`` after it ended.
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

        ``revoked``, ``not_yet_valid``, ``expired``, ``used_up`` or ``outside_schedule``:
        an ended one (revoked, expired, used up) says so before its schedule.
        """
        if self.revoked_at is not None:
            return "revoked"
        return (
            window_refusal(self.valid_from, self.valid_until, moment)
            or ("used_up" if self.used_up else None)
            or (None if self.schedule.allows(moment, zone) else "outside_schedule")
        )

    def usable_at(self, moment: datetime, zone: tzinfo) -> bool:
        """Inside its dates and its schedule, with uses left, not revoked."""
        return self.refusal(moment, zone) is None

    def status(self, moment: datetime, zone: tzinfo) -> str:
        """Where it stands at ``moment``: ``active`` exactly when it opens then.

        ``scheduled`` (before its dates), ``outside_schedule`` (inside its dates, not
        in a window of its weekly schedule), ``active``, or ended: ``used_up``,
        ``expired``, ``revoked``.
        """
        return _STATUS[self.refusal(moment, zone)]

    def status_until(self, moment: datetime, zone: tzinfo) -> datetime | None:
        """When its status next changes with time alone, or None if it never does.

        For one that ended that is when the lock forgets it; uses and revocations are
        not time, so they are not foreseen.
        """
        ended = self.ended_at(moment)
        if ended is not None:
            return ended + RETENTION
        if moment < self.valid_from:
            return self.valid_from
        window = self.schedule.next_change(moment, zone)
        return self.valid_until if window is None else min(window, self.valid_until)

    def ended_at(self, moment: datetime) -> datetime | None:
        """When it stopped opening for good (revoked, expired, used up), or None."""
        ends = [self.revoked_at] if self.revoked_at is not None else []
        if moment >= self.valid_until:
            ends.append(self.valid_until)
        if self.used_up:
            ends.append(self.last_used_at or self.created)
        return min(ends, default=None)

    def as_dict(self, moment: datetime, zone: tzinfo) -> JsonDict:
        """Return the API's object for its kind at ``moment`` (never the secret)."""
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
            "status": self.status(moment, zone),
            "status_until": iso(self.status_until(moment, zone)),
            "revoked_at": iso(self.revoked_at),
            "created": iso(self.created),
        }
        return data
