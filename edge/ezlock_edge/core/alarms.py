"""The lock's alarms: raised and cleared as events, the siren, the tamper timer.

An alarm is raised once (``alarm``) and reported over once (``alarm_cleared``); the
tamper alarm sounds the siren about a minute and holds the tamper flag meanwhile (L-60).
What raises the other alarms (jam, door left open, away intrusion, power, battery) is
the mechanism's and the readings' business.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging

from ezlock_edge.clock import Clock
from ezlock_edge.vocabulary.errors import DeviceError
from ezlock_edge.vocabulary.mcu import Prompt

from .device_contract import Mcu
from .events import EventLog
from .panel import Panel

_LOGGER = logging.getLogger(__name__)

SIREN_SECONDS = 60  # L-60: about one minute


class Alarms:
    """The alarms raised and not yet over, the siren and the tamper flag."""

    def __init__(
        self,
        mcu: Mcu,
        events: EventLog,
        clock: Clock,
        panel: Panel,
        on_change: Callable[[], None],
    ) -> None:
        """Report through ``events``; ``on_change`` runs when the state changed."""
        self._mcu = mcu
        self._events = events
        self._clock = clock
        self._panel = panel
        self._on_change = on_change
        self.tamper = False
        self._alarms: set[str] = set()
        self._tamper_timer: asyncio.Handle | None = None

    async def stop(self) -> None:
        """Cancel the tamper timer."""
        self._cancel(self._tamper_timer)

    async def tampered(self) -> None:
        """L-60: about a minute of siren, an event, and the tamper flag meanwhile."""
        self.tamper = True
        self._raise("tamper")
        await self._siren()
        await self._panel.say(Prompt.TAMPER_ALARM)
        self._cancel(self._tamper_timer)
        self._tamper_timer = self._clock.call_later(SIREN_SECONDS, self._tamper_over)

    def clear_alarm(self, alarm: str) -> None:
        """Report the end of an alarm that was raised."""
        if alarm in self._alarms:
            self._alarms.discard(alarm)
            self._events.append("alarm_cleared", alarm=alarm)

    def _tamper_over(self) -> None:
        self._tamper_timer = None
        self.tamper = False
        self.clear_alarm("tamper")
        self._on_change()

    def _raise(self, alarm: str) -> None:
        self._alarms.add(alarm)
        self._events.append("alarm", alarm=alarm)

    async def _siren(self) -> None:
        try:
            await self._mcu.siren(True, SIREN_SECONDS)
        except DeviceError as err:
            _LOGGER.warning("Siren failed: %s", err)

    @staticmethod
    def _cancel(handle: asyncio.Handle | None) -> None:
        if handle is not None:
            handle.cancel()
