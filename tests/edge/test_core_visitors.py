"""Visitors (L-30, L-31): temporary passwords and Bluetooth keys, one concept with a kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
import sqlite3
from zoneinfo import ZoneInfo

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.errors import (
    BluetoothKeyNotFoundError,
    DuplicateCredentialError,
    InvalidRequestError,
    TemporaryPasswordNotFoundError,
)
from ezlock_edge.core.events import EventLog
from ezlock_edge.core.models import VisitorKind
from ezlock_edge.core.schema import MIGRATIONS, SCHEMA_VERSION
from ezlock_edge.core.secrets import DeviceSecret
from ezlock_edge.core.store import Store
from ezlock_edge.core.visitors import LOOK_AGAIN, RETENTION, Visitors

_SECRET = DeviceSecret(b"s" * 32)
_UTC = ZoneInfo("UTC")


@pytest.fixture
def visitors(store: Store, clock: ManualClock) -> Visitors:
    return Visitors(store, EventLog(store, clock), clock, _SECRET, _UTC)


def _types(store: Store, clock: ManualClock) -> list[str]:
    return [event.type for event in EventLog(store, clock).query(limit=1000)]


def test_l30_temporary_password_lifecycle(
    visitors: Visitors, store: Store, clock: ManualClock
) -> None:
    """L-30: created with a code shown once, matched inside an entry, used up, deleted."""
    kind = VisitorKind.TEMPORARY_PASSWORD
    temporary, code = visitors.create(
        kind, "Cleaner", clock.now() + timedelta(hours=1), max_uses=2
    )
    assert len(code) == 8
    assert "code" not in temporary.as_dict(clock.now(), _UTC)
    assert visitors.match_entry("99" + code + "1") == [temporary]
    used = visitors.use(temporary)
    assert (used.uses, used.last_used_at) == (1, clock.now())
    assert used.usable_at(clock.now(), _UTC)
    clock.advance(60)
    spent = visitors.use(used)
    assert spent.refusal(clock.now(), _UTC) == "used_up"
    assert spent.status(clock.now(), _UTC) == "used_up"
    assert spent.ended_at(clock.now()) == clock.now()
    # Deleting one that already ended forgets it at once.
    visitors.revoke(kind, temporary.id)
    assert visitors.match_entry(code) == []
    assert visitors.of_kind(kind) == []
    with pytest.raises(TemporaryPasswordNotFoundError):
        visitors.revoke(kind, temporary.id)
    events = EventLog(store, clock).query(limit=1000)
    assert [event.type for event in events][-4:] == [
        "temporary_password_created",
        "temporary_password_used",
        "temporary_password_used",
        "temporary_password_removed",
    ]
    assert events[-1].data == {
        "id": temporary.id,
        "name": "Cleaner",
        "reason": "deleted",
    }


def test_a_revoked_visitor_stays_listed_and_never_opens(
    visitors: Visitors, store: Store, clock: ManualClock
) -> None:
    """Revoking keeps the row with status ``revoked``: the owner sees what became of it."""
    kind = VisitorKind.TEMPORARY_PASSWORD
    temporary, code = visitors.create(
        kind, "Weekend guest", clock.now() + timedelta(days=2), max_uses=None
    )
    clock.advance(600)
    visitors.revoke(kind, temporary.id)
    [revoked] = visitors.of_kind(kind)
    assert revoked.revoked_at == clock.now()
    assert revoked.status(clock.now(), _UTC) == "revoked"
    assert revoked.refusal(clock.now(), _UTC) == "revoked"
    assert not revoked.usable_at(clock.now(), _UTC)
    shown = revoked.as_dict(clock.now(), _UTC)
    assert (shown["status"], shown["revoked_at"]) == (
        "revoked",
        clock.now().isoformat(),
    )
    # The keypad still recognises it, to say it was revoked (and count the attempt).
    assert visitors.match_entry(code) == [revoked]
    assert visitors.active_now()[kind] == 0
    # Its code may be given to someone else now.
    again, same = visitors.create(
        kind, "Next guest", clock.now() + timedelta(days=1), code=code
    )
    assert same == code
    assert {v.id for v in visitors.match_entry(code)} == {revoked.id, again.id}
    # A second delete forgets the revoked one; the new one stays.
    visitors.revoke(kind, temporary.id)
    assert visitors.of_kind(kind) == [again]
    assert _types(store, clock)[-4:] == [
        "temporary_password_created",
        "temporary_password_revoked",
        "temporary_password_created",
        "temporary_password_removed",
    ]


def test_a_code_in_use_cannot_be_chosen_again(
    visitors: Visitors, clock: ManualClock
) -> None:
    """Only a visitor that ended frees its code; an active or scheduled one keeps it."""
    kind = VisitorKind.TEMPORARY_PASSWORD
    until = clock.now() + timedelta(days=1)
    visitors.create(
        kind, "Later", until, valid_from=clock.now() + timedelta(hours=1), code="482915"
    )
    with pytest.raises(DuplicateCredentialError):
        visitors.create(kind, "Other", until, code="482915")


@pytest.mark.parametrize("how", ["revoked", "expired", "used_up"])
async def test_ended_visitors_are_forgotten_on_time(
    visitors: Visitors, store: Store, clock: ManualClock, how: str
) -> None:
    """An ended visitor stays listed for ``RETENTION`` (30 days) after it ended, then goes.

    On time, by the lock's own timer: nobody lists the visitors here.
    """
    visitors.start()
    kind = VisitorKind.TEMPORARY_PASSWORD
    visitor, code = visitors.create(kind, "Guest", clock.now() + timedelta(hours=2))
    clock.advance(3600)
    if how == "revoked":
        visitors.revoke(kind, visitor.id)
    elif how == "used_up":
        visitors.use(visitor)
    else:
        clock.advance(3600)
    [ended] = visitors.of_kind(kind)
    assert ended.status(clock.now(), _UTC) == how
    clock.advance(RETENTION.total_seconds() - 1)
    assert visitors.of_kind(kind) == [ended]
    clock.advance(1)
    assert visitors.of_kind(kind) == []
    assert visitors.match_entry(code) == []
    last = EventLog(store, clock).query(limit=1000)[-1]
    assert (last.type, last.data["reason"], last.time) == (
        "temporary_password_removed",
        "retention",
        clock.now(),
    )
    visitors.stop()
    assert clock.pending() == []


async def test_what_ended_while_the_lock_was_off_is_forgotten_at_start(
    visitors: Visitors, store: Store, clock: ManualClock
) -> None:
    """A lock switched off over the retention forgets those visitors as it starts."""
    kind = VisitorKind.BLUETOOTH_KEY
    key, _ = visitors.create(kind, "Guest", clock.now() + timedelta(hours=1))
    visitors.revoke(kind, key.id)
    clock.advance(RETENTION.total_seconds())  # not started: nothing is timed
    assert visitors.of_kind(kind) != []
    visitors.start()
    assert visitors.of_kind(kind) == []
    visitors.stop()


async def test_the_timer_goes_on_when_the_database_fails(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A wake that cannot read the visitors is logged and tried again, not lost."""
    store = Store(tmp_path / "broken.db")
    visitors = Visitors(store, EventLog(store, clock), clock, _SECRET, _UTC)
    visitors.start()
    kind = VisitorKind.TEMPORARY_PASSWORD
    visitors.create(kind, "Guest", clock.now() + timedelta(minutes=5))
    store.close()  # the database is gone from under the lock
    clock.advance(5 * 60)
    assert "Could not follow the visitors' time" in caplog.text
    assert clock.pending() == [LOOK_AGAIN]
    visitors.stop()


