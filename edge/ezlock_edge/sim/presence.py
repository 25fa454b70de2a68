"""What is in front of a biometric sensor right now.

One presentation (a finger laid on the reader, a face or palm held in view) is seen by
exactly one capture: the module that captures it consumes it, and if nothing captures
it within ``dwell`` seconds the person has moved on. So an enrollment of N captures
takes N presentations, as on the real lock. This runs on the event loop's real time,
like the host's polling and the modules' own timeouts it races with.
"""

from __future__ import annotations

import asyncio
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
    """The single slot in front of one sensor."""

    def __init__(self, dwell: float) -> None:
        """Presentations last ``dwell`` seconds unless captured earlier."""
        self._dwell = dwell
        self._current: Presentation | None = None
        self._until = 0.0
        self._arrived = asyncio.Event()

    def present(self, presentation: Presentation) -> None:
        """Put a finger, face or palm in front of the sensor."""
        self._current = presentation
        self._until = asyncio.get_running_loop().time() + self._dwell
        self._arrived.set()

    def take(self) -> Presentation | None:
        """Capture what is in front of the sensor now (consuming it), if anything."""
        current, self._current = self._current, None
        self._arrived.clear()
        if current is None or asyncio.get_running_loop().time() > self._until:
            return None
        return current

    async def wait(self) -> Presentation:
        """Capture the next presentation (callers bound the wait with a timeout)."""
        while True:
            if (presentation := self.take()) is not None:
                return presentation
            await self._arrived.wait()
