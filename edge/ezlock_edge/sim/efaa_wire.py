"""The simulated face and palm modules' own EF AA frame codec (FM22x host protocol).

Written from the host protocol's message layout, not from the driver's codec in
``ezlock_edge.framing.efaa``, so that a mistake in one shows up against the documents'
golden vectors instead of cancelling out:

``EF AA | message id (1) | size (2, high byte first) | data (size) | parity (1)``

where the parity is the XOR of every byte after the sync word (message id, both size
bytes and the data). Module-to-host messages are REPLY (00: ``command | result | data``)
and NOTE (01: ``note id | data``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import xor

from ezlock_edge.framing.errors import DecodeError
from ezlock_edge.framing.stream import StreamParser

SYNC = b"\xef\xaa"
REPLY = 0x00
NOTE = 0x01
MAX_SIZE = 4000


@dataclass(frozen=True, slots=True)
class Message:
    """One message as the module sees it."""

    message_id: int
    data: bytes


def message(message_id: int, data: bytes = b"") -> bytes:
    """Return the bytes of one message."""
    body = bytes((message_id, len(data) >> 8, len(data) & 0xFF)) + data
    return SYNC + body + bytes((reduce(xor, body, 0),))


def reply(command: int, result: int, data: bytes = b"") -> bytes:
    """Return a REPLY to ``command``."""
    return message(REPLY, bytes((command, result)) + data)


def note(note_id: int, data: bytes = b"") -> bytes:
    """Return a NOTE."""
    return message(NOTE, bytes((note_id,)) + data)


class MessageParser(StreamParser[Message]):
    """Find messages in what the host sends (resynchronising on damage)."""

    sync = SYNC
    header_size = 5

    def _frame_length(self, header: bytes) -> int:
        size = (header[3] << 8) | header[4]
        if size > MAX_SIZE:
            raise DecodeError(f"impossible size {size}")
        return 5 + size + 1

    def _decode(self, frame: bytes) -> Message:
        if reduce(xor, frame[2:-1], 0) != frame[-1]:
            raise DecodeError("parity mismatch")
        return Message(frame[2], frame[5:-1])
