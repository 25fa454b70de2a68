"""Security lockout (L-42): 5 failures within 5 minutes lock keypad and sensors for 3.

The failure times and the end of a lockout are persisted (wall-clock times), so pulling
the power does not clear a lockout or forget recent failures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from ezlock_edge.clock import Clock

from .store import Store

FAILURE_LIMIT = 5
FAILURE_WINDOW = timedelta(minutes=5)
LOCKOUT_DURATION = timedelta(minutes=3)
_KEY = "lockout"


class Lockout:
    """Counts failed attempts in a sliding window and holds the lockout."""

    def __init__(
        self, store: Store, clock: Clock, on_expired: Callable[[], object]
    ) -> None:
        """Load the persisted state; ``on_expired`` runs when a lockout ends by itself."""
        self._store = store
        self._clock = clock
        self._on_expired = on_expired
        saved = store.get_meta(_KEY) or {}
        self._failures = [datetime.fromisoformat(t) for t in saved.get("failures", [])]
        until = saved.get("until")
        self._until = datetime.fromisoformat(until) if until else None
        self._timer: asyncio.Handle | None = None

    @property
    def until(self) -> datetime | None:
        """Return when the active lockout ends, or None if none is active."""
        if self._until is not None and self._clock.now() < self._until:
            return self._until
        return None

    @property
    def active(self) -> bool:
        """Return whether keypad and sensors are locked."""
        return self.until is not None

    def start(self) -> None:
        """Arm the expiry timer of a lockout that survived a restart."""
        if self._until is not None:
            if self.active:
                self._arm()
            else:
                self._until = None
                self._save()

    def stop(self) -> None:
        """Cancel the expiry timer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def record_failure(self) -> bool:
        """Count one failed attempt; return True if it started a lockout."""
        now = self._clock.now()
        self._failures = [t for t in self._failures if now - t < FAILURE_WINDOW]
        self._failures.append(now)
        started = len(self._failures) >= FAILURE_LIMIT
        if started:
            self._failures = []
            self._until = now + LOCKOUT_DURATION
            self._arm()
        self._save()
        return started

    def reset_failures(self) -> None:
        """Forget earlier failures after a success (the count is of consecutive ones)."""
        if self._failures:
            self._failures = []
            self._save()

    def clear(self) -> bool:
        """End a lockout and forget failures; return whether a lockout was active."""
        was_active = self.active
        self.stop()
        self._failures = []
        self._until = None
        self._save()
        return was_active

    def _arm(self) -> None:
        self.stop()
        assert self._until is not None  # noqa: S101 -- only armed with an end time
        delay = (self._until - self._clock.now()).total_seconds()
        self._timer = self._clock.call_later(delay, self._expire)

    def _expire(self) -> None:
        self._timer = None
        self._until = None
        self._save()
        self._on_expired()

    def _save(self) -> None:
        self._store.set_meta(
            _KEY,
            {
                "failures": [t.isoformat() for t in self._failures],
                "until": self._until.isoformat() if self._until else None,
            },
        )
