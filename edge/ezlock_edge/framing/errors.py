"""Errors raised when bytes do not form a valid frame or message."""

from __future__ import annotations


class DecodeError(ValueError):
    """A frame or payload is malformed: wrong sync, length, checksum or field value."""
