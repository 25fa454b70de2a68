"""The controller's non-volatile record: a small JSON file on the flash file system.

Written rarely (a new block of event numbers, a changed setting), to a temporary file
that is then renamed over the old one: littlefs renames atomically, so a reset in the
middle of a write leaves the previous record.
"""

import json
import os

from .hal import Store


class FileStore(Store):
    """The record in ``path`` (``/ezlock.json`` on the Pico)."""

    def __init__(self, path: str) -> None:
        """Nothing is read until :meth:`load`."""
        self._path = path
        self.writes = 0

    def load(self) -> dict[str, int] | None:
        """Return the record, or None when missing or unreadable."""
        try:
            with open(self._path) as file:
                record = json.load(file)
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    def save(self, record: dict[str, int]) -> None:
        """Write ``record`` to a temporary file, then rename it into place."""
        temporary = self._path + ".new"
        with open(temporary, "w") as file:
            json.dump(record, file)
        os.rename(temporary, self._path)
        self.writes += 1


class MemoryStore(Store):
    """A record that lasts as long as the object (tests, a simulator without state)."""

    def __init__(self) -> None:
        """Empty."""
        self.record: dict[str, int] | None = None
        self.writes = 0

    def load(self) -> dict[str, int] | None:
        """Return a copy of the record."""
        return dict(self.record) if self.record is not None else None

    def save(self, record: dict[str, int]) -> None:
        """Keep a copy."""
        self.record = dict(record)
        self.writes += 1