class _SetClock(ManualClock):
    """A lock's clock whose wall time is set (NTP at boot): its monotonic time goes on."""

    def set(self, wall: datetime) -> None:
        self._wall = wall


@pytest.mark.parametrize("behind", [True, False])
async def test_a_wall_clock_set_is_caught_up_with_within_the_hour(
    store: Store, behind: bool
) -> None:
    """The timer runs on monotonic time, so a wall clock set is seen at its next look.

    A code valid from tomorrow: the board's clock a day behind is set forward (the code
    opens), or one ahead is set back (it is not yet valid). The timer had slept towards
    the old time; within ``LOOK_AGAIN`` it looks again and announces the new count.
    """
    clock = _SetClock()
    counts: list[int] = []
    kind = VisitorKind.TEMPORARY_PASSWORD

    def changed() -> None:
        counts.append(codes.active_now()[kind])

    codes = Visitors(store, EventLog(store, clock), clock, _SECRET, _UTC, changed)
    codes.start()
    counts.clear()  # the count it starts with
    start = clock.now()
    opens, ends = start + timedelta(days=1), start + timedelta(days=3)
    if behind:
        codes.create(kind, "Cleaner", ends, valid_from=opens)
        clock.set(opens + timedelta(minutes=1))
    else:
        clock.set(opens + timedelta(minutes=1))
        codes.create(kind, "Cleaner", ends, valid_from=opens)
        clock.set(start)
    assert codes.active_now()[kind] == int(behind)  # true now, not yet announced
    clock.advance(LOOK_AGAIN - 1)
    assert counts == []
    clock.advance(1)
    assert counts == [int(behind)]
    codes.stop()


