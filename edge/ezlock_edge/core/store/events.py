"""The event log's rows; ezlock_edge.core.events gives them meaning (and prunes them)."""

from __future__ import annotations

from datetime import datetime
import json
from typing import Any

from ezlock_edge.core.models import JsonDict

from .columns import time_text
from .database import Database


class EventTable(Database):
    """The event log's rows, by seq."""

    def insert_event(
        self, time: datetime, kind: str, data: JsonDict, *, security: bool = False
    ) -> int:
        """Append one event row (a security event or an ordinary one); return its seq."""
        with self.transaction() as db:
            ordinal = self._newest_ordinal(security) + 1
            cursor = db.execute(
                "INSERT INTO events (time, ts, type, data, security, class_ord)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    time_text(time),
                    time.timestamp(),
                    kind,
                    json.dumps(data),
                    int(security),
                    ordinal,
                ),
            )
            seq = cursor.lastrowid
            assert seq is not None  # noqa: S101 -- an INSERT always sets it
            self.remember_value(("events_newest", security), ordinal)
            if self._oldest_ordinal(security) is None:
                self.remember_value(("events_oldest", security), ordinal)
            return seq

    def prune_events(self, keep: int, *, security: bool | None = None) -> None:
        """Keep the newest ``keep`` security events and the newest ``keep`` others.

        A flood of ordinary events (or of anything) therefore never pushes who opened
        the door, an alarm or an admin change out of the record. ``security``: prune
        that class only (the one an insert just grew; the other did not change). A
        class within ``keep`` costs no statement: its oldest and newest ``class_ord``
        are remembered as this connection writes them (issue #18).
        """
        classes = (False, True) if security is None else (security,)
        with self.transaction() as db:
            for kind in classes:
                oldest = self._oldest_ordinal(kind)
                last = self._newest_ordinal(kind) - keep  # the newest one to delete
                if oldest is None or last < oldest:
                    continue
                db.execute(
                    "DELETE FROM events WHERE security = ? AND class_ord <= ?",
                    (int(kind), last),
                )
                self.remember_value(("events_oldest", kind), last + 1)

    def _newest_ordinal(self, security: bool) -> int:
        """Return the newest ``class_ord`` of the class (0 if it keeps none)."""

        def read() -> int:
            row = self._db.execute(
                "SELECT COALESCE(MAX(class_ord), 0) FROM events WHERE security = ?",
                (int(security),),
            ).fetchone()
            return int(row[0])

        return self.remember(("events_newest", security), read)

    def _oldest_ordinal(self, security: bool) -> int | None:
        """Return the oldest ``class_ord`` the class keeps (None if it keeps none)."""

        def read() -> int | None:
            row = self._db.execute(
                "SELECT MIN(class_ord) FROM events WHERE security = ?",
                (int(security),),
            ).fetchone()
            return None if row[0] is None else int(row[0])

        return self.remember(("events_oldest", security), read)

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
