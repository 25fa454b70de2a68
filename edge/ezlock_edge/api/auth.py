"""Bearer tokens: how they are made, how they are checked, and how guessing is slowed.

A token is 256 random bits, shown to the client once at pairing. The lock keeps only its
SHA-256: with that much entropy a salt or a slow hash adds nothing, and a stolen database
(or Home Assistant backup of the *lock*) yields no usable token.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
import hashlib
import math
import secrets

from ezlock_edge.clock import Clock
from ezlock_edge.http.request import Request

from .errors import ApiError

TOKEN_BYTES = 32


def new_token() -> str:
    """Make a fresh bearer token (43 URL-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """Hash a token into what the lock stores and looks clients up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(request: Request) -> str | None:
    """Return the ``Authorization: Bearer`` token, or None when there is no header.

    A header that is present but not a bearer token is refused, not ignored, so a client
    with a broken header learns why it is unauthorised.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    if sum(name == b"authorization" for name, _ in request.headers.raw) > 1:
        # Which one counts would be a guess (a proxy in front may take the last).
        raise ApiError(401, "unauthorized", "Send one Authorization header")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "Expected 'Authorization: Bearer <token>'")
    return token


@dataclass(slots=True)
class _Failures:
    count: int
    blocked_until: float


class AuthThrottle:
    """Slows down an address that keeps presenting bad tokens.

    The first ``free_failures`` mistakes cost nothing (a client with a stale token after
    a revocation). After that each failure blocks the address for twice as long as the
    previous one, 1 s, 2 s, 4 s … up to ``max_block``. A success forgets the address.
    Only ``max_addresses`` addresses are remembered, so a flood of spoofed sources cannot
    grow memory; the oldest are forgotten first.
    """

    def __init__(
        self,
        clock: Clock,
        free_failures: int = 2,
        max_block: float = 60.0,
        max_addresses: int = 4096,
    ) -> None:
        """Use ``clock`` for the block windows."""
        self._clock = clock
        self._free = free_failures
        self._max_block = max_block
        self._max_addresses = max_addresses
        self._by_address: OrderedDict[str, _Failures] = OrderedDict()

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until ``address`` may try again, or None if it may now."""
        failures = self._by_address.get(address)
        if failures is None:
            return None
        remaining = failures.blocked_until - self._clock.monotonic()
        return math.ceil(remaining) if remaining > 0 else None

    def check(self, address: str) -> None:
        """Refuse with ``429 too_many_attempts`` while ``address`` is blocked."""
        retry = self.retry_after(address)
        if retry is not None:
            raise ApiError(
                429,
                "too_many_attempts",
                f"Too many bad tokens from this address; retry in {retry} s",
                headers={"Retry-After": str(retry)},
            )

    def failure(self, address: str) -> None:
        """Count a bad token from ``address``."""
        failures = self._by_address.pop(address, None) or _Failures(0, 0.0)
        failures.count += 1
        excess = failures.count - self._free
        if excess > 0:
            block = min(2.0 ** (excess - 1), self._max_block)
            failures.blocked_until = self._clock.monotonic() + block
        self._by_address[address] = failures
        while len(self._by_address) > self._max_addresses:
            self._by_address.popitem(last=False)

    def success(self, address: str) -> None:
        """Forget ``address``'s failures."""
        self._by_address.pop(address, None)


class WriteRateLimit:
    """At most ``limit`` guarded writes per client in any ``window`` seconds.

    Setting a password answers ``duplicate_credential`` when another user has it, so
    unlimited writes would let one token test ~1,000 PINs a second (issue #11.4). Every
    attempt counts, accepted or refused.
    """

    def __init__(self, clock: Clock, limit: int = 10, window: float = 60.0) -> None:
        """Use ``clock`` for the window."""
        self._clock = clock
        self._limit = limit
        self._window = window
        self._attempts: dict[str, list[float]] = {}

    def check(self, client_id: str) -> None:
        """Count one write by ``client_id``; ``429 too_many_requests`` past the limit."""
        now = self._clock.monotonic()
        recent = [
            t for t in self._attempts.get(client_id, []) if now - t < self._window
        ]
        if len(recent) >= self._limit:
            self._attempts[client_id] = recent
            retry = max(1, math.ceil(recent[0] + self._window - now))
            raise ApiError(
                429,
                "too_many_requests",
                f"At most {self._limit} of these a minute; retry in {retry} s",
                headers={"Retry-After": str(retry)},
            )
        recent.append(now)
        self._attempts[client_id] = recent
