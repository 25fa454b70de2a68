"""The lock's memory: one SQLite file in WAL mode, durable at every commit it reports.

Every public method is one transaction, or joins the caller's ``transaction()`` so that a
change and the event that reports it are committed together. A commit is made durable
(the WAL fsynced) before the store returns from it, so whatever the lock acknowledged
survives a power cut; callbacks registered with :meth:`Store.after_commit` (the event
log's announcements) run only once their commit is durable.

Group commit: inside :meth:`Store.group_commit` (this task only), each transaction is a
savepoint of one SQLite transaction that the group leaves open, so a window of events
writes its pages to the WAL once, not once per event; leaving the block commits it and
waits for one sync at the end of the event loop's turn, which covers every group that
ended in that turn (the unlock's event and the bolt reports that came with the MCU's
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

The calls run inline on the event loop on purpose: each transaction touches a handful of
rows (the event log prunes one row per append, reads are bounded by ``limit``), and one
connection used from one thread keeps every decision atomic without locks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
import json
import os
from pathlib import Path
import sqlite3
from typing import Any

from ezlock_edge.files import private_file, tighten

from .models import (
    Client,
    ClientRole,
    Credential,
    CredentialType,
    JsonDict,
    Role,
    User,
    VisitorCredential,
    VisitorKind,
)
from .schedule import Schedule
from .schema import MIGRATIONS, SCHEMA_VERSION


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


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _parse_required(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _schedule(value: str | None) -> Schedule:
    return Schedule.from_list(json.loads(value) if value is not None else None)


def _schedule_text(schedule: Schedule) -> str | None:
    windows = schedule.as_list()
    return json.dumps(windows) if windows is not None else None


class Store:
    """Typed access to the lock's SQLite database."""

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
        self._migrate()

    def close(self) -> None:
        """Sync what is pending, close the connection (SQLite checkpoints the WAL)."""
        self._commit_open()
        self.sync()
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
                self._db.execute("COMMIT")
                self._pending.extend(self._after_commit)
                self._after_commit.clear()
                self._unsynced = True
                self.sync()

    def _lose_open(self) -> None:
        """Forget the open transaction SQLite rolled back; its groups will raise."""
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
            loop.call_soon(self._end_of_turn)
        await asyncio.shield(self._turn_sync)

    def _end_of_turn(self) -> None:
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
        """Make every commit so far durable, then run their callbacks in commit order."""
        if self._unsynced:
            if (wal := self._wal_descriptor()) is not None:
                os.fsync(wal)
            self._unsynced = False
        while self._pending:
            callbacks, self._pending = self._pending, []
            for callback in callbacks:
                callback()

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

    # meta: small JSON values (settings, lockout, last MCU event)

    def get_meta(self, key: str) -> Any:
        """Return the JSON value stored under ``key``, or None."""
        row = self._db.execute(
            "SELECT value FROM meta WHERE key = ?", (key,)
        ).fetchone()
        return json.loads(row[0]) if row is not None else None

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key``."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    # users

    @staticmethod
    def _user(row: sqlite3.Row) -> User:
        return User(
            number=row["number"],
            name=row["name"],
            role=Role(row["role"]),
            valid_from=_parse(row["valid_from"]),
            valid_until=_parse(row["valid_until"]),
            created=_parse_required(row["created"]),
            schedule=_schedule(row["schedule"]),
        )

    def list_users(self) -> list[User]:
        """Return every user by number."""
        rows = self._db.execute("SELECT * FROM users ORDER BY number")
        return [self._user(row) for row in rows]

    def get_user(self, number: int) -> User | None:
        """Return user ``number`` or None."""
        row = self._db.execute(
            "SELECT * FROM users WHERE number = ?", (number,)
        ).fetchone()
        return self._user(row) if row is not None else None

    def free_user_number(self) -> int:
        """Return the lowest number no user has (L-21: from 001 upwards)."""
        row = self._db.execute(
            "SELECT MIN(n) FROM (SELECT 1 AS n UNION ALL SELECT number + 1 FROM users)"
            " WHERE n NOT IN (SELECT number FROM users)"
        ).fetchone()
        return int(row[0])

    def count_admins(self) -> int:
        """Return how many admins exist."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM users WHERE role = ?", (Role.ADMIN.value,)
        ).fetchone()
        return int(row[0])

    def put_user(self, user: User) -> None:
        """Insert or replace a user (its credentials stay)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO users"
                " (number, name, role, valid_from, valid_until, created, schedule)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(number) DO UPDATE SET"
                " name = excluded.name, role = excluded.role,"
                " valid_from = excluded.valid_from, valid_until = excluded.valid_until,"
                " schedule = excluded.schedule",
                (
                    user.number,
                    user.name,
                    user.role.value,
                    _time(user.valid_from),
                    _time(user.valid_until),
                    _time(user.created),
                    _schedule_text(user.schedule),
                ),
            )

    def delete_user(self, number: int) -> None:
        """Delete a user and (by cascade) their credentials."""
        with self.transaction() as db:
            db.execute("DELETE FROM users WHERE number = ?", (number,))

    # credentials

    @staticmethod
    def _credential(row: sqlite3.Row) -> Credential:
        return Credential(
            id=row["id"],
            user_number=row["user_number"],
            type=CredentialType(row["type"]),
            slot=row["slot"],
            duress=bool(row["duress"]),
            created=_parse_required(row["created"]),
            secret_hash=row["secret_hash"],
        )

    def list_credentials(
        self,
        user_number: int | None = None,
        kind: CredentialType | None = None,
    ) -> list[Credential]:
        """Return credentials, optionally of one user and / or one type."""
        query = "SELECT * FROM credentials WHERE 1 = 1"
        params: list[Any] = []
        if user_number is not None:
            query += " AND user_number = ?"
            params.append(user_number)
        if kind is not None:
            query += " AND type = ?"
            params.append(kind.value)
        rows = self._db.execute(query + " ORDER BY created, id", params)
        return [self._credential(row) for row in rows]

    def get_credential(self, credential_id: str) -> Credential | None:
        """Return one credential or None."""
        row = self._db.execute(
            "SELECT * FROM credentials WHERE id = ?", (credential_id,)
        ).fetchone()
        return self._credential(row) if row is not None else None

    def password_hashes(self) -> list[tuple[bytes, str]]:
        """Return ``(secret_hash, id)`` of every password, oldest first (L-41 matcher)."""
        rows = self._db.execute(
            "SELECT secret_hash, id FROM credentials WHERE type = ?"
            " AND secret_hash IS NOT NULL ORDER BY created, id",
            (CredentialType.PASSWORD.value,),
        )
        return [(row[0], row[1]) for row in rows]

    def credential_by_slot(self, kind: CredentialType, slot: int) -> Credential | None:
        """Return the credential holding a module template slot, or None."""
        row = self._db.execute(
            "SELECT * FROM credentials WHERE type = ? AND slot = ?", (kind.value, slot)
        ).fetchone()
        return self._credential(row) if row is not None else None

    def count_credentials(
        self, kind: CredentialType, user_number: int | None = None
    ) -> int:
        """Return how many credentials of ``kind`` exist (for one user if given)."""
        return len(self.list_credentials(user_number, kind))

    def put_credential(self, credential: Credential) -> None:
        """Insert or replace a credential."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO credentials"
                " (id, user_number, type, slot, secret_hash, duress, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    credential.id,
                    credential.user_number,
                    credential.type.value,
                    credential.slot,
                    credential.secret_hash,
                    int(credential.duress),
                    _time(credential.created),
                ),
            )

    def delete_credential(self, credential_id: str) -> None:
        """Delete one credential."""
        with self.transaction() as db:
            db.execute("DELETE FROM credentials WHERE id = ?", (credential_id,))

    # visitor credentials: temporary passwords (L-30) and Bluetooth keys (L-31)

    @staticmethod
    def _visitor(row: sqlite3.Row) -> VisitorCredential:
        return VisitorCredential(
            id=row["id"],
            kind=VisitorKind(row["kind"]),
            name=row["name"],
            valid_from=_parse_required(row["valid_from"]),
            valid_until=_parse_required(row["valid_until"]),
            max_uses=row["max_uses"],
            uses=row["uses"],
            created=_parse_required(row["created"]),
            secret_hash=row["secret_hash"],
            schedule=_schedule(row["schedule"]),
            revoked_at=_parse(row["revoked_at"]),
            last_used_at=_parse(row["last_used_at"]),
        )

    def list_visitors(self, kind: VisitorKind) -> list[VisitorCredential]:
        """Return every visitor credential of ``kind``, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM visitor_credentials WHERE kind = ? ORDER BY created, id",
            (kind.value,),
        )
        return [self._visitor(row) for row in rows]

    def visitor_hashes(self, kind: VisitorKind) -> list[tuple[bytes, str]]:
        """Return ``(secret_hash, id)`` of every visitor of ``kind``, oldest first (L-41)."""
        rows = self._db.execute(
            "SELECT secret_hash, id FROM visitor_credentials WHERE kind = ?"
            " ORDER BY created, id",
            (kind.value,),
        )
        return [(row[0], row[1]) for row in rows]

    def get_visitor(self, visitor_id: str) -> VisitorCredential | None:
        """Return one visitor credential or None."""
        row = self._db.execute(
            "SELECT * FROM visitor_credentials WHERE id = ?", (visitor_id,)
        ).fetchone()
        return self._visitor(row) if row is not None else None

    def put_visitor(self, visitor: VisitorCredential) -> None:
        """Insert or replace a visitor credential."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO visitor_credentials (id, kind, name,"
                " secret_hash, valid_from, valid_until, max_uses, uses, created,"
                " schedule, revoked_at, last_used_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    visitor.id,
                    visitor.kind.value,
                    visitor.name,
                    visitor.secret_hash,
                    _time(visitor.valid_from),
                    _time(visitor.valid_until),
                    visitor.max_uses,
                    visitor.uses,
                    _time(visitor.created),
                    _schedule_text(visitor.schedule),
                    _time(visitor.revoked_at),
                    _time(visitor.last_used_at),
                ),
            )

    def delete_visitor(self, visitor_id: str) -> None:
        """Delete one visitor credential."""
        with self.transaction() as db:
            db.execute("DELETE FROM visitor_credentials WHERE id = ?", (visitor_id,))

    # paired API clients (only token hashes)

    @staticmethod
    def _client(row: sqlite3.Row) -> Client:
        return Client(
            id=row["id"],
            name=row["name"],
            created=_parse_required(row["created"]),
            last_seen=_parse(row["last_seen"]),
            token_hash=row["token_hash"],
            role=ClientRole(row["role"]),
        )

    def add_client(
        self,
        client_id: str,
        name: str,
        token_hash: str,
        created: datetime,
        role: ClientRole = ClientRole.ADMIN,
    ) -> Client:
        """Remember a paired client by the hash of its token."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO clients (id, name, token_hash, created, role)"
                " VALUES (?, ?, ?, ?, ?)",
                (client_id, name, token_hash, _time(created), role.value),
            )
        return Client(client_id, name, created, None, token_hash, role)

    def list_clients(self) -> list[Client]:
        """Return every paired client, oldest first."""
        rows = self._db.execute("SELECT * FROM clients ORDER BY created, id")
        return [self._client(row) for row in rows]

    def find_client(self, token_hash: str) -> Client | None:
        """Return the client whose token hashes to ``token_hash``, or None."""
        row = self._db.execute(
            "SELECT * FROM clients WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        return self._client(row) if row is not None else None

    def revoke_client(self, client_id: str) -> bool:
        """Forget a client; return whether it existed."""
        with self.transaction() as db:
            cursor = db.execute("DELETE FROM clients WHERE id = ?", (client_id,))
            return cursor.rowcount > 0

    def touch_client(self, client_id: str, seen: datetime) -> None:
        """Record when a client was last seen."""
        with self.transaction() as db:
            db.execute(
                "UPDATE clients SET last_seen = ? WHERE id = ?",
                (_time(seen), client_id),
            )

    # event log rows (ezlock_edge.core.events gives them meaning)

    def insert_event(
        self, time: datetime, kind: str, data: JsonDict, *, security: bool = False
    ) -> int:
        """Append one event row (a security event or an ordinary one); return its seq."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO events (time, ts, type, data, security, class_ord)"
                " VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(class_ord), 0) + 1"
                " FROM events WHERE security = ?))",
                (
                    _time(time),
                    time.timestamp(),
                    kind,
                    json.dumps(data),
                    int(security),
                    int(security),
                ),
            )
            seq = cursor.lastrowid
            assert seq is not None  # noqa: S101 -- an INSERT always sets it
            return seq

    def prune_events(self, keep: int) -> None:
        """Keep the newest ``keep`` security events and the newest ``keep`` others.

        A flood of ordinary events (or of anything) therefore never pushes who opened
        the door, an alarm or an admin change out of the record.
        """
        with self.transaction() as db:
            for security in (0, 1):
                (newest,) = db.execute(
                    "SELECT COALESCE(MAX(class_ord), 0) FROM events WHERE security = ?",
                    (security,),
                ).fetchone()
                db.execute(
                    "DELETE FROM events WHERE security = ? AND class_ord <= ?",
                    (security, newest - keep),
                )

    def last_seq(self) -> int:
        """Return the newest seq ever written (0 if none), also after pruning."""
        row = self._db.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'events'"
        ).fetchone()
        return int(row[0]) if row is not None else 0

    def event_rows(
        self,
        since: int | None,
        limit: int,
        start: datetime | None = None,
        end: datetime | None = None,
        before: int | None = None,
        newest_first: bool = False,
    ) -> list[tuple[int, str, str, str]]:
        """Return ``(seq, time, type, data)`` rows between two seqs, in a time range.

        Rows lie above ``since`` and below ``before``; the oldest come first, or the
        newest with ``newest_first``.
        """
        query = "SELECT seq, time, type, data FROM events WHERE seq > ?"
        params: list[Any] = [since or 0]
        if before is not None:
            query += " AND seq < ?"
            params.append(before)
        if start is not None:
            query += " AND ts >= ?"
            params.append(start.timestamp())
        if end is not None:
            query += " AND ts < ?"
            params.append(end.timestamp())
        query += (
            " ORDER BY seq DESC LIMIT ?" if newest_first else " ORDER BY seq LIMIT ?"
        )
        params.append(limit)
        return [tuple(row) for row in self._db.execute(query, params)]

    def latest_event_row(
        self, kinds: tuple[str, ...]
    ) -> tuple[int, str, str, str] | None:
        """Return the newest ``(seq, time, type, data)`` row of one of ``kinds``."""
        marks = ", ".join("?" * len(kinds))
        row = self._db.execute(
            f"SELECT seq, time, type, data FROM events WHERE type IN ({marks})"  # noqa: S608 -- placeholders only
            " ORDER BY seq DESC LIMIT 1",
            kinds,
        ).fetchone()
        return tuple(row) if row is not None else None

    def wipe(self) -> None:
        """L-63: forget every user, credential, visitor, client, setting and event.

        The event log names users and their comings and goings, so it goes too; its seq
        numbers keep increasing (AUTOINCREMENT keeps the last one in sqlite_sequence),
        so a client resuming from an old seq misses nothing but what was wiped. The
        caller appends the factory reset itself in the same transaction.
        """
        with self.transaction() as db:
            for table in (
                "events",
                "credentials",
                "users",
                "visitor_credentials",
                "clients",
                "meta",
            ):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 -- fixed names
