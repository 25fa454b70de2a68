"""Paired API clients, known only by the hash of their token."""

from __future__ import annotations

from datetime import datetime
import sqlite3

from ezlock_edge.core.models import Client, ClientRole

from .columns import parse_required_time, parse_time, time_text
from .database import Database


class ClientTable(Database):
    """Paired API clients."""

    @staticmethod
    def _client(row: sqlite3.Row) -> Client:
        return Client(
            id=row["id"],
            name=row["name"],
            created=parse_required_time(row["created"]),
            last_seen=parse_time(row["last_seen"]),
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
                (client_id, name, token_hash, time_text(created), role.value),
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
                (time_text(seen), client_id),
            )
