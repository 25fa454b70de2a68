"""The meta table: small JSON values under a key (settings, lockout, the last MCU event)."""

from __future__ import annotations

import json
from typing import Any

from .database import Database


class MetaTable(Database):
    """Small JSON values by key."""

    def get_meta(self, key: str) -> Any:
        """Return the JSON value stored under ``key``, or None (a fresh object).

        The text is remembered as :meth:`set_meta` wrote it (every MCU event reads
        the number of the last one handled); a rollback forgets it, as it forgets all
        that :meth:`~.Database.remember` keeps.
        """

        def read() -> str | None:
            row = self._db.execute(
                "SELECT value FROM meta WHERE key = ?", (key,)
            ).fetchone()
            return str(row[0]) if row is not None else None

        text = self.remember(("meta", key), read)
        return json.loads(text) if text is not None else None

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key``."""
        text = json.dumps(value)
        with self.transaction() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, text),
            )
            self.remember_value(("meta", key), text)
