"""The code Home Assistant may ask before unlocking: kept only as a salted scrypt hash.

It is the integration's own safeguard (an options-flow setting), not a lock credential,
so it never reaches the lock. scrypt makes each guess against a stolen backup expensive.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

CODE_PATTERN: Final = r"^\d{4,10}$"
# Locking never needs the code, so an empty code also passes the lock entity's format.
CODE_FORMAT: Final = r"^(\d{4,10})?$"


def new_salt() -> str:
    """Return a fresh random salt, hex."""
    return secrets.token_hex(16)


def hash_code(code: str, salt: str) -> str:
    """Return the stored form of ``code`` (blocking: run it in the executor)."""
    return hashlib.scrypt(
        code.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1
    ).hex()


def verify_code(code: str, salt: str, expected: str) -> bool:
    """Whether ``code`` is the configured one (blocking, constant-time compare)."""
    return hmac.compare_digest(hash_code(code, salt), expected)
