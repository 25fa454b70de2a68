"""The simulated fingerprint module's own EF01 packet codec (R503 User Manual, ch. IV).

Written from the manual's "Data package format" table, not from the driver's codec in
``ezlock_edge.framing.ef01``, so that a mistake in one of them shows up as a failing
test against the manual's golden vectors instead of cancelling out:

``EF 01 | address (4) | package identifier (1) | package length (2) | content | sum (2)``

The package length counts the content and the two checksum bytes; the checksum is the
arithmetic sum of the identifier, both length bytes and the content, overflow omitted.
All multi-byte numbers are big-endian ("the high byte precedes the low byte").
"""

from __future__ import annotations

from dataclasses import dataclass

from ezlock_edge.framing.errors import DecodeError
from ezlock_edge.framing.stream import StreamParser

HEADER = b"\xef\x01"
COMMAND = 0x01
DATA = 0x02
ACK = 0x07
END_OF_DATA = 0x08
IDENTIFIERS = frozenset({COMMAND, DATA, ACK, END_OF_DATA})
MAX_LENGTH = 256 + 2
"""A data package carries at most 256 bytes of content (packet size code 3)."""
POWER_ON = b"\x55"
"""The byte an R503 sends on its own after power-on and after SoftRst (manual, HandShake)."""


@dataclass(frozen=True, slots=True)
class Package:
    """One EF01 package as the module sees it."""

    address: int
    identifier: int
    content: bytes


def checksum(identifier: int, content: bytes) -> int:
    """Sum of the identifier, both length bytes and the content, low 16 bits."""
    length = len(content) + 2
    return (identifier + (length >> 8) + (length & 0xFF) + sum(content)) & 0xFFFF


def package(address: int, identifier: int, content: bytes) -> bytes:
    """Return the bytes of one package."""
    length = len(content) + 2
    if length > MAX_LENGTH:
        raise ValueError(f"content of {len(content)} bytes is too long")
    total = checksum(identifier, content)
    return (
        HEADER
        + address.to_bytes(4, "big")
        + bytes((identifier, length >> 8, length & 0xFF))
        + content
        + bytes((total >> 8, total & 0xFF))
    )


def acknowledge(address: int, code: int, data: bytes = b"") -> bytes:
    """Return an acknowledge package: confirmation code, then the instruction's data."""
    return package(address, ACK, bytes((code,)) + data)


class PackageParser(StreamParser[Package]):
    """Find packages in what the host sends (resynchronising on damage)."""

    sync = HEADER
    header_size = 9

    def _frame_length(self, header: bytes) -> int:
        length = (header[7] << 8) | header[8]
        if not 2 <= length <= MAX_LENGTH:
            raise DecodeError(f"impossible package length {length}")
        return 9 + length

    def _decode(self, frame: bytes) -> Package:
        identifier = frame[6]
        content = frame[9:-2]
        if identifier not in IDENTIFIERS:
            raise DecodeError(f"unknown package identifier 0x{identifier:02X}")
        if checksum(identifier, content) != (frame[-2] << 8) | frame[-1]:
            raise DecodeError("checksum mismatch")
        return Package(int.from_bytes(frame[2:6], "big"), identifier, content)
