"""The event log (L-66): every event is numbered, persisted, then announced.

Sequence numbers strictly increase and survive restarts; a client that remembers the
last seq it saw can always resume without loss or duplicates. Retention drops only the
oldest events, so what remains never has a gap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
import json
import logging
from typing import Any

from ezlock_edge.clock import Clock

from .limits import EVENTS_PER_QUERY, EVENTS_PER_QUERY_DEFAULT
from .models import JsonDict
from .store import Store

_LOGGER = logging.getLogger(__name__)

DEFAULT_RETENTION = 100_000
_MCU_SEQ_KEY = "mcu_last_event"
MCU_RESEND_SPAN = 256
"""Event numbers below the last handled one that a restarted MCU link may resend.

The MCU keeps at most a window of 255 events unacknowledged (the HELLO window field
is one byte), all newer than the last acknowledged one.
"""

type EventHandler = Callable[[Event], None]
type Annotator = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]

# What the record is for: who opened (or tried to open) the door, alarms, pairing and
# every change of who can open it. Retention keeps the newest DEFAULT_RETENTION of
# these apart from the ordinary events (door, bolt, battery, doorbell ...), so a flood
# of ordinary events never evicts them (issue #11.4). The store's schema 5 migration
# marked stored events with this list as it was then; ``lock_failed`` (a refused
# Bluetooth lock) joined it later, so only those written since are kept apart.
SECURITY_EVENTS = frozenset(
    {
        "unlocked",
        "unlock_failed",
        "locked",
        "lock_failed",
        "alarm",
        "alarm_cleared",
        "pairing",
        "client_added",
        "client_revoked",
        "settings_changed",
        "user_added",
        "user_updated",
        "user_deleted",
        "credential_added",
        "credential_updated",
        "credential_deleted",
        "credential_refused",
        "remote_pin_failed",
        "temporary_password_created",
        "temporary_password_revoked",
        "temporary_password_used",
        "bluetooth_key_created",
        "bluetooth_key_revoked",
        "factory_reset",
    }
)
# Failures a client can repeat as fast as it can send requests (~1,700 a second):
# identical ones from one client collapse (see EventLog.append). A refused duplicate
# password is not one: each is recorded, and the API allows ten a minute per client.
COLLAPSIBLE_EVENTS = frozenset({"unlock_failed", "remote_pin_failed"})
COLLAPSE_WINDOW = 60.0  # seconds


@dataclass(slots=True)
class _Run:
    """Identical failures from one client since the first was recorded."""

    kind: str
    payload: JsonDict
    first: Event
    repeats: int = 0
    last: datetime | None = None
    timer: asyncio.Handle | None = None


@dataclass(slots=True)
class _Handling:
    """The MCU event being handled: its number and its MCU's serial."""

    number: int
    serial: str | None

    def record(self) -> dict[str, Any]:
        return {"number": self.number, "serial": self.serial}


# The MCU event being handled right now (None outside an MCU event handler).
_HANDLING: ContextVar[_Handling | None] = ContextVar("ezlock_mcu_event", default=None)
# The API client whose request is being served ({"id", "name"}; None otherwise).
_ACTING: ContextVar[JsonDict | None] = ContextVar("ezlock_client", default=None)


@contextmanager
def acting_client(ref: JsonDict) -> Iterator[None]:
    """Name ``ref`` (``{"id", "name"}``) in every event appended inside this block.

    The API wraps each authenticated request in it, so every change a client makes
    (settings, users, credentials, visitors, clients, an unlock) carries
    ``by_client``: its own field, never confused with events *about* a client such
    as ``client_revoked``. Background work runs in a fresh context and is not tagged.
    """
    token = _ACTING.set(dict(ref))
    try:
        yield
    finally:
        _ACTING.reset(token)


@contextmanager
def by_the_lock() -> Iterator[None]:
    """Tag no client in the events appended inside this block.

    For what the lock does by itself while it serves a request (forgetting visitors
    that ended long ago when they are listed): no client asked for it.
    """
    token = _ACTING.set(None)
    try:
        yield
    finally:
        _ACTING.reset(token)


