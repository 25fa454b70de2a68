"""The per-device secret and the keyed hashes that keep passwords and codes out of the DB.

A stolen database alone yields nothing usable: every password, visitor code and Bluetooth
key is stored as HMAC-SHA256 under a 256-bit secret that lives in its own ``0600`` file.
Short numeric codes are guessable offline only with that secret.
"""

from __future__ import annotations

import hmac
from pathlib import Path
import secrets as _random

from ezlock_edge.files import tighten, write_private

SECRET_BYTES = 32


class DeviceSecret:
    """HMAC-SHA256 under the device key, with a purpose label so hashes never cross over."""

    def __init__(self, key: bytes) -> None:
        """Use ``key`` (at least 32 bytes)."""
        if len(key) < SECRET_BYTES:
            raise ValueError("device secret too short")
        self._key = key

    @classmethod
    def load_or_create(cls, path: Path) -> DeviceSecret:
        """Read the key file, creating it (mode 0600, written atomically) on first start."""
        try:
            secret = cls(path.read_bytes())
        except FileNotFoundError:
            pass
        else:
            tighten(path)
            return secret
        key = _random.token_bytes(SECRET_BYTES)
        write_private(path, key)
        return cls(key)

    def digest(self, purpose: str, value: str) -> bytes:
        """Return the keyed hash of ``value`` for ``purpose`` (``password``, ``temporary``, ...)."""
        message = purpose.encode() + b"\x00" + value.encode()
        return hmac.digest(self._key, message, "sha256")

    def matches(self, purpose: str, value: str, stored: bytes) -> bool:
        """Constant-time comparison of ``value`` against a stored hash."""
        return hmac.compare_digest(self.digest(purpose, value), stored)


def random_digits(count: int) -> str:
    """Return a code of ``count`` random digits from the OS's secure source."""
    return "".join(_random.choice("0123456789") for _ in range(count))


def random_id(prefix: str) -> str:
    """Return an opaque, unguessable object id such as ``cr_8e21...``."""
    return f"{prefix}_{_random.token_hex(8)}"
