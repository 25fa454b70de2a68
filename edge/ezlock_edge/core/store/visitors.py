"""Visitor credentials: temporary passwords (L-30) and Bluetooth keys (L-31)."""

from __future__ import annotations

import sqlite3

from ezlock_edge.core.models import VisitorCredential, VisitorKind

from .columns import (
    parse_required_time,
    parse_schedule,
    parse_time,
    schedule_text,
    time_text,
)
from .database import Database


class VisitorTable(Database):
    """Visitor credentials of both kinds."""

    @staticmethod
    def _visitor(row: sqlite3.Row) -> VisitorCredential:
        return VisitorCredential(
            id=row["id"],
            kind=VisitorKind(row["kind"]),
            name=row["name"],
            valid_from=parse_required_time(row["valid_from"]),
            valid_until=parse_required_time(row["valid_until"]),
            max_uses=row["max_uses"],
            uses=row["uses"],
            created=parse_required_time(row["created"]),
            secret_hash=row["secret_hash"],
            schedule=parse_schedule(row["schedule"]),
            revoked_at=parse_time(row["revoked_at"]),
            last_used_at=parse_time(row["last_used_at"]),
        )

    def list_visitors(self, kind: VisitorKind) -> list[VisitorCredential]:
        """Return every visitor credential of ``kind``, oldest first."""

        def read() -> tuple[VisitorCredential, ...]:
            rows = self._db.execute(
                "SELECT * FROM visitor_credentials WHERE kind = ? ORDER BY created, id",
                (kind.value,),
            )
            return tuple(self._visitor(row) for row in rows)

        return list(self.remember(("visitors", kind), read))

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
                    time_text(visitor.valid_from),
                    time_text(visitor.valid_until),
                    visitor.max_uses,
                    visitor.uses,
                    time_text(visitor.created),
                    schedule_text(visitor.schedule),
                    time_text(visitor.revoked_at),
                    time_text(visitor.last_used_at),
                ),
            )

    def delete_visitor(self, visitor_id: str) -> None:
        """Delete one visitor credential."""
        with self.transaction() as db:
            db.execute("DELETE FROM visitor_credentials WHERE id = ?", (visitor_id,))