@contextmanager
def handling_mcu_event(mcu_seq: int, serial: str | None = None) -> Iterator[None]:
    """Tie the events appended inside this block to MCU event ``mcu_seq`` of ``serial``.

    The MCU resends every event it has no ACK for; storing its number in the same
    transaction as the events it produced lets the core recognise a resend after a
    restart (docs/architecture.md, device contract). An event that produced nothing
    stored is not recorded: handling it again after a restart changes nothing durable
    (a sensor wakes, a digit goes into a keypad entry the restart emptied), and
    recording it would cost a sync on the way of every unlock.
    """
    token = _HANDLING.set(_Handling(mcu_seq, serial))
    try:
        yield
    finally:
        _HANDLING.reset(token)


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the event catalogue (docs/architecture.md)."""

    seq: int
    time: datetime
    type: str
    data: Mapping[str, Any]

    def as_dict(self) -> JsonDict:
        """Return the event as clients see it: ``{"seq", "time", "type", ...}``."""
        return {
            "seq": self.seq,
            "time": self.time.isoformat(),
            "type": self.type,
        } | dict(self.data)


class EventLog:
    """Append-only, durable, bounded history with live subscribers."""

    def __init__(
        self, store: Store, clock: Clock, retention: int = DEFAULT_RETENTION
    ) -> None:
        """Keep at most ``retention`` events in ``store``."""
        self._store = store
        self._clock = clock
        self._retention = retention
        self._subscribers: list[EventHandler] = []
        self._runs: dict[str, _Run] = {}
        self._annotators: list[Annotator] = []
        self._announced = store.last_seq()
        # Each append prunes its own class only: a retention lowered since the last
        # run applies to both classes from the start.
        store.prune_events(retention)

    @property
    def last_seq(self) -> int:
        """Return the newest seq announced (0 if none): durable, so safe to show."""
        return self._announced

    @property
    def last_mcu_seq(self) -> int | None:
        """Return the number of the newest MCU event handled (and stored)."""
        record = self._mcu_record()
        return record[0] if record is not None else None

    def mcu_event_handled(self, number: int, serial: str | None) -> bool:
        """Return whether MCU event ``number`` of the MCU ``serial`` was handled already.

        A resend can only be one of the last :data:`MCU_RESEND_SPAN` numbers up to the
        newest one stored, from the same MCU (a replaced controller counts from 1).
        """
        record = self._mcu_record()
        if record is None:
            return False
        last, stored_serial = record
        if stored_serial is not None and serial is not None and stored_serial != serial:
            return False
        return 0 <= last - number < MCU_RESEND_SPAN

    def group_commit(self) -> AbstractAsyncContextManager[None]:
        """Append in one sync with what else commits this loop turn (Store.group_commit)."""
        return self._store.group_commit()

    def _mcu_record(self) -> tuple[int, str | None] | None:
        value = self._store.get_meta(_MCU_SEQ_KEY)
        if value is None:
            return None
        if isinstance(value, int):  # stored by a driver before the windowed link
            return value, None
        return int(value["number"]), value.get("serial")

    def append(self, kind: str, **data: Any) -> Event:
        """Persist an event, then announce it once its transaction is durable.

        A failure a client repeats identically (same type, same fields, same client)
        within COLLAPSE_WINDOW of the first is not written again: the first is
        recorded at once, the repeats become one event with ``repeated`` (how many),
        ``first_repeat`` and ``last_repeat`` when the window closes. A flood of them
        is two events a minute, not thousands a second, and nothing written is ever
        changed afterwards.
        """
        if (client := _ACTING.get()) is not None:
            data["by_client"] = client
        for annotate in self._annotators:
            data |= annotate(kind, data)
        # Round-trip through JSON now, so subscribers see exactly what a query returns.
        payload: JsonDict = json.loads(json.dumps(data))
        if kind not in COLLAPSIBLE_EVENTS or "by_client" not in payload:
            return self._write(kind, payload)
        key = json.dumps([kind, payload], sort_keys=True)
        run = self._runs.get(key)
        if run is not None:
            run.repeats += 1
            run.last = self._clock.now()
            return run.first
        first = self._write(kind, payload)
        run = self._runs[key] = _Run(kind, payload, first)
        run.timer = self._clock.call_later(
            COLLAPSE_WINDOW, lambda: self._close_run(key)
        )
        return first

    def flush(self) -> None:
        """Write the repeats of every open run now (the driver is stopping)."""
        for key in list(self._runs):
            self._close_run(key)

    def _close_run(self, key: str) -> None:
        run = self._runs.pop(key, None)
        if run is None:
            return
        if run.timer is not None:
            run.timer.cancel()
        if not run.repeats:
            return
        assert run.last is not None  # noqa: S101 -- set with every repeat
        self._write(
            run.kind,
            run.payload
            | {
                "repeated": run.repeats,
                "first_repeat": run.first.time.isoformat(),
                "last_repeat": run.last.isoformat(),
            },
        )

    def _write(self, kind: str, payload: JsonDict) -> Event:
        now = self._clock.now()
        security = kind in SECURITY_EVENTS
        with self._store.transaction():
            seq = self._store.insert_event(now, kind, payload, security=security)
            if (handling := _HANDLING.get()) is not None:
                self._store.set_meta(_MCU_SEQ_KEY, handling.record())
            # Only the class this event grew: the other is within retention already.
            self._store.prune_events(self._retention, security=security)
            event = Event(seq, now, kind, payload)
            self._store.after_commit(lambda: self._announce(event))
        return event

    def query(
        self,
        since: int | None = None,
        limit: int = EVENTS_PER_QUERY_DEFAULT,
        start: datetime | None = None,
        end: datetime | None = None,
        before: int | None = None,
        newest_first: bool = False,
    ) -> list[Event]:
        """Return events with a seq above ``since`` and below ``before``, in a range.

        Only times in ``[start, end)`` count. The oldest come first, or the newest
        with ``newest_first`` (to page back through history, pass the last seq of one
        page as ``before`` of the next).
        """
        limit = max(EVENTS_PER_QUERY.minimum, min(limit, EVENTS_PER_QUERY.maximum))
        # Only what was announced: an event committed in a group that is not yet
        # durable is not shown before it is (its announcement comes with its sync).
        return [
            Event(seq, datetime.fromisoformat(time), kind, json.loads(data))
            for seq, time, kind, data in self._store.event_rows(
                since, limit, start, end, before, newest_first
            )
            if seq <= self._announced
        ]

    def latest(self, *kinds: str) -> Event | None:
        """Return the newest kept event of one of ``kinds``."""
        row = self._store.latest_event_row(kinds)
        if row is None:
            return None
        seq, time, kind, data = row
        return Event(seq, datetime.fromisoformat(time), kind, json.loads(data))

    def annotate_with(self, annotator: Annotator) -> Callable[[], None]:
        """Let ``annotator`` add fields to each event before it is stored.

        The camera adds ``snapshot_id`` this way; ``annotator`` must not block.
        Returns the function that removes it.
        """
        self._annotators.append(annotator)
        return lambda: self._annotators.remove(annotator)

    def subscribe(self, handler: EventHandler) -> Callable[[], None]:
        """Call ``handler`` with every new event; return the unsubscribe function."""
        self._subscribers.append(handler)
        return lambda: self._subscribers.remove(handler)

    def on_announced(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` once the events one sync made durable are all announced.

        A subscriber that holds back what it heard while :attr:`announcing` sends it
        on there, together; return the unsubscribe function.
        """
        return self._store.after_callbacks(callback)

    @property
    def announcing(self) -> bool:
        """Whether the events of a sync are being announced (more may follow)."""
        return self._store.running_callbacks

    def _announce(self, event: Event) -> None:
        self._announced = max(self._announced, event.seq)
        for handler in list(self._subscribers):
            try:
                handler(event)
            except Exception:
                _LOGGER.exception("Event subscriber failed on %s", event.type)
