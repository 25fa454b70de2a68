"""The lock's memory: one SQLite file in WAL mode, durable at every commit it reports.

Every public method is one transaction, or joins the caller's ``transaction()`` so that a
change and the event that reports it are committed together. A commit is made durable
(the WAL fsynced) before the store returns from it, so whatever the lock acknowledged
survives a power cut; callbacks registered with :meth:`Store.after_commit` (the event
log's announcements) run only once their commit is durable.

Group commit: inside :meth:`Store.group_commit` (this task only), each transaction is a
savepoint of one SQLite transaction that the group leaves open, so a window of events
writes its pages to the WAL once, not once per event; leaving the block commits it and
waits for one sync at the end of the event loop's turn (after what that turn made
ready, such as a state push), which covers every group that ended in that turn (the unlock's event and the bolt reports that came with the MCU's
answer: one fsync for both), and only then runs the callbacks of every transaction in
it, in commit order. A transaction that fails rolls back to its savepoint: the group's
other transactions stay. The MCU event handler persists a window of events that way
(docs/serial-protocol.md, "Events"): one commit and one fsync per batch, and nothing
announced or acknowledged before it is on disk. A durable transaction made meanwhile
by someone else (outside any group) first commits what the open group holds, then
syncs it with its own (the WAL is one file, synced as a whole), so announcements stay
in commit order.

SQLite itself runs with ``synchronous=NORMAL`` (it syncs the WAL only at checkpoints,
and never corrupts the database); the store syncs the WAL file itself at each durable
point, which is what ``synchronous=FULL`` does at every commit.

Checkpoints (copying the WAL's pages into the database file, two more syncs) run on a
thread of their own with a connection of their own, every ``CHECKPOINT_COMMITS``
commits, started after a sync: not inside a commit on the event loop, where SQLite's
automatic checkpoint ran them (1-3 ms, on an unlock's way in about one credential
sample in a hundred on the benchmark's disk). SQLite's own, at
``AUTOCHECKPOINT_PAGES``, stays as the bound of the WAL should the WAL not start over
or a burst of large commits outrun that thread. A checkpoint moves only
what is committed and already durable in the WAL (SQLite syncs the WAL before and the
database after it), so it changes nothing of what a power cut leaves.

The calls run inline on the event loop on purpose: each transaction touches a handful of
rows (the event log prunes at most one row per append, reads are bounded by
``limit``), and one connection used from one thread keeps every decision atomic
without locks.

The counts and lists the lock's state is built from at every change (users, admins,
credentials of each kind, visitors of each kind), and the user and credential a
biometric match looks up, are remembered until a row of those tables changes or
anything rolls back: a snapshot after an MCU event reads no rows, nor does a match.
Temporary triggers of this connection on those tables forget them, so no writer has
to know (the connection's ``total_changes`` would not do: every event's row moves it).
The meta table's values are remembered as ``set_meta`` writes them, and the oldest and
newest ``class_ord`` of each class of events as inserts and prunes write them (only
this connection writes either; a rollback forgets them too), so that an append to a
log within its retention deletes nothing and reads nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
import logging
import os
from pathlib import Path
import sqlite3
import threading

from ezlock_edge.core.schema import MIGRATIONS, SCHEMA_VERSION
from ezlock_edge.files import private_file, tighten

_LOGGER = logging.getLogger(__name__)


class StoreError(Exception):
    """The database cannot be used (newer schema, corrupt file)."""


@dataclass(slots=True)
class _Group:
    """A group commit in progress; ``open`` is False once its block has ended."""

    open: bool = True
    joined: set[int] = field(default_factory=set)  # numbers of the SQLite transactions


# The group commit of the running task (a task started inside one inherits the
# variable, not the group: once the block ends its commits are durable one by one).
_GROUP: ContextVar[_Group | None] = ContextVar("ezlock_group_commit", default=None)


PAGE_CACHE_KIB = 512  # SQLite's page cache, at most (default: 2 000 KiB)
CHECKPOINT_COMMITS = 200
"""Commits between two checkpoints by the checkpointing thread (module doc).

An event's commit writes 4-5 pages to the WAL: some 900 pages between checkpoints,
about as many WAL start-overs (one sync more each, in the commit that starts it) as
with SQLite's own checkpoint at its default of 1 000 pages, and below
``AUTOCHECKPOINT_PAGES`` even when the WAL did not start over after one of them.
"""
AUTOCHECKPOINT_PAGES = 2000
"""SQLite's own checkpoint, inside a commit on the loop: the WAL's bound (8 MiB).

