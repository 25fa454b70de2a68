"""The pairing window (L-65): opened by a long press on SET, 3 minutes, one pairing.

A client proves it stands near the lock by sending the verification code from the
lock's label (L-64). Five wrong codes close the window, so the code cannot be guessed
online; the window is not persisted, so a restart closes it. While it is open the 0 key
blinks; its opening and closing are spoken and logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
import hmac
import logging

from ezlock_edge.clock import Clock
from ezlock_edge.tasks import BackgroundTasks
from ezlock_edge.vocabulary.mcu import Key, LedMode, Prompt

from .errors import InvalidVerificationCodeError, PairingClosedError
from .events import EventLog
from .panel import Panel

_LOGGER = logging.getLogger(__name__)

PAIRING_SECONDS = 180.0
MAX_WRONG_CODES = 5


class PairingWindow:
    """Open / closed, with its timer and its count of wrong codes."""

    def __init__(
        self,
        clock: Clock,
        verification_code: str,
        on_change: Callable[[bool], None],
    ) -> None:
        """``on_change(open)`` runs whenever the window opens or closes."""
        self._clock = clock
        self._code = verification_code.strip().upper().encode()
        self._on_change = on_change
        self._deadline: float | None = None
        self._timer: asyncio.Handle | None = None
        self._wrong = 0

    @property
    def is_open(self) -> bool:
        """Return whether a client may pair now."""
        return self._deadline is not None

    @property
    def until(self) -> datetime | None:
        """Return when the open window closes by itself."""
        if self._deadline is None:
            return None
        remaining = self._deadline - self._clock.monotonic()
        return self._clock.now() + timedelta(seconds=remaining)

    def open(self) -> None:
        """Open (or restart) the 3-minute window."""
        was_open = self.is_open
        self._cancel_timer()
        self._deadline = self._clock.monotonic() + PAIRING_SECONDS
        self._wrong = 0
        self._timer = self._clock.call_later(PAIRING_SECONDS, self.close)
        if not was_open:
            self._on_change(True)

    def close(self) -> None:
        """Close the window (on timeout, after a pairing, or after five wrong codes)."""
        self._cancel_timer()
        if self._deadline is not None:
            self._deadline = None
            self._on_change(False)

    def consume(self, verification_code: str) -> None:
        """Spend the window on a correct code, or count a wrong one."""
        if not self.is_open:
            raise PairingClosedError("The pairing window is closed")
        given = verification_code.strip().upper().encode()
        if not hmac.compare_digest(given, self._code):
            self._wrong += 1
            if self._wrong >= MAX_WRONG_CODES:
                self.close()
            raise InvalidVerificationCodeError("Wrong verification code")
        self.close()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class PairingAnnouncer:
    """Makes the window's opening and closing heard, seen and logged (L-65)."""

    def __init__(self, events: EventLog, panel: Panel) -> None:
        """Log to ``events``, speak and blink on ``panel``."""
        self._events = events
        self._panel = panel
        self._tasks = BackgroundTasks(_LOGGER)

    def __call__(self, opened: bool) -> None:
        """Announce that the window opened (or closed): the ``on_change`` of the window."""
        self._events.append("pairing", status="opened" if opened else "closed")
        self._panel.stand(Key.DIGIT_0, opened)
        self._tasks.spawn(self._opened() if opened else self._closed())

    async def stop(self) -> None:
        """Cancel announcements still being spoken."""
        await self._tasks.cancel()

    async def _opened(self) -> None:
        await self._panel.say(Prompt.PAIRING_MODE)
        await self._panel.light([Key.DIGIT_0], LedMode.BLINK)

    async def _closed(self) -> None:
        await self._panel.light([Key.DIGIT_0], LedMode.OFF)
        await self._panel.say(Prompt.PAIRING_ENDED)
