"""Visitors (L-30, L-31): temporary passwords and Bluetooth keys, one concept with a kind.

A visitor credential is a secret valid in its dates and its weekly schedule (and, for a
temporary password, for a number of uses). The secret is shown once, when it is created,
and kept only as a keyed hash. Every change is one transaction together with the event
that reports it.

A visitor that ended (revoked, used up or expired) never opens again but stays listed,
with its status, so the owner sees what became of it; the lock forgets it
``RETENTION`` after it ended, or at once when an admin deletes it then.

A visitor's status moves with time alone (its dates begin and end, its weekly windows
open and close, an ended one is forgotten): a timer on the lock's clock wakes at the
next such moment, so an ended visitor is forgotten and the state's counts of active
visitors are announced then, not when someone next asks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
import logging
from types import EllipsisType

from ezlock_edge.clock import Clock

from .errors import (
    BluetoothKeyNotFoundError,
    DuplicateCredentialError,
    InvalidRequestError,
    LockError,
    TemporaryPasswordNotFoundError,
)
from .events import EventLog, by_the_lock
from .limits import VISITOR_USES
from .models import RETENTION, VisitorCredential, VisitorKind
from .policy import check_password, match_entry
from .schedule import Schedule, parse_schedule
from .secrets import DeviceSecret, random_digits, random_id
from .store import Store
from .validation import check_name, check_validity

_LOGGER = logging.getLogger(__name__)

LOOK_AGAIN = 3600.0
"""Seconds: the longest the timer sleeps, so a wall clock set meanwhile (NTP at boot)
is caught up with within the hour."""

__all__ = ["LOOK_AGAIN", "RETENTION", "Visitors"]


@dataclass(frozen=True, slots=True)
class _KindRules:
    label: str
    id_prefix: str
    secret_digits: int
    hash_purpose: str  # keeps the two kinds' hashes apart
    not_found: type[LockError]


_RULES = {
    VisitorKind.TEMPORARY_PASSWORD: _KindRules(
        "temporary password", "tp", 8, "temporary", TemporaryPasswordNotFoundError
    ),
    VisitorKind.BLUETOOTH_KEY: _KindRules(
        "Bluetooth key", "bk", 12, "bluetooth", BluetoothKeyNotFoundError
    ),
}


class Visitors:
    """Creates, matches, counts and revokes visitor credentials."""

    def __init__(
        self,
        store: Store,
        events: EventLog,
        clock: Clock,
        secret: DeviceSecret,
        zone: tzinfo,
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        """Keep visitors in ``store``; read schedules in the lock's time ``zone``.

        ``changed`` is called when the count of active visitors moved with time alone
        (the state announcer's); nothing is timed before :meth:`start`.
        """
        self._store = store
        self._events = events
        self._clock = clock
        self._secret = secret
        self.zone = zone
        self._changed = changed
        self._running = False
        self._timer: asyncio.Handle | None = None
        self._active: dict[VisitorKind, int] = {}

    # what time alone changes

    def start(self) -> None:
        """Forget what ended long enough ago, then wake at each next status change."""
        self._running = True
        self._tick()

    def stop(self) -> None:
        """Cancel the timer."""
        self._running = False
        self._cancel()

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        """Forget the ended, announce a new count of active ones, wake again.

        A failure (the database) is logged and the timer goes on: the next wake tries
        again.
        """
        self._timer = None
        try:
            self._forget_ended()
            active = self.active_now()
            if active != self._active:
                self._active = active
                self._changed()
            self._arm()
        except Exception:
            _LOGGER.exception("Could not follow the visitors' time; again soon")
            if self._running:
                self._timer = self._clock.call_later(LOOK_AGAIN, self._tick)

    def _arm(self) -> None:
        """Wake when the next visitor's status changes (at most ``LOOK_AGAIN`` on)."""
        if not self._running:
            return
        self._cancel()
        now = self._clock.now()
        moments = [
            moment
            for kind in VisitorKind
            for visitor in self.of_kind(kind)
            if (moment := visitor.status_until(now, self.zone)) is not None
            and moment > now
        ]
        if moments:
            delay = min((min(moments) - now).total_seconds(), LOOK_AGAIN)
            self._timer = self._clock.call_later(delay, self._tick)

    def _after_change(self) -> None:
        """Time the visitors again after one was created, used, revoked or removed."""
        if not self._running:
            return
        self._active = self.active_now()
        self._arm()

    # the visitors

    def of_kind(self, kind: VisitorKind) -> list[VisitorCredential]:
        """Return every credential of ``kind``, ended ones too (until forgotten)."""
        return self._store.list_visitors(kind)

    def _forget_ended(self) -> None:
        """Forget the visitors that ended over ``RETENTION`` ago (``<kind>_removed``)."""
        now = self._clock.now()
        with by_the_lock():  # the lock's own doing, on its clock
            for kind in VisitorKind:
                for visitor in self.of_kind(kind):
                    ended = visitor.ended_at(now)
                    if ended is not None and now - ended >= RETENTION:
                        self._remove(visitor, "retention")

    def _remove(self, visitor: VisitorCredential, reason: str) -> None:
        with self._store.transaction():
            self._store.delete_visitor(visitor.id)
            self._events.append(
                f"{visitor.kind}_removed",
                id=visitor.id,
                name=visitor.name,
                reason=reason,
            )
        self._after_change()

    def create(
        self,
        kind: VisitorKind,
        name: str,
        valid_until: datetime,
        valid_from: datetime | None = None,
        max_uses: int | EllipsisType | None = ...,
        schedule: Schedule | None = None,
        code: str | None = None,
    ) -> tuple[VisitorCredential, str]:
        """Create one; return it with its secret, which is never shown again.

        ``max_uses`` defaults to the kind's (one use for a temporary password, L-30);
        None means any number within the window. A Bluetooth key takes no use count.
        ``code`` is a temporary password the owner chose: L-25 applies, and no other
        visitor may have it; by default the lock draws the secret.
        """
        check_name(name)
        weekly = parse_schedule(schedule)
        start = valid_from or self._clock.now()
        check_validity(start, valid_until)
        uses = kind.default_max_uses if isinstance(max_uses, EllipsisType) else max_uses
        if uses is not None and (not kind.counts_uses or uses not in VISITOR_USES):
            allowed = str(VISITOR_USES) if kind.counts_uses else "none"
            raise InvalidRequestError("max_uses out of range", {"max_uses": allowed})
        rules = _RULES[kind]
        if code is not None:
            if kind is not VisitorKind.TEMPORARY_PASSWORD:
                raise InvalidRequestError("Only a code is chosen", {"code": "none"})
            check_password(code)
            now = self._clock.now()
            if any(v.ended_at(now) is None for v in self.match_entry(code)):
                raise DuplicateCredentialError("This code is already in use")
        secret = code if code is not None else random_digits(rules.secret_digits)
        visitor = VisitorCredential(
            id=random_id(rules.id_prefix),
            kind=kind,
            name=name,
            valid_from=start,
            valid_until=valid_until,
            max_uses=uses,
            uses=0,
            created=self._clock.now(),
            secret_hash=self._secret.digest(rules.hash_purpose, secret),
            schedule=weekly,
        )
        with self._store.transaction():
            self._store.put_visitor(visitor)
            self._events.append(f"{kind}_created", id=visitor.id, name=visitor.name)
        self._after_change()
        return visitor, secret

    def use(self, visitor: VisitorCredential) -> VisitorCredential:
        """Count one use where uses count (joins the caller's commit, with the unlock)."""
        if not visitor.kind.counts_uses:
            return visitor
        used = replace(visitor, uses=visitor.uses + 1, last_used_at=self._clock.now())
        with self._store.transaction():
            self._store.put_visitor(used)
            self._events.append(f"{used.kind}_used", id=used.id, name=used.name)
        self._after_change()
        return used

    def revoke(self, kind: VisitorKind, visitor_id: str) -> None:
        """Revoke one at once; delete one that already ended from the list.

        A revoked visitor never opens again and stays listed as ``revoked``
        (``<kind>_revoked``); deleting one that is revoked, used up or expired forgets
        it now (``<kind>_removed``). Unknown: ``temporary_password_not_found``,
        ``bluetooth_key_not_found``.
        """
        found = next((v for v in self.of_kind(kind) if v.id == visitor_id), None)
        if found is None:
            rules = _RULES[kind]
            raise rules.not_found(f"No {rules.label} {visitor_id}")
        now = self._clock.now()
        if found.ended_at(now) is not None:
            self._remove(found, "deleted")
            return
        with self._store.transaction():
            self._store.put_visitor(replace(found, revoked_at=now))
            self._events.append(f"{kind}_revoked", id=found.id, name=found.name)
        self._after_change()

    def match_entry(self, entry: str) -> list[VisitorCredential]:
        """Return every temporary password hidden in a keypad entry (L-41)."""
        kind = VisitorKind.TEMPORARY_PASSWORD
        purpose = _RULES[kind].hash_purpose
        found = match_entry(
            entry,
            self._store.visitor_hashes(kind),
            lambda value: self._secret.digest(purpose, value),
        )
        # The matcher's work is done; reading the rows that matched is the outcome's.
        return [v for i in found if (v := self._store.get_visitor(i)) is not None]

    def match_key(self, key: str) -> VisitorCredential | None:
        """Return the Bluetooth key a phone presented, if it is one of ours (L-31)."""
        kind = VisitorKind.BLUETOOTH_KEY
        purpose = _RULES[kind].hash_purpose
        found = None
        for candidate in self.of_kind(kind):  # every one, in constant time each
            if self._secret.matches(purpose, key, candidate.secret_hash):
                found = candidate
        return found

    def active_now(self) -> dict[VisitorKind, int]:
        """Return how many of each kind open the door now (status ``active``)."""
        now = self._clock.now()
        return {
            kind: sum(v.usable_at(now, self.zone) for v in self.of_kind(kind))
            for kind in VisitorKind
        }
