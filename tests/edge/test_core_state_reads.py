"""What the lock's state and its events cost: what they read is remembered, and right.

A state snapshot is taken at every change (each MCU event handled, a match started);
the users, admins, credentials and visitors it counts are remembered by the store
until a write to those tables or a rollback, so a snapshot after a bolt report reads
no rows, and the counts still follow every change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import sqlite3

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.events import EventLog, handling_mcu_event
from ezlock_edge.core.models import (
    Credential,
    CredentialType,
    Role,
    User,
    VisitorCredential,
    VisitorKind,
)
from ezlock_edge.core.store import Store
from tests.support.waiting import eventually

from .rig_support import running_lock

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _finger(number: int, user: int) -> Credential:
    return Credential(
        id=f"c{number}",
        user_number=user,
        type=CredentialType.FINGERPRINT,
        slot=number,
        secret_hash=None,
        duress=False,
        created=NOW,
    )


def _visitor(visitor_id: str) -> VisitorCredential:
    return VisitorCredential(
        id=visitor_id,
        kind=VisitorKind.TEMPORARY_PASSWORD,
        name="Guest",
        valid_from=NOW,
        valid_until=NOW + timedelta(days=1),
        max_uses=None,
        uses=0,
        created=NOW,
        secret_hash=b"h" * 32,
    )


def test_remembered_counts_follow_every_write_and_rollback(store: Store) -> None:
    """Counts read, then changed by a write, a rolled-back write, a cascade, a wipe."""
    fingers = CredentialType.FINGERPRINT
    assert (store.count_users(), store.count_admins()) == (0, 0)
    store.put_user(User(1, "Alice", Role.ADMIN, None, None, NOW))
    assert (store.count_users(), store.count_admins()) == (1, 1)
    store.put_credential(_finger(1, 1))
    assert store.count_credentials(fingers) == 1
    assert store.count_credentials(fingers, 1) == 1

    def add_then_fail() -> None:
        with store.transaction():
            store.put_credential(_finger(2, 1))
            assert store.count_credentials(fingers) == 2  # seen inside
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        add_then_fail()
    assert store.count_credentials(fingers) == 1  # the rollback took it back
    store.put_user(User(1, "Alice", Role.USER, None, None, NOW))
    assert store.count_admins() == 0
    store.delete_user(1)  # its credentials go by cascade
    assert (store.count_users(), store.count_credentials(fingers, 1)) == (0, 0)
    assert store.count_credentials(fingers) == 0
    assert store.list_visitors(VisitorKind.TEMPORARY_PASSWORD) == []
    store.put_visitor(_visitor("v1"))
    assert [v.id for v in store.list_visitors(VisitorKind.TEMPORARY_PASSWORD)] == ["v1"]
    store.delete_visitor("v1")
    assert store.list_visitors(VisitorKind.TEMPORARY_PASSWORD) == []
    store.put_user(User(2, "Bob", Role.ADMIN, None, None, NOW))
    assert store.count_users() == 1
    store.wipe()
    assert (store.count_users(), store.count_admins()) == (0, 0)


def test_a_write_no_store_method_made_is_seen_too(store: Store) -> None:
    """The connection's own triggers forget the counts: no writer has to know."""
    assert store.count_users() == 0
    with store.transaction() as db:
        db.execute(
            "INSERT INTO users (number, name, role, created) VALUES (7, 'Eve', ?, ?)",
            (Role.ADMIN.value, NOW.isoformat()),
        )
    assert (store.count_users(), store.count_admins()) == (1, 1)
    with store.transaction() as db:
        db.execute("UPDATE users SET role = ? WHERE number = 7", (Role.USER.value,))
    assert store.count_admins() == 0
    with store.transaction() as db:
        db.execute("DELETE FROM users")
    assert store.count_users() == 0


