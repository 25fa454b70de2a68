"""SQLite's checkpoint runs on a thread of its own, not inside a commit on the event loop."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
import shutil
import sqlite3
import threading

from ezlock_edge.core.schema import SCHEMA_VERSION
from ezlock_edge.core.store import Store
from ezlock_edge.core.store.database import AUTOCHECKPOINT_PAGES, CHECKPOINT_COMMITS
from tests.support.waiting import eventually

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _in_the_database_file(path: Path, copy: Path) -> int:
    """Events the database file holds by itself, without its WAL (a copy of it alone)."""
    shutil.copyfile(path, copy)
    raw = sqlite3.connect(copy)
    try:
        return int(raw.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    except sqlite3.DatabaseError:  # not even the schema there yet, or half copied
        return 0
    finally:
        raw.close()


def _checkpointing_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if "checkpoint" in t.name]


async def test_the_wal_is_copied_into_the_database_by_a_thread_of_its_own(
    tmp_path: Path,
) -> None:
    """Issue #18: the WAL reaches the database file before SQLite's own checkpoint.

    SQLite checkpoints by itself once the WAL holds 1 000 pages (its default), inside
    the commit that crossed it: on the event loop, on the way of whichever unlock
    committed then (two more syncs and the pages' copies). Here 220 commits of one
    event each (about 900 pages, below that): those committed when the checkpointing
    thread began reach the database file through it while the store goes on
    committing, and once closed the store leaves no such thread behind. SQLite's own stays, further off, as the WAL's bound.
    """
    path = tmp_path / "lock.db"
    store = Store(path)
    commits = CHECKPOINT_COMMITS + 20  # 4 pages each: below 1 000 in all
    try:
        for number in range(commits):
            store.insert_event(NOW, "doorbell", {"n": number})
        await eventually(
            lambda: (
                _in_the_database_file(path, tmp_path / "copy.db")
                # What was committed when it began: its first pass copies all of
                # it (the store's migrations were the first of those commits).
                >= CHECKPOINT_COMMITS - SCHEMA_VERSION
            ),
            "the events copied into the database file",
        )
        assert _checkpointing_threads()
        (bound,) = store._db.execute("PRAGMA wal_autocheckpoint").fetchone()
        assert bound == AUTOCHECKPOINT_PAGES == 2000
        rows = store.event_rows(None, commits + 1)
        assert [row[0] for row in rows] == list(range(1, commits + 1))
    finally:
        store.close()
    assert not _checkpointing_threads()
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT COUNT(*) FROM events").fetchone()[0] == commits
    raw.close()


def test_no_checkpoint_begins_once_the_store_closed(tmp_path: Path) -> None:
    """A sync that comes after close (a loop turn's, scheduled before) starts no thread.

    Before, the checkpointer started a new thread and connection to the closed
    database, which nothing ever ended.
    """
    store = Store(tmp_path / "lock.db")
    for number in range(CHECKPOINT_COMMITS):  # one checkpoint begins
        store.insert_event(NOW, "doorbell", {"n": number})
    store.close()
    checkpointer = store._checkpointer  # the sync's, for the test
    assert not checkpointer.begin()
    assert not _checkpointing_threads()