async def test_an_active_visitor_is_never_forgotten(
    visitors: Visitors, clock: ManualClock
) -> None:
    """Retention counts from the end: a code valid for a year stays all year."""
    visitors.start()
    kind = VisitorKind.BLUETOOTH_KEY
    key, _ = visitors.create(kind, "Tenant", clock.now() + timedelta(days=365))
    clock.advance(RETENTION.total_seconds() * 2)
    assert visitors.of_kind(kind) == [key]
    visitors.stop()


def test_l30_one_use_unless_told(visitors: Visitors, clock: ManualClock) -> None:
    """L-30: one-time by default; None means any number within the window."""
    until = clock.now() + timedelta(hours=1)
    once, _ = visitors.create(VisitorKind.TEMPORARY_PASSWORD, "Once", until)
    always, _ = visitors.create(
        VisitorKind.TEMPORARY_PASSWORD, "Always", until, max_uses=None
    )
    assert (once.max_uses, always.max_uses) == (1, None)
    with pytest.raises(InvalidRequestError):
        visitors.create(VisitorKind.TEMPORARY_PASSWORD, "Many", until, max_uses=101)


def test_l31_bluetooth_key_lifecycle(
    visitors: Visitors, store: Store, clock: ManualClock
) -> None:
    """L-31: a Bluetooth key with a validity window, any number of uses, revocable."""
    kind = VisitorKind.BLUETOOTH_KEY
    key, code = visitors.create(kind, "Guest", clock.now() + timedelta(days=1))
    assert len(code) == 12
    assert list(key.as_dict(clock.now(), _UTC)) == [
        "id",
        "name",
        "valid_from",
        "valid_until",
        "schedule",
        "status",
        "status_until",
        "revoked_at",
        "created",
    ]
    assert visitors.match_key(code) == key
    assert visitors.match_key(code[:-1] + "x") is None
    assert visitors.use(key) == key  # uses are not counted for keys
    with pytest.raises(InvalidRequestError):
        visitors.create(kind, "Counted", clock.now() + timedelta(days=1), max_uses=3)
    visitors.revoke(kind, key.id)
    [revoked] = visitors.of_kind(kind)
    assert revoked.refusal(clock.now(), _UTC) == "revoked"
    assert visitors.match_key(code) == revoked  # known, to be refused as revoked
    clock.advance(86400)
    assert revoked.refusal(clock.now(), _UTC) == "revoked"
    assert revoked.status(clock.now(), _UTC) == "revoked"
    visitors.revoke(kind, key.id)
    assert visitors.match_key(code) is None
    with pytest.raises(BluetoothKeyNotFoundError):
        visitors.revoke(kind, key.id)
    assert _types(store, clock) == [
        "bluetooth_key_created",
        "bluetooth_key_revoked",
        "bluetooth_key_removed",
    ]


def test_the_kinds_do_not_mix(visitors: Visitors, clock: ManualClock) -> None:
    """A temporary password's id is not a Bluetooth key's, nor its secret."""
    until = clock.now() + timedelta(days=1)
    temporary, code = visitors.create(VisitorKind.TEMPORARY_PASSWORD, "Code", until)
    key, secret = visitors.create(VisitorKind.BLUETOOTH_KEY, "Phone", until)
    assert visitors.of_kind(VisitorKind.TEMPORARY_PASSWORD) == [temporary]
    assert visitors.of_kind(VisitorKind.BLUETOOTH_KEY) == [key]
    assert visitors.match_key(code) is None
    assert visitors.match_entry(secret) == []
    with pytest.raises(BluetoothKeyNotFoundError):
        visitors.revoke(VisitorKind.BLUETOOTH_KEY, temporary.id)
    assert visitors.active_now() == {
        VisitorKind.TEMPORARY_PASSWORD: 1,
        VisitorKind.BLUETOOTH_KEY: 1,
    }


