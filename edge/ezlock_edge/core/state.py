"""Announcing the lock's state: every change reaches subscribers, at most once per loop turn.

Many things change at once (an unlock moves the bolt, writes events, starts a
countdown); subscribers get one snapshot after all of it. The last operation, which
only events tell, is kept here too, and read back from the log after a restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging

from .events import Event
from .models import LastOperation, LockState

_LOGGER = logging.getLogger(__name__)

type StateCallback = Callable[[LockState], None]


class StateAnnouncer:
    """Coalesces state changes and hands each subscriber the new snapshot."""

    def __init__(self, snapshot: Callable[[], LockState]) -> None:
        """Build what is announced with ``snapshot``."""
        self._snapshot = snapshot
        self._callbacks: list[StateCallback] = []
        self._pending = False
        self.last_operation: LastOperation | None = None

    def subscribe(self, callback: StateCallback) -> Callable[[], None]:
        """Hear every state change; return the unsubscribe function."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)

    def changed(self) -> None:
        """Note a change; subscribers hear of it once this loop turn is over."""
        if self._pending or not self._callbacks:
            return
        self._pending = True
        asyncio.get_running_loop().call_soon(self._announce)

    def on_event(self, event: Event) -> None:
        """Follow the event log: an ``unlocked`` or ``locked`` is the last operation."""
        if event.type == "unlocked":
            self.last_operation = LastOperation(
                "unlocked",
                event.data["method"],
                None,
                event.data["user"],
                event.time,
                event.data.get("visitor"),  # absent in events from before schedules
            )
        elif event.type == "locked":
            self.last_operation = LastOperation(
                "locked",
                None,
                event.data["source"],
                None,
                event.time,
                event.data.get("visitor"),  # a Bluetooth key that locked (L-31)
            )
        self.changed()

    def _announce(self) -> None:
        self._pending = False
        state = self._snapshot()
        for callback in list(self._callbacks):
            try:
                callback(state)
            except Exception:
                _LOGGER.exception("State subscriber failed")
