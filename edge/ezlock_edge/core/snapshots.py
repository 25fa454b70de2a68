"""The snapshots the camera keeps for events (a doorbell ring, an unlock from outside).

One JPEG file per snapshot in the data directory (``0600`` files in a ``0700``
directory: faces at the door are personal data), named by the time it was taken and its
id, so the store needs no index and survives restarts as the event log does. The store
is bounded three ways: at most ``max_count`` snapshots, at most ``max_bytes`` together,
none older than ``max_age``; the oldest go first. Ids are random (unguessable), and the
API serves them only to a paired client.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import logging
from pathlib import Path
import re

from ezlock_edge.clock import Clock
from ezlock_edge.files import private_dir, write_private

_LOGGER = logging.getLogger(__name__)

MAX_COUNT = 200
MAX_BYTES = 32 * 1024 * 1024
MAX_AGE = timedelta(days=7)
_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"
_NAME = re.compile(r"^(\d{8}T\d{12}Z)_(sn_[0-9a-f]{16})\.jpg$")


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """One kept snapshot: its id, when it was taken, its size."""

    id: str
    taken: datetime
    size: int

    @property
    def filename(self) -> str:
        """Return the file's name in the store's directory."""
        return f"{self.taken.strftime(_TIME_FORMAT)}_{self.id}.jpg"


class SnapshotStore:
    """Bounded, persistent snapshots by id, oldest evicted first."""

    def __init__(
        self,
        directory: Path,
        clock: Clock,
        *,
        max_count: int = MAX_COUNT,
        max_bytes: int = MAX_BYTES,
        max_age: timedelta = MAX_AGE,
    ) -> None:
        """Keep snapshots in ``directory`` (created ``0700``), within the bounds."""
        self._directory = directory
        self._clock = clock
        self.max_count = max_count
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._kept: dict[str, SnapshotInfo] = {}  # oldest first
        private_dir(directory)
        self._load()

    @property
    def count(self) -> int:
        """Return how many snapshots are kept."""
        return len(self._kept)

    @property
    def size(self) -> int:
        """Return the kept snapshots' total size."""
        return sum(info.size for info in self._kept.values())

    async def add(self, snapshot_id: str, jpeg: bytes, taken: datetime) -> SnapshotInfo:
        """Keep ``jpeg`` as ``snapshot_id``, then evict what the bounds no longer allow.

        The file is written (and synced) in a thread: an SD card may take a while.
        """
        info = SnapshotInfo(snapshot_id, taken.astimezone(UTC), len(jpeg))
        if not _NAME.match(info.filename):
            raise ValueError(f"not a snapshot id: {snapshot_id!r}")
        await asyncio.to_thread(write_private, self._directory / info.filename, jpeg)
        self._kept[snapshot_id] = info
        self._kept = dict(sorted(self._kept.items(), key=lambda item: item[1].taken))
        self._evict()
        return info

    def get(self, snapshot_id: str) -> tuple[SnapshotInfo, bytes] | None:
        """Return a kept snapshot and its JPEG, None if unknown, evicted or expired."""
        self._evict()
        info = self._kept.get(snapshot_id)
        if info is None:
            return None
        try:
            return info, (self._directory / info.filename).read_bytes()
        except FileNotFoundError:
            del self._kept[snapshot_id]
            return None

    def clear(self) -> None:
        """Delete every snapshot (factory reset, L-63)."""
        for snapshot_id in list(self._kept):
            self._remove(snapshot_id)

    def _evict(self) -> None:
        oldest = self._clock.now() - self.max_age
        total = self.size
        for snapshot_id, info in list(self._kept.items()):
            if (
                info.taken >= oldest
                and len(self._kept) <= self.max_count
                and total <= self.max_bytes
            ):
                break
            total -= info.size
            self._remove(snapshot_id)

    def _remove(self, snapshot_id: str) -> None:
        info = self._kept.pop(snapshot_id)
        (self._directory / info.filename).unlink(missing_ok=True)

    def _load(self) -> None:
        found: list[SnapshotInfo] = []
        for path in self._directory.iterdir():
            if path.suffix == ".tmp":
                path.unlink(missing_ok=True)  # a write a power cut interrupted
                continue
            if (match := _NAME.match(path.name)) is None:
                continue
            taken = datetime.strptime(match[1], _TIME_FORMAT).replace(tzinfo=UTC)
            found.append(SnapshotInfo(match[2], taken, path.stat().st_size))
        self._kept = {info.id: info for info in sorted(found, key=lambda i: i.taken)}
        self._evict()
        _LOGGER.debug("Snapshot store: %d kept, %d bytes", self.count, self.size)
