"""Events waiting for the host's EVENT_ACK, and their numbers (kept in flash).

The buffer is one preallocated ``bytearray`` of fixed-size slots (no allocation per
event, bounded memory): a full buffer drops its oldest event, which the host sees as a
gap in the numbers. ``link.py`` sends the oldest *n* (its window) and drops them when
the host acknowledges them, so events in flight need no storage of their own.
"""

from .hal import Store, const

SLOT_SIZE = const(40)
"""Bytes per event: length, number (u32), kind, up to 34 bytes of data."""
MAX_EVENT_DATA = const(SLOT_SIZE - 6)
NUMBER_BLOCK = const(256)
"""Event numbers reserved per flash write: a restart skips the rest of the block."""
_MAX_NUMBER = const(0xFFFFFFFF)


class EventQueue:
    """Unacknowledged events, oldest first, in a ring of ``capacity`` slots."""

    def __init__(self, capacity: int) -> None:
        """Allocate the whole ring now."""
        self.capacity = capacity
        self._ring = bytearray(capacity * SLOT_SIZE)
        self._head = 0  # slot of the oldest event
        self.count = 0
        self.dropped = 0

    def push(self, number: int, kind: int, data: bytes) -> None:
        """Append an event; a full ring forgets its oldest one."""
        if len(data) > MAX_EVENT_DATA:
            raise ValueError("event data too long")
        if self.count == self.capacity:
            self._head = (self._head + 1) % self.capacity
            self.count -= 1
            self.dropped += 1
        offset = ((self._head + self.count) % self.capacity) * SLOT_SIZE
        ring = self._ring
        ring[offset] = 5 + len(data)
        ring[offset + 1] = (number >> 24) & 0xFF
        ring[offset + 2] = (number >> 16) & 0xFF
        ring[offset + 3] = (number >> 8) & 0xFF
        ring[offset + 4] = number & 0xFF
        ring[offset + 5] = kind
        ring[offset + 6 : offset + 6 + len(data)] = data
        self.count += 1

    def payload(self, index: int = 0) -> bytes:
        """EVENT payload of the ``index``-th oldest event: number, kind, data."""
        offset = ((self._head + index) % self.capacity) * SLOT_SIZE
        return bytes(self._ring[offset + 1 : offset + 1 + self._ring[offset]])

    def number(self, index: int = 0) -> int:
        """Event number of the ``index``-th oldest event."""
        offset = ((self._head + index) % self.capacity) * SLOT_SIZE + 1
        ring = self._ring
        return (
            (ring[offset] << 24)
            | (ring[offset + 1] << 16)
            | (ring[offset + 2] << 8)
            | ring[offset + 3]
        )

    def drop(self, count: int) -> None:
        """Forget the ``count`` oldest events (the host acknowledged them)."""
        count = min(count, self.count)
        self._head = (self._head + count) % self.capacity
        self.count -= count


class EventNumbers:
    """u32 event numbers, never reused: blocks of 256 are reserved in the store.

    Flash is written once per 256 events (and wears out after about 100 000 erases of
    a sector), so the counter is not written per event: a restarted controller
    continues after its reserved block. Numbers may jump, never repeat.
    """

    def __init__(self, store: Store, record: dict[str, int]) -> None:
        """Continue from ``record`` (what ``store`` held at boot)."""
        self._store = store
        self._record = record
        self._next = record.get("next", 1)
        self._reserved = self._next

    @property
    def next(self) -> int:
        """The number the next event will get."""
        return self._next

    def take(self) -> int:
        """Return the next number (1 after 2**32 - 1)."""
        number = self._next
        self._next = number + 1 if number < _MAX_NUMBER else 1
        if number >= self._reserved or number < self._reserved - NUMBER_BLOCK:
            self._reserved = min(number + NUMBER_BLOCK, _MAX_NUMBER)
            self._record["next"] = self._reserved
            self._store.save(self._record)
        return number
