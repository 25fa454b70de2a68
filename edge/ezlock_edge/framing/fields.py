"""Field helpers shared by the message layouts of all three links."""

from __future__ import annotations

from enum import IntEnum
import struct

from .errors import DecodeError


def unpack_exact(layout: struct.Struct, data: bytes) -> tuple[int, ...]:
    """Unpack ``data``, which must be exactly ``layout.size`` bytes."""
    if len(data) != layout.size:
        raise DecodeError(f"expected {layout.size} bytes, got {len(data)}")
    return layout.unpack(data)


def encode_string(value: str) -> bytes:
    """Return a UTF-8 string prefixed by its length in bytes (u8)."""
    raw = value.encode()
    if len(raw) > 0xFF:
        raise ValueError("string longer than 255 bytes")
    return bytes((len(raw),)) + raw


def decode_string(data: bytes, offset: int) -> tuple[str, int]:
    """Read an :func:`encode_string` field at ``offset``; return it and the next offset."""
    if offset >= len(data):
        raise DecodeError("string length missing")
    end = offset + 1 + data[offset]
    if end > len(data):
        raise DecodeError("string runs past the end of the payload")
    try:
        return data[offset + 1 : end].decode(), end
    except UnicodeDecodeError:
        # No detail: the string may be a secret (a Bluetooth key code).
        raise DecodeError("string is not UTF-8") from None


def enum_field[E: IntEnum](kind: type[E], value: int) -> E:
    """Return ``kind(value)``; a value the enum does not define is a DecodeError."""
    try:
        return kind(value)
    except ValueError:
        raise DecodeError(f"invalid {kind.__name__} 0x{value:02X}") from None


def flag_field(value: int) -> bool:
    """Return a boolean byte (0 or 1); anything else is a DecodeError."""
    if value > 1:
        raise DecodeError(f"invalid boolean 0x{value:02X}")
    return bool(value)


def one_byte(data: bytes) -> int:
    """Return the single byte ``data`` must be."""
    return unpack_exact(_U8, data)[0]


def no_args(data: bytes) -> None:
    """Check that ``data`` is empty (a message without arguments)."""
    if data:
        raise DecodeError(f"{len(data)} unexpected bytes")


_U8 = struct.Struct(">B")
