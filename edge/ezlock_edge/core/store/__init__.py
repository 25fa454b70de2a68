"""The lock's memory: one SQLite file (``database``: durable commits, group commit).

``Store`` is its typed access, one repository per table: ``meta``, ``people`` (users and
their credentials), ``visitors``, ``clients``, ``events``; only forgetting everything
(L-63) spans them all.
"""

from __future__ import annotations

from .clients import ClientTable
from .database import StoreError
from .events import EventTable
from .meta import MetaTable
from .people import PeopleTables
from .visitors import VisitorTable

__all__ = ["Store", "StoreError"]


class Store(MetaTable, PeopleTables, VisitorTable, ClientTable, EventTable):
    """Typed access to the lock's SQLite database."""

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
            self._forget_remembered()  # the meta values too (no triggers there)
