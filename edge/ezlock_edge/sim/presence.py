"""What is in front of a biometric sensor: the presentations not yet captured.

One presentation (a finger laid on the reader, a face or palm held in view) is seen by
exactly one capture: the module that captures it consumes it, and if nothing captures
it within ``dwell`` seconds of being presented the person has moved on. Presentations
made in quick succession are captured in order, one each, so an enrollment of N
captures takes N presentations and every SENSOR_WAKE the MCU reports has its own
presentation behind it. The dwell runs on the simulated lock's clock, so a test (or
``--sim-clock manual``) decides when the person has moved on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from ezlock_edge.clock import Clock, SystemClock, timeout

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

    def __init__(self, dwell: float, clock: Clock | None = None) -> None:
        """Presentations last ``dwell`` seconds of ``clock`` unless captured earlier."""
        self._dwell = dwell
        self._clock = clock or SystemClock()
        self._waiting: deque[tuple[float, Presentation]] = deque()
        self._taken: tuple[float, Presentation] | None = None
        self._arrived = asyncio.Event()

    def present(self, presentation: Presentation) -> None:
        """Put a finger, face or palm in front of the sensor."""
        until = self._clock.monotonic() + self._dwell
        self._waiting.append((until, presentation))
        self._arrived.set()

    def take(self) -> Presentation | None:
        """Capture the oldest presentation still there (consuming it), if any."""
        now = self._clock.monotonic()
        while self._waiting:
            until, presentation = self._waiting.popleft()
            if now <= until:
                self._taken = until, presentation
                return presentation
        self._arrived.clear()
        return None

    def restore(self) -> None:
        """Put the presentation captured last back: the person is still there.

        A finger stays on the reader until the person lifts it, which they do once the
        lock has reacted (R503: GenImg images whatever finger is on the sensor). When
        the module's answer to a capture never reached the driver (a pulled cable,
        noise), nothing reacted: the next capture sees the same finger, until its
        dwell ends.
        """
        if self._taken is not None:
            self._waiting.appendleft(self._taken)
            self._taken = None
            self._arrived.set()

    async def wait(self) -> Presentation:
        """Capture the next presentation (callers bound the wait with a timeout)."""
        while (presentation := self.take()) is None:
            await self._arrived.wait()
        return presentation

    async def within(self, seconds: float) -> Presentation | None:
        """Capture the next presentation within ``seconds`` of the clock, else None.

        A module's own wait for a person (VERIFY, AutoEnroll): on the lock's clock, like
        the person's time, so a test decides when it is over.
        """
        try:
            async with timeout(self._clock, seconds):
                return await self.wait()
        except TimeoutError:
            return None
