"""The store's group commit: one SQLite commit and one sync per batch, nothing lost.

A group (the MCU link's batch of events, an unlock with its bolt reports) keeps one
SQLite transaction open and makes each of its transactions a savepoint of it; another
connection to the file sees what the group wrote only once the group has ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
from pathlib import Path
import sqlite3

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.events import Event, EventLog
from ezlock_edge.core.store import Store, StoreError

type Setup = tuple[Store, EventLog, list[str], sqlite3.Connection]


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[Setup]:
    """Open a store, its event log, what it announced, and a second reader of the file.

    The second reader is closed at the end (an unclosed one is a ResourceWarning in
    whichever test the garbage collector happens to run).
    """
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, ManualClock())
    announced: list[str] = []

    def heard(event: Event) -> None:
        announced.append(event.data.get("n", event.type))

    log.subscribe(heard)
    with contextlib.closing(sqlite3.connect(tmp_path / "lock.db")) as other:
        yield store, log, announced, other


def _committed(other: sqlite3.Connection) -> list[str]:
    rows = other.execute("SELECT data FROM events ORDER BY seq").fetchall()
    return [row[0] for row in rows]


async def test_a_group_is_committed_once_at_its_end(opened: Setup) -> None:
    """Three events in a group: invisible to another connection, then all three."""
    store, log, announced, other = opened
    async with store.group_commit():
        for n in "abc":
            log.append("doorbell", n=n)
        assert [e.data["n"] for e in log.query()] == []  # not announced yet
        assert _committed(other) == []  # not even committed
    assert announced == ["a", "b", "c"]
    assert _committed(other) == ['{"n": "a"}', '{"n": "b"}', '{"n": "c"}']
    assert [e.seq for e in log.query()] == [1, 2, 3]
    store.close()


async def test_a_failing_transaction_in_a_group_rolls_back_alone(
    opened: Setup,
) -> None:
    """The failed one leaves nothing (no seq either); the group's others are kept."""
    store, log, announced, _ = opened

    def failing() -> None:
        with store.transaction():
            log.append("doorbell", n="lost")
            raise RuntimeError

    async with store.group_commit():
        log.append("doorbell", n="a")
        with pytest.raises(RuntimeError):
            failing()
        log.append("doorbell", n="c")
    assert announced == ["a", "c"]
    assert [(e.seq, e.data["n"]) for e in log.query()] == [(1, "a"), (2, "c")]
    store.close()


async def test_a_durable_commit_meanwhile_commits_the_group_first(
    opened: Setup,
) -> None:
    """Another task's plain transaction: the group's earlier work, then its own."""
    store, log, announced, other = opened
    written, go_on = asyncio.Event(), asyncio.Event()

    async def batch() -> None:
        async with store.group_commit():
            log.append("doorbell", n="group 1")
            written.set()
            await go_on.wait()  # as a batch waits for the MCU's answer
            log.append("doorbell", n="group 2")

    task = asyncio.create_task(batch())
    await written.wait()
    log.append("door", n="plain")  # durable when it returns
    assert _committed(other) == ['{"n": "group 1"}', '{"n": "plain"}']
    assert announced == ["group 1", "plain"]
    go_on.set()
    await task
    assert announced == ["group 1", "plain", "group 2"]
    assert [e.data["n"] for e in log.query()] == ["group 1", "plain", "group 2"]
    store.close()


async def test_a_group_whose_transaction_sqlite_rolled_back_raises(
    opened: Setup,
) -> None:
    """A full disk rolls the whole SQLite transaction back: the group raises.

    What its earlier transactions wrote is gone with it, so the group must not end as
    if it were stored (the MCU link would acknowledge those events).
    """
    store, log, announced, other = opened
    log.append("doorbell", n="before")
    (pages,) = store._db.execute("PRAGMA page_count").fetchone()
    store._db.execute(f"PRAGMA max_page_count={pages + 2}")  # then the disk is full

    async def group() -> None:
        async with store.group_commit():
            log.append("doorbell", n="a")
            with pytest.raises(sqlite3.OperationalError):
                log.append("doorbell", n="x" * 100_000)

    with pytest.raises(StoreError):
        await group()
    assert announced == ["before"]
    assert _committed(other) == ['{"n": "before"}']
    store._db.execute(f"PRAGMA max_page_count={pages + 1000}")
    async with store.group_commit():  # the store goes on
        log.append("doorbell", n="after")
    assert announced == ["before", "after"]
    store.close()


async def test_what_a_sync_announced_is_followed_by_one_call_once_all_is_announced(
    opened: Setup,
) -> None:
    """``EventLog.on_announced``: once per sync that announced, after its last event.

    What the WebSocket uses to write a group's events together (issue #18): while they
    are announced ``announcing`` is true; a sync that announced nothing calls nobody.
    """
    store, log, announced, _ = opened
    seen: list[tuple[str, bool]] = []
    log.subscribe(lambda event: seen.append((event.data["n"], log.announcing)))
    unsubscribe = log.on_announced(lambda: seen.append(("done", log.announcing)))
    async with store.group_commit():
        for n in "ab":
            log.append("doorbell", n=n)
    assert seen == [("a", True), ("b", True), ("done", False)]
    log.append("doorbell", n="c")  # a durable transaction of its own: its own sync
    assert seen[3:] == [("c", True), ("done", False)]
    store.sync()  # nothing to announce
    assert len(seen) == 5
    unsubscribe()
    log.append("doorbell", n="d")
    assert seen[5:] == [("d", True)]
    assert announced == ["a", "b", "c", "d"]
    store.close()


def test_a_transaction_whose_commit_fails_leaves_nothing_to_announce(
    opened: Setup,
) -> None:
    """A COMMIT that fails (here a foreign key checked at the commit) stores nothing.

    Its event must not be announced with the next transaction that commits, and the
    store must go on (before, the failed transaction stayed open: the next commit
    failed as well, then announced the lost event).
    """
    store, log, announced, other = opened

    def lost() -> None:
        with store.transaction() as db:
            db.execute("PRAGMA defer_foreign_keys=ON")
            log.append("doorbell", n="lost")
            db.execute(
                "INSERT INTO credentials (id, user_number, type, created)"
                " VALUES ('c', 999, 'password', '2026-01-01')"  # no user 999
            )

    with pytest.raises(sqlite3.IntegrityError):
        lost()
    assert not store._db.in_transaction
    log.append("doorbell", n="after")
    assert announced == ["after"]
    assert _committed(other) == ['{"n": "after"}']
    assert other.execute("SELECT seq FROM events").fetchall() == [(1,)]  # no hole
    store.close()
