"""What the lock's state costs to build: the counts it shows are remembered, and right.

A state snapshot is taken at every change (each MCU event handled, a match started);
the users, admins, credentials and visitors it counts are remembered by the store
until a write to those tables or a rollback, so a snapshot after a bolt report reads
no rows, and the counts still follow every change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

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
