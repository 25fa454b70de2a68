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
            cursor = db.execute(
                "INSERT INTO events (time, ts, type, data, security, class_ord)"
                " VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(class_ord), 0) + 1"
                " FROM events WHERE security = ?))",
                (
                    time_text(time),
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

    def prune_events(self, keep: int, *, security: bool | None = None) -> None:
        """Keep the newest ``keep`` security events and the newest ``keep`` others.

        A flood of ordinary events (or of anything) therefore never pushes who opened
        the door, an alarm or an admin change out of the record. ``security``: prune
        that class only (the one an insert just grew; the other did not change).
        """
        classes = (0, 1) if security is None else (int(security),)
        with self.transaction() as db:
            for kind in classes:
                db.execute(
                    "DELETE FROM events WHERE security = ? AND class_ord <= "
                    "(SELECT COALESCE(MAX(class_ord), 0) FROM events WHERE security = ?)"
                    " - ?",
                    (kind, kind, keep),
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