Reached only when the WAL did not start over after two checkpoints in a row (module
doc); SQLite's default is 1 000.
"""
CHECKPOINT_PASSES = 8
"""Passes of one checkpoint at most, 1, 2, 4 ... 64 ms apart (module doc).

The WAL starts over from its beginning, instead of growing towards SQLite's own
checkpoint, only at a commit whose transaction began after a complete pass; a commit
begun earlier (the bolt's next report) appends. So passes go on until one is complete
and the next finds nothing committed since (or the WAL started over). A pass copies
no page that a read begun earlier may still need: the store's connection keeps its
transaction open across a batch of MCU events, whose handlers may wait for the MCU.
"""
REMEMBERED_TABLES = ("users", "credentials", "visitor_credentials")
"""Tables whose counts and lists :meth:`Database.remember` may keep (module doc)."""


class Database:
    """The connection: transactions, group commit, durability (module doc)."""

    def __init__(self, path: Path) -> None:
        """Open (creating or migrating) the database at ``path``, ``0600`` (and its WAL)."""
        private_file(path)
        for suffix in ("-wal", "-shm"):
            tighten(path.with_name(path.name + suffix))
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._path = path
        self._depth = 0
        self._after_commit: list[Callable[[], None]] = []
        # Callbacks of committed transactions waiting for the WAL sync, in commit order.
        self._pending: list[Callable[[], None]] = []
        self._unsynced = False
        # A group commit's SQLite transaction left open (its savepoints released), and
        # the callbacks of the transactions in it, committed with it.
        self._open = False
        self._uncommitted: list[Callable[[], None]] = []
        self._number = 0  # of the open one (or the last one)
        self._lost: set[int] = (
            set()
        )  # numbers of those SQLite rolled back (disk errors)
        self._wal: int | None = None  # file descriptor of the WAL, opened at first sync
        self._turn_sync: asyncio.Future[None] | None = None  # the sync due this turn
        self._callbacks_running = 0  # syncs running their callbacks (nested: several)
        self._after_callbacks: list[Callable[[], None]] = []
        self._remembered: dict[Hashable, object] = {}  # reads kept until a change
        self._checkpointer = _Checkpointer(path)
        self._uncheckpointed = 0  # commits since the checkpointer last began
        try:
            self._prepare(path)
        except BaseException:
            # A database this program cannot use is left as it was, and not held open.
            self._db.close()
            raise

    def _prepare(self, path: Path) -> None:
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise StoreError(f"cannot switch {path} to WAL mode (got {mode})")
        self._db.execute("PRAGMA synchronous=NORMAL")  # the store syncs: module doc
        self._db.execute("PRAGMA foreign_keys=ON")
        # SQLite's page cache grows to 2 MiB by default as a full event log is read and
        # pruned; the pages a running lock reuses (the log's newest end, the small
        # tables) fit in a quarter of that (docs/performance.md, the driver's memory).
        self._db.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
        self._db.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        self._migrate()
        self._db.create_function("ezlock_forget_remembered", 0, self._forget_remembered)
        for table in REMEMBERED_TABLES:
            for change in ("INSERT", "UPDATE", "DELETE"):
                self._db.execute(
                    f"CREATE TEMP TRIGGER IF NOT EXISTS forget_{table}_{change.lower()}"
                    f" AFTER {change} ON main.{table}"
                    " BEGIN SELECT ezlock_forget_remembered(); END"
                )

    def close(self) -> None:
        """Sync what is pending, close the connection (SQLite checkpoints the WAL)."""
        self._forget_remembered()  # a closed database answers nothing
        try:
            # First, and none begun after it: the last connection checkpoints at its
            # close (on the caller's thread, once, instead of the thread's passes).
            self._checkpointer.close()
            self._commit_open()
            self.sync()
        finally:
            if self._wal is not None:
                os.close(self._wal)
                self._wal = None
            self._db.close()

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database schema {version} is newer than this program ({SCHEMA_VERSION})"
            )
        for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction() as db:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={target}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Group writes into one durable commit; nested uses join the outer one.

        Callbacks registered with :meth:`after_commit` run once the outermost
        transaction is durable (at once, or when the group commit it is part of ends),
        and are dropped if it rolls back.
        """
        outermost = self._depth == 0
        group = _GROUP.get() if outermost else None
        grouped = group is not None and group.open
        if outermost:
            if grouped:
                if not self._open:
                    self._db.execute("BEGIN IMMEDIATE")
                    self._open = True
                    self._number += 1
                self._db.execute("SAVEPOINT change")
            else:
                self._commit_open()  # what a group holds comes first
                self._db.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield self._db
        except BaseException:
            self._depth -= 1
            self._forget_remembered()  # what was read inside may be rolled back
            if outermost:
                if not grouped:
                    self._db.execute("ROLLBACK")
                elif self._db.in_transaction:
                    self._db.execute("ROLLBACK TO change")
                    self._db.execute("RELEASE change")
                else:  # SQLite rolled the whole transaction back (a disk error)
                    self._lose_open()
                self._after_commit.clear()
            raise
        self._depth -= 1
        if outermost:
            if group is not None and grouped:
                self._db.execute("RELEASE change")
                group.joined.add(self._number)
                self._uncommitted.extend(self._after_commit)
                self._after_commit.clear()
            else:
                try:
                    self._db.execute("COMMIT")
                except BaseException:
                    # Nothing of it is stored: nothing of it is announced, and what
                    # was read inside may be gone (a deferred check, a disk error).
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    self._forget_remembered()
                    self._after_commit.clear()
                    raise
                self._pending.extend(self._after_commit)
                self._after_commit.clear()
                self._unsynced = True
                self._uncheckpointed += 1
                self.sync()

    def remember[T](self, key: Hashable, read: Callable[[], T]) -> T:
        """Return what ``read`` returned for ``key`` since the last change (else read now).

        Only for reads of ``REMEMBERED_TABLES`` (their triggers forget what is kept),
        or of what this connection alone writes and keeps with :meth:`remember_value`.
        What it returns is shared: only immutable values.
        """
        try:
            return self._remembered[key]  # type: ignore[return-value]
        except KeyError:
            value = self._remembered[key] = read()
            return value

    def remember_value(self, key: Hashable, value: object) -> None:
        """Keep ``value`` for ``key`` as a write just made it (inside its transaction).

        For what this connection alone writes (the meta table has no triggers): a
        rollback forgets it with the rest.
        """
        self._remembered[key] = value

    def _forget_remembered(self) -> None:
        """Forget what :meth:`remember` kept (a row changed, something rolled back)."""
        self._remembered.clear()

    def _lose_open(self) -> None:
        """Forget the open transaction SQLite rolled back; its groups will raise."""
        self._forget_remembered()
        self._open = False
        self._lost.add(self._number)
        self._uncommitted.clear()

    def _commit_open(self) -> None:
        """Commit the transaction the group commits keep open (what they hold so far)."""
        if not self._open:
            return
        self._open = False
        try:
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:  # SQLite may have rolled it back already
                self._db.execute("ROLLBACK")
            self._lose_open()
            raise
        self._pending.extend(self._uncommitted)
        self._uncommitted.clear()
        self._unsynced = True
        self._uncheckpointed += 1

    @contextmanager
    def durable_now(self) -> Iterator[None]:
        """Make the block's transactions durable as they end, also inside a group.

        For what must be on disk before the lock acts on it (the movement a motor
        command asks for, issue #11.6), even when an MCU event handler asks for it
        within its batch's group commit: what the group holds is committed first, as
        for any transaction outside a group, so commit order stays.
        """
        token = _GROUP.set(None)
        try:
            yield
        finally:
            _GROUP.reset(token)

    @asynccontextmanager
    async def group_commit(self) -> AsyncIterator[None]:
        """Commit this task's transactions in the block with one sync after its end.

        Each transaction is seen by later reads at once; none is committed before the
        block ends (or a durable transaction outside the block commits it), nor durable
        or announced before the sync of this loop turn is done (also when the block
        raises). Nested uses join the outer group.
        """
        if (current := _GROUP.get()) is not None and current.open:
            yield
            return
        group = _Group()
        token = _GROUP.set(group)
        try:
            yield
        finally:
            group.open = False
            _GROUP.reset(token)
            self._commit_open()
            await self._sync_this_turn()
            if group.joined & self._lost:
                raise StoreError("a transaction of this group commit was rolled back")

    async def _sync_this_turn(self) -> None:
        """Wait for one sync at the end of this loop turn, shared by all who ask."""
        if not (self._unsynced or self._pending):
            return
        if self._turn_sync is None:
            loop = asyncio.get_running_loop()
            self._turn_sync = loop.create_future()
            loop.call_soon(self._end_of_turn, True)
        await asyncio.shield(self._turn_sync)

    def _end_of_turn(self, first: bool = False) -> None:
        if first:
            # Once more after what this turn made ready (a state push to write: what
            # the bolt did needs no sync), so a client hears it while the disk syncs.
            asyncio.get_running_loop().call_soon(self._end_of_turn)
            return
        done, self._turn_sync = self._turn_sync, None
        try:
            self.sync()
        except Exception as err:  # noqa: BLE001 -- handed to every waiter
            if done is not None:
                done.set_exception(err)
            return
        if done is not None:
            done.set_result(None)

    def sync(self) -> None:
        """Make every commit so far durable, then run their callbacks in commit order.

        Then, if any ran, each :meth:`after_callbacks` listener: what the callbacks
        announced can leave together, before any other work the loop has ready.
        """
        if self._unsynced:
            if (wal := self._wal_descriptor()) is not None:
                os.fsync(wal)
            self._unsynced = False
        if self._pending:
            self._callbacks_running += 1
            try:
                while self._pending:
                    callbacks, self._pending = self._pending, []
                    for callback in callbacks:
                        callback()
            finally:
                self._callbacks_running -= 1
            for listener in tuple(self._after_callbacks):
                listener()
        if self._uncheckpointed >= CHECKPOINT_COMMITS and self._checkpointer.begin():
            self._uncheckpointed = 0

    @property
    def running_callbacks(self) -> bool:
        """Whether a sync is running its callbacks (more may follow this one)."""
        return self._callbacks_running > 0

    def after_callbacks(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after each sync that ran callbacks; return the unsubscribe."""
        self._after_callbacks.append(listener)
        return lambda: self._after_callbacks.remove(listener)

    def _wal_descriptor(self) -> int | None:
        """Return the WAL file, opened once (None: no commit wrote one yet).

        Its directory entry is synced when it is first opened, as SQLite does for a
        WAL it created.
        """
        if self._wal is None:
            wal = self._path.with_name(self._path.name + "-wal")
            try:
                self._wal = os.open(wal, os.O_RDONLY)
            except FileNotFoundError:
                return None
            directory = os.open(self._path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        return self._wal

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction is durable (now if none)."""
        if self._depth > 0:
            self._after_commit.append(callback)
        elif self._pending:
            self._pending.append(callback)  # after what is still waiting for its sync
        else:
            callback()

    def integrity_ok(self) -> bool:
        """Return whether SQLite's integrity check passes."""
        row = self._db.execute("PRAGMA integrity_check").fetchone()
        return bool(row[0] == "ok")


class _Checkpointer:
    """SQLite's checkpoint on a thread and a connection of its own (module doc).

    ``PASSIVE``: it copies what it can without waiting for, or blocking, the store's
    connection (which keeps reading and writing meanwhile; a page still in use by a
    read stays in the WAL for the next one).
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._thread: ThreadPoolExecutor | None = None  # started at the first one
        self._db: sqlite3.Connection | None = None  # that thread's only
        self._running = False
        self._closing = threading.Event()  # no pass more, no checkpoint after it

    def begin(self) -> bool:
        """Start a checkpoint unless one is running or it closed; say if one started."""
        if self._running or self._closing.is_set():
            return False
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="ezlock-checkpoint")
        self._running = True
        self._thread.submit(self._checkpoint)
        return True

    def close(self) -> None:
        """End a checkpoint on its way after its pass, close the connection and thread."""
        self._closing.set()
        if self._thread is not None:
            closed = self._thread.submit(self._close)
            self._thread.shutdown(wait=True)
            self._thread = None
            closed.result()  # its connection's close failing is the caller's to hear

    def _checkpoint(self) -> None:
        try:
            if self._db is None:
                self._db = sqlite3.connect(self._path, isolation_level=None)
                self._db.execute("PRAGMA cache_size=-64")  # it reads no tables
            complete = -1  # pages in the WAL at the last complete pass
            for attempt in range(CHECKPOINT_PASSES):
                _, pages, copied = self._db.execute(
                    "PRAGMA wal_checkpoint(PASSIVE)"
                ).fetchone()
                if copied == pages:
                    if pages <= complete:  # nothing committed since, or started over
                        break
                    complete = pages
                if attempt + 1 == CHECKPOINT_PASSES or self._closing.wait(
                    0.001 * 2**attempt
                ):
                    break
        except Exception:  # logged: it runs on a thread nobody awaits
            # The store's own connection checkpoints when the WAL outgrows SQLite's
            # bound; a failure to do it here loses nothing.
            _LOGGER.warning("The background checkpoint failed", exc_info=True)
        finally:
            self._running = False

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
