"""Password rules (L-25) and the anti-peep matcher (L-41).

Anti-peep: a person may hide their password among extra digits typed before and after
it. The matcher therefore tries every contiguous 6-10 digit window of the entry against
every stored hash, always all of them, so the time taken does not reveal where (or
whether) a password sits in the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import hmac
import itertools

from .errors import PasswordPolicyError
from .limits import PASSWORD_DIGITS

ENTRY_MAX = 32  # our decision for L-41: at most 32 digits in all


def check_password(password: str) -> None:
    """Refuse a password that breaks L-25, naming the broken rule."""
    if not password.isascii() or not password.isdigit():
        raise PasswordPolicyError("digits_only")
    if len(password) not in PASSWORD_DIGITS:
        raise PasswordPolicyError("length")
    if len(set(password)) == 1:
        raise PasswordPolicyError("repeated")
    # A run in the keypad's order: 0 follows 9 (1234567890, 890123, 0987654321).
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(password)}
    if steps in ({1}, {9}):
        raise PasswordPolicyError("sequential")


def entry_windows(entry: str) -> list[str]:
    """Every contiguous window of 6-10 digits of a keypad entry (empty if over 32)."""
    if not entry.isdigit() or len(entry) > ENTRY_MAX:
        return []
    return [
        entry[start : start + size]
        for size in range(PASSWORD_DIGITS.minimum, PASSWORD_DIGITS.maximum + 1)
        for start in range(len(entry) - size + 1)
    ]


def match_entry[T](
    entry: str,
    candidates: Sequence[tuple[bytes, T]],
    digest: Callable[[str], bytes],
) -> list[T]:
    """Return the candidates whose hash equals the digest of some window of ``entry``.

    Every window is hashed and compared with every candidate; there is no early exit.
    """
    hits = [False] * len(candidates)
    for window in entry_windows(entry):
        window_hash = digest(window)
        for index, (stored, _) in enumerate(candidates):
            hits[index] |= hmac.compare_digest(window_hash, stored)
    return [item for hit, (_, item) in zip(hits, candidates, strict=True) if hit]
