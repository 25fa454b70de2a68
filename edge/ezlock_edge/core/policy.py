"""Password rules (L-25) and the anti-peep matcher (L-41).

Anti-peep: a person may hide their password among extra digits typed before and after
it. The matcher therefore computes the keyed hash of every contiguous 6-10 digit window
of the entry, always all of them, then looks every stored hash up among them, always all
of them: the work depends only on the entry's length and the number of stored hashes,
never on where (or whether) a password sits in the entry. A lookup by keyed hash leaks
nothing useful: the hash is secret (it takes the device key), so which bucket of the set
it falls into says nothing about a digit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

    Every window is hashed once and every candidate looked up once; there is no early
    exit (so the cost is one hash per window plus one set lookup per candidate, where
    comparing each window with each candidate cost windows x candidates comparisons).
    """
    window_hashes = {digest(window) for window in entry_windows(entry)}
    return [item for stored, item in candidates if stored in window_hashes]