def test_a_version_1_database_keeps_its_visitors(
    tmp_path: Path, clock: ManualClock
) -> None:
    """Schemas 1 to 3 kept temporary passwords and Bluetooth keys in two tables; 4 in one.

    The codes and keys stay valid: their keyed hashes move as they are.
    """
    path = tmp_path / "lock.db"
    raw = sqlite3.connect(path)
    raw.executescript(MIGRATIONS[0] + "PRAGMA user_version=1;")
    start, end = clock.now(), clock.now() + timedelta(days=1)
    created = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    raw.execute(
        "INSERT INTO temporary_passwords VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "tp_1",
            "Cleaner",
            _SECRET.digest("temporary", "48291573"),
            start.isoformat(),
            end.isoformat(),
            3,
            1,
            created,
        ),
    )
    raw.execute(
        "INSERT INTO bluetooth_keys VALUES (?, ?, ?, ?, ?, ?)",
        (
            "bk_1",
            "Guest",
            _SECRET.digest("bluetooth", "123456789012"),
            start.isoformat(),
            end.isoformat(),
            created,
        ),
    )
    raw.commit()
    raw.close()

    store = Store(path)
    try:
        version = store._db.execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION
        visitors = Visitors(store, EventLog(store, clock), clock, _SECRET, _UTC)
        [temporary] = visitors.of_kind(VisitorKind.TEMPORARY_PASSWORD)
        assert temporary.as_dict(clock.now(), _UTC) == {
            "id": "tp_1",
            "name": "Cleaner",
            "valid_from": start.isoformat(),
            "valid_until": end.isoformat(),
            "schedule": None,
            "max_uses": 3,
            "uses": 1,
            "last_used_at": None,
            "status": "active",
            "status_until": end.isoformat(),
            "revoked_at": None,
            "created": created,
        }
        assert visitors.match_entry("0" + "48291573") == [temporary]
        [key] = visitors.of_kind(VisitorKind.BLUETOOTH_KEY)
        assert (key.id, key.name, key.max_uses, key.uses) == ("bk_1", "Guest", None, 0)
        assert visitors.match_key("123456789012") == key
        tables = {
            row[0]
            for row in store._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        }
        assert {"temporary_passwords", "bluetooth_keys"}.isdisjoint(tables)
    finally:
        store.close()


def test_a_version_5_database_keeps_its_visitors_unrevoked(
    tmp_path: Path, clock: ManualClock
) -> None:
    """Schema 6 adds ``revoked_at`` and ``last_used_at``: visitors before it are neither."""
    path = tmp_path / "lock.db"
    raw = sqlite3.connect(path)
    raw.executescript("".join(MIGRATIONS[:5]) + "PRAGMA user_version=5;")
    end = clock.now() + timedelta(days=1)
    raw.execute(
        "INSERT INTO visitor_credentials (id, kind, name, secret_hash, valid_from,"
        " valid_until, max_uses, uses, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "tp_1",
            "temporary_password",
            "Cleaner",
            _SECRET.digest("temporary", "48291573"),
            clock.now().isoformat(),
            end.isoformat(),
            2,
            1,
            clock.now().isoformat(),
        ),
    )
    raw.commit()
    raw.close()

    store = Store(path)
    try:
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        visitors = Visitors(store, EventLog(store, clock), clock, _SECRET, _UTC)
        [old] = visitors.of_kind(VisitorKind.TEMPORARY_PASSWORD)
        assert (old.revoked_at, old.last_used_at, old.uses) == (None, None, 1)
        assert old.status(clock.now(), _UTC) == "active"
        assert visitors.match_entry("48291573") == [old]
        # A use counted before schema 6 has no time: the end of such a used-up code is
        # counted from its creation.
        spent = visitors.use(old)
        assert spent.last_used_at == clock.now()
        visitors.revoke(VisitorKind.TEMPORARY_PASSWORD, old.id)
        assert visitors.of_kind(VisitorKind.TEMPORARY_PASSWORD) == []
    finally:
        store.close()
