"""Biometric identities and a module's template library.

A simulated finger, face or palm is a string id (``"alice-left-thumb"``). Modules never
keep the id: like real ones they keep a feature derived from it (a one-way hash, L-32),
so two presentations of the same id match and different ids never do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from . import statefile

CAPACITY = 50
"""Template slots per module (L-22)."""


def feature_of(identity: str) -> bytes:
    """Return the feature a module extracts from a presentation of ``identity``."""
    return hashlib.sha256(b"ezlock-sim-biometric:" + identity.encode()).digest()


class TemplateLibrary:
    """A module's flash: slot number → feature, persisted to ``path`` if given.

    A real module keeps its templates across power cycles, so a restarted simulator with
    a state directory still knows every face, palm and finger the lock core enrolled.
    """

    def __init__(self, path: Path | None = None, capacity: int = CAPACITY) -> None:
        """Load the library from ``path`` when it exists."""
        self.capacity = capacity
        self._path = path
        self._slots: dict[int, bytes] = {}
        if path is not None and (stored := statefile.load(path)) is not None:
            self._slots = {int(slot): bytes.fromhex(f) for slot, f in stored.items()}

    def slots(self) -> set[int]:
        """Occupied slots."""
        return set(self._slots)

    def __len__(self) -> int:
        """Count the stored templates."""
        return len(self._slots)

    def template(self, slot: int) -> bytes | None:
        """Return the feature stored in ``slot``, if any."""
        return self._slots.get(slot)

    def find(
        self, feature: bytes, start: int = 0, count: int | None = None
    ) -> int | None:
        """Find the slot within ``start`` .. ``start + count - 1`` holding ``feature``."""
        end = self.capacity if count is None else start + count
        for slot, stored in sorted(self._slots.items()):
            if start <= slot < end and stored == feature:
                return slot
        return None

    def free_slot(self) -> int | None:
        """Return the lowest empty slot, None when full."""
        return next((s for s in range(self.capacity) if s not in self._slots), None)

    def store(self, slot: int, feature: bytes) -> None:
        """Write ``feature`` into ``slot`` (overwriting it)."""
        if not 0 <= slot < self.capacity:
            raise IndexError(f"slot {slot} out of 0..{self.capacity - 1}")
        self._slots[slot] = feature
        self._save()

    def delete(self, start: int, count: int = 1) -> None:
        """Erase ``count`` slots from ``start``."""
        for slot in range(start, start + count):
            self._slots.pop(slot, None)
        self._save()

    def clear(self) -> None:
        """Erase every slot."""
        self._slots.clear()
        self._save()

    def _save(self) -> None:
        if self._path is not None:
            stored = {str(slot): f.hex() for slot, f in sorted(self._slots.items())}
            statefile.save(self._path, stored)
