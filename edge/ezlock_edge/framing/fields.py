"""Field helpers shared by the message layouts of all three links."""

from __future__ import annotations

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
