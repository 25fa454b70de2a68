"""What is in front of a biometric sensor: the presentations not yet captured.

One presentation (a finger laid on the reader, a face or palm held in view) is seen by
exactly one capture: the module that captures it consumes it, and if nothing captures
it within ``dwell`` seconds of being presented the person has moved on. Presentations
made in quick succession are captured in order, one each, so an enrollment of N
captures takes N presentations and every SENSOR_WAKE the MCU reports has its own
presentation behind it. This runs on the event loop's real time, like the host's
polling and the modules' own timeouts it races with.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

FINGER_DWELL = 1.5
"""Seconds a finger rests on the reader unless a GenImg captures it first."""
FACE_DWELL = 3.0
"""Seconds a face or palm stays in view unless a VERIFY / ENROLL step captures it."""


@dataclass(frozen=True, slots=True)
class Presentation:
    """One finger, face or palm in front of a sensor."""

    identity: str
    spoof: bool = False


class Presence:
    """The presentations waiting in front of one sensor, oldest first."""

    def __init__(self, dwell: float) -> None:
        """Presentations last ``dwell`` seconds unless captured earlier."""
        self._dwell = dwell
        self._waiting: deque[tuple[float, Presentation]] = deque()
        self._arrived = asyncio.Event()

    def present(self, presentation: Presentation) -> None:
        """Put a finger, face or palm in front of the sensor."""
        until = asyncio.get_running_loop().time() + self._dwell
        self._waiting.append((until, presentation))
        self._arrived.set()

    def take(self) -> Presentation | None:
        """Capture the oldest presentation still there (consuming it), if any."""
        now = asyncio.get_running_loop().time()
        while self._waiting:
            until, presentation = self._waiting.popleft()
            if now <= until:
                return presentation
        self._arrived.clear()
        return None

    async def wait(self) -> Presentation:
        """Capture the next presentation (callers bound the wait with a timeout)."""
        while (presentation := self.take()) is None:
            await self._arrived.wait()
        return presentation
