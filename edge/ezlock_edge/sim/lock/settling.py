"""When the simulated lock is quiet: nothing on its way on any link, every MCU event acknowledged.

Moves of a manual clock wait for it between timers, and the drivers' IdleClock waits
for it before it jumps (:meth:`Settling.quiet`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import logging

from ezlock_edge.clock import ManualClock
from ezlock_edge.sim.port import VirtualPort

_LOGGER = logging.getLogger(__name__)

type DriverTraffic = Callable[[], Mapping[str, tuple[int, int]]]
"""Per link, the bytes a driver has sent and received so far."""

_SETTLE_TURNS = 20
"""Loop turns a timer's consequences get before the wire is looked at."""
_SETTLE_QUIET = 0.005
"""Seconds (real time) the links must stay quiet when the driver's counts are unknown."""
_SETTLE_POLL = 0.0005
"""Seconds (real time) between looks while bytes cross a pty."""
_SETTLE_LIMIT = 0.5
"""Seconds (real time) without any progress after which a link is given up on."""
SETTLE_CAP = 10.0
"""Seconds (real time) after which a link that keeps moving is given up on all the same.

A peer that never stops talking (line noise, a driver retrying on real time) would
otherwise hold every move of the clock, and a request to the control surface, forever.
"""


class Settling:
    """Watches the lock's links (and a driver's counts) to tell when nothing is in flight."""

    def __init__(
        self,
        ports: Mapping[str, VirtualPort],
        pending_events: Callable[[], int],
        *,
        cap: float = SETTLE_CAP,
    ) -> None:
        """Watch ``ports`` (the lock's, as they come and go) and the MCU's unacknowledged events.

        ``cap``: real seconds a settling waits at most, however busy the links stay.
        """
        self._ports = ports
        self._cap = cap
        self._pending_events = pending_events
        self._advancing = asyncio.Lock()
        self._driver_traffic: DriverTraffic | None = None
        self._lost: dict[str, tuple[int, int]] = {}
        self._stuck: tuple[int, ...] | None = None

    def watch_driver(self, traffic: DriverTraffic | None) -> None:
        """Let moves of a manual clock see what an in-process driver sent and received.

        ``traffic()`` gives, per link, the bytes the driver has sent and received so
        far (``Hardware.traffic``). Then a move knows exactly when nothing is on its
        way in either direction; without it, it waits for the links to go quiet.
        """
        self._driver_traffic = traffic
        self._lost = {link: self._mismatch(link) for link in self._ports}

    def cable_changed(self, link: str) -> None:
        """``link`` was unplugged or plugged back: what was in the cable is gone."""
        self._lost[link] = self._mismatch(link)

    async def advance(self, clock: ManualClock, seconds: float) -> None:
        """Move ``clock``; each timer fires once what the one before set off has settled."""
        async with self._advancing:
            await clock.run(seconds, self._settle)

    async def quiet(self) -> None:
        """Return at a moment nothing is on its way and the lock's time stands still."""
        async with self._advancing:
            await self._settle()

    def _mismatch(self, link: str) -> tuple[int, int]:
        """Bytes the driver sent that we did not read, and that we sent it did not."""
        if self._driver_traffic is None or link not in self._ports:
            return 0, 0
        sent, received = self._driver_traffic().get(link, (0, 0))
        port = self._ports[link]
        return sent - port.received, port.sent - received

    def _in_flight(self, link: str) -> int:
        """Bytes on their way on ``link``, either direction, not yet read."""
        towards_us, towards_driver = self._mismatch(link)
        lost_us, lost_driver = self._lost.get(link, (0, 0))
        return (
            self._ports[link].queued()
            + max(0, towards_us - lost_us)
            + max(0, towards_driver - lost_driver)
        )

    def _wire(self) -> tuple[int, ...]:
        """Everything that changes while the lock and its driver talk."""
        state = [self._pending_events()]
        for link, port in self._ports.items():
            state += (port.sent, port.received, port.queued(), *self._mismatch(link))
        return tuple(state)

    def _idle(self, quiet: bool) -> bool:
        """Whether nothing is on its way: known exactly with a watched driver."""
        if self._pending_events() and self._ports["mcu"].plugged:
            return False
        if self._driver_traffic is None:
            return quiet and not any(port.queued() for port in self._ports.values())
        return not any(self._in_flight(link) for link in self._ports)

    async def _settle(self) -> None:
        """Wait until what a timer set off has finished crossing the links.

        Settled means: a few loop turns change nothing, no byte is on its way in either
        direction and every MCU event is acknowledged. Bytes a driver wrote sit in the
        kernel for a while before the simulator can read them, hence the driver's own
        counts (:meth:`watch_driver`); without them the links must stay quiet for
        ``_SETTLE_QUIET``. A link that does not settle (no driver reading it) is given
        up on once nothing on it has moved for ``_SETTLE_LIMIT`` and not waited for
        again until it changes. Bytes still moving are waited for however long a loaded
        machine takes to carry them (a timer fired while a frame is half across would
        cut it: the receiver's idle gap), up to ``cap``: links that never stop moving
        are given up on then, with a warning, rather than waited for forever.
        """
        loop = asyncio.get_running_loop()
        give_up = 0.0
        cap = loop.time() + self._cap
        pause = _SETTLE_QUIET if self._driver_traffic is None else _SETTLE_POLL
        quiet = False  # the wire stayed as it is over a pause in real time
        last: tuple[int, ...] | None = None
        while True:
            before = self._wire()
            await _turns()
            now = self._wire()
            if now == before and (now == self._stuck or self._idle(quiet)):
                return
            if now != last:  # still moving: not stuck
                last, give_up = now, loop.time() + _SETTLE_LIMIT
            elif loop.time() >= give_up:
                self._stuck = now
                return
            if loop.time() >= cap:
                _LOGGER.warning(
                    "The simulated lock's links did not settle within %.0f s", self._cap
                )
                self._stuck = now
                return
            await asyncio.sleep(pause)
            quiet = self._wire() == now


async def _turns() -> None:
    """Let ready callbacks and tasks run a few rounds."""
    for _ in range(_SETTLE_TURNS):
        await asyncio.sleep(0)