async def test_a_state_after_a_bolt_report_reads_no_rows(tmp_path: Path) -> None:
    """Issue #18: the snapshot behind every state push reads the counts it showed last."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        core = rig.core
        first = core.state
        statements: list[str] = []
        database = core._store._db  # its own trace hook
        database.set_trace_callback(statements.append)
        try:
            again = core.state
            assert statements == []  # nothing was read for it
            await core.lock("remote")
            await eventually(lambda: core.state.bolt.name == "LOCKED", "locked")
            statements.clear()
            locked = core.state
            assert not [
                s for s in statements if s.lstrip().upper().startswith("SELECT")
            ]
        finally:
            database.set_trace_callback(None)
        assert again == first
        assert (locked.users, locked.admin_exists) == (first.users, True)


def _statements(store: Store) -> list[str]:
    """Collect the statements ``store`` runs from now (until its trace hook is unset)."""
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)  # its own trace hook
    return statements


def _reads(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def _changes(statements: list[str]) -> list[str]:
    """``VERB table`` of each statement that reads or changes rows, in order."""
    return [
        s.split()[0].upper() + " " + s.split()[2]
        for s in statements
        if s.split()[0].upper() in {"INSERT", "DELETE", "SELECT", "UPDATE"}
    ]


def test_a_match_reads_its_credential_and_user_once(store: Store) -> None:
    """Issue #18: each biometric match looked its slot and user up: now remembered.

    What is remembered follows every write and rollback (the tables' triggers).
    """
    fingers = CredentialType.FINGERPRINT
    store.put_user(User(1, "Alice", Role.ADMIN, None, None, NOW))
    store.put_credential(_finger(3, 1))
    assert store.credential_by_slot(fingers, 3) == _finger(3, 1)
    assert store.get_user(1) == User(1, "Alice", Role.ADMIN, None, None, NOW)
    statements = _statements(store)
    try:
        again = store.credential_by_slot(fingers, 3), store.get_user(1)
        assert statements == []
    finally:
        store._db.set_trace_callback(None)
    assert again == (_finger(3, 1), User(1, "Alice", Role.ADMIN, None, None, NOW))

    def rename_then_fail() -> None:
        with store.transaction():
            store.put_user(User(1, "Mallory", Role.ADMIN, None, None, NOW))
            user = store.get_user(1)
            assert user is not None
            assert user.name == "Mallory"  # seen inside
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        rename_then_fail()
    assert store.get_user(1) == User(1, "Alice", Role.ADMIN, None, None, NOW)
    store.put_user(User(1, "Alicia", Role.ADMIN, None, None, NOW))
    assert store.get_user(1) == User(1, "Alicia", Role.ADMIN, None, None, NOW)
    store.delete_credential("c3")
    assert store.credential_by_slot(fingers, 3) is None
    store.put_credential(_finger(3, 1))
    assert store.credential_by_slot(fingers, 3) == _finger(3, 1)
    store.wipe()
    assert (store.credential_by_slot(fingers, 3), store.get_user(1)) == (None, None)


def test_meta_values_are_remembered_as_written(store: Store) -> None:
    """Issue #18: every MCU event read the number of the last one handled: remembered.

    A rolled-back write and a wipe are forgotten; each read is a fresh object.
    """
    store.set_meta("mcu_last_event", {"number": 7, "serial": "A"})
    statements = _statements(store)
    try:
        first = store.get_meta("mcu_last_event")
        first["number"] = 99  # the caller's own copy
        assert store.get_meta("mcu_last_event") == {"number": 7, "serial": "A"}
        assert _reads(statements) == []
    finally:
        store._db.set_trace_callback(None)

    def write_then_fail() -> None:
        with store.transaction():
            store.set_meta("mcu_last_event", {"number": 8, "serial": "A"})
            assert store.get_meta("mcu_last_event") == {"number": 8, "serial": "A"}
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert store.get_meta("mcu_last_event") == {"number": 7, "serial": "A"}
    store.wipe()
    assert store.get_meta("mcu_last_event") is None


def test_an_event_in_a_batch_reads_nothing_and_prunes_its_own_class(
    store: Store,
) -> None:
    """Issue #18: an MCU event's event is an insert and its MCU number, nothing more.

    Both classes were pruned, each by a read and a delete, at every append, and the
    MCU number of the last event handled was read back for every MCU event; then the
    class an event grew was pruned by a delete at every append, also with nothing to
    delete. Once the class holds more than the retention, the one delete comes back.
    """
    log = EventLog(store, ManualClock(), retention=3)
    with handling_mcu_event(1, "A"):
        log.append("bolt", state="locked")
    statements = _statements(store)
    try:
        assert not log.mcu_event_handled(2, "A")
        with handling_mcu_event(2, "A"):
            log.append("bolt", state="unlocked")
        within = _changes(statements)
        statements.clear()
        log.append("unlocked", method="password", user=None)  # the other class
        log.append("door", state="open")
        log.append("door", state="closed")  # a fourth ordinary event
        beyond = _changes(statements)
    finally:
        store._db.set_trace_callback(None)
    assert within == ["INSERT events", "INSERT meta"]
    assert beyond == [
        "INSERT events",
        "INSERT events",
        "INSERT events",
        "DELETE events",
    ]
    assert log.mcu_event_handled(2, "A")
    kept = [(e.type, e.data.get("state")) for e in log.query()]
    assert kept == [
        ("bolt", "unlocked"),
        ("unlocked", None),
        ("door", "open"),
        ("door", "closed"),
    ]


def test_the_ordinals_kept_for_pruning_follow_rollbacks_and_wipes(
    tmp_path: Path,
) -> None:
    """What the prune remembers of each class is forgotten with what it was read from.

    A rolled-back insert, a wipe, and another program's rows written while the store
    was closed: the retention holds exactly after each, and ordinals never repeat.
    """
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, ManualClock(), retention=2)
    for number in range(3):
        log.append("doorbell", n=number)

    def append_then_fail() -> None:
        with store.transaction():
            log.append("doorbell", n=99)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        append_then_fail()
    log.append("doorbell", n=3)
    assert [e.data["n"] for e in log.query()] == [2, 3]
    store.wipe()
    log.append("doorbell", n=4)
    assert [e.data["n"] for e in log.query()] == [4]
    store.close()
    raw = sqlite3.connect(tmp_path / "lock.db")
    raw.executemany(
        "INSERT INTO events (time, ts, type, data, security, class_ord)"
        " VALUES ('2026-01-01T00:00:00+00:00', 0, 'doorbell', ?, 0, ?)",
        [(json.dumps({"n": n}), n) for n in (5, 6)],
    )
    raw.commit()
    raw.close()
    store = Store(tmp_path / "lock.db")
    try:
        log = EventLog(store, ManualClock(), retention=2)
        log.append("doorbell", n=7)
        assert [e.data["n"] for e in log.query()] == [6, 7]
        ordinals = [
            row[0]
            for row in store._db.execute("SELECT class_ord FROM events ORDER BY seq")
        ]
        assert ordinals == sorted(set(ordinals))
    finally:
        store.close()


def test_a_lower_retention_prunes_both_classes_from_the_start(tmp_path: Path) -> None:
    """Each append prunes its own class; a retention lowered since still applies to both."""
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, ManualClock(), retention=10)
    for number in range(4):
        log.append("alarm", alarm=f"a{number}")
        log.append("doorbell")
    store.close()
    store = Store(tmp_path / "lock.db")
    try:
        log = EventLog(store, ManualClock(), retention=2)
        log.append("doorbell")
        kept = [(e.type, e.data.get("alarm")) for e in log.query()]
        assert kept == [
            ("alarm", "a2"),
            ("alarm", "a3"),
            ("doorbell", None),
            ("doorbell", None),
        ]
    finally:
        store.close()
