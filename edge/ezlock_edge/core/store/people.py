"""The users and their credentials (deleting a user deletes its credentials, by cascade)."""

from __future__ import annotations

import sqlite3
from typing import Any

from ezlock_edge.core.models import Credential, CredentialType, Role, User

from .columns import (
    parse_required_time,
    parse_schedule,
    parse_time,
    schedule_text,
    time_text,
)
from .database import Database


class PeopleTables(Database):
    """Users and their credentials."""

    @staticmethod
    def _user(row: sqlite3.Row) -> User:
        return User(
            number=row["number"],
            name=row["name"],
            role=Role(row["role"]),
            valid_from=parse_time(row["valid_from"]),
            valid_until=parse_time(row["valid_until"]),
            created=parse_required_time(row["created"]),
            schedule=parse_schedule(row["schedule"]),
        )

    def list_users(self) -> list[User]:
        """Return every user by number."""
        rows = self._db.execute("SELECT * FROM users ORDER BY number")
        return [self._user(row) for row in rows]

    def count_users(self) -> int:
        """Return how many users exist."""
        return self.remember(
            "users",
            lambda: int(self._db.execute("SELECT COUNT(*) FROM users").fetchone()[0]),
        )

    def get_user(self, number: int) -> User | None:
        """Return user ``number`` or None."""

        def read() -> User | None:
            row = self._db.execute(
                "SELECT * FROM users WHERE number = ?", (number,)
            ).fetchone()
            return self._user(row) if row is not None else None

        # Every biometric match reads its user: kept until a row changes (frozen).
        return self.remember(("user", number), read)

    def free_user_number(self) -> int:
        """Return the lowest number no user has (L-21: from 001 upwards)."""
        row = self._db.execute(
            "SELECT MIN(n) FROM (SELECT 1 AS n UNION ALL SELECT number + 1 FROM users)"
            " WHERE n NOT IN (SELECT number FROM users)"
        ).fetchone()
        return int(row[0])

    def count_admins(self) -> int:
        """Return how many admins exist."""

        def read() -> int:
            row = self._db.execute(
                "SELECT COUNT(*) FROM users WHERE role = ?", (Role.ADMIN.value,)
            ).fetchone()
            return int(row[0])

        return self.remember("admins", read)

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
                    time_text(user.valid_from),
                    time_text(user.valid_until),
                    time_text(user.created),
                    schedule_text(user.schedule),
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
            created=parse_required_time(row["created"]),
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

        def read() -> Credential | None:
            row = self._db.execute(
                "SELECT * FROM credentials WHERE type = ? AND slot = ?",
                (kind.value, slot),
            ).fetchone()
            return self._credential(row) if row is not None else None

        # Every biometric match looks its slot up: kept until a row changes (frozen).
        return self.remember(("credential_by_slot", kind, slot), read)

    def count_credentials(
        self, kind: CredentialType, user_number: int | None = None
    ) -> int:
        """Return how many credentials of ``kind`` exist (for one user if given)."""
        query = "SELECT COUNT(*) FROM credentials WHERE type = ?"
        params: list[object] = [kind.value]
        if user_number is not None:
            query += " AND user_number = ?"
            params.append(user_number)
        return self.remember(
            ("credentials", kind, user_number),
            lambda: int(self._db.execute(query, params).fetchone()[0]),
        )

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
                    time_text(credential.created),
                ),
            )

    def delete_credential(self, credential_id: str) -> None:
        """Delete one credential."""
        with self.transaction() as db:
            db.execute("DELETE FROM credentials WHERE id = ?", (credential_id,))
