"""``SimulatedLock``: the whole virtual lock, its four UARTs and what a person can do to it.

The driver opens ``lock.ports[link]`` as it would open real UARTs; tests and the
``/sim/v1`` surface act on the lock through the async control methods here, or through
the one generic :meth:`SimulatedLock.handle`. One module per job: ``parts`` (the
simulated parts and their life cycle), ``person`` (what a person does to the lock and
sees of it), ``settling`` (when nothing is in flight), ``identity`` (model, serial,
code); this facade adds the test bench (cables, line noise, module power and
replacement, the lock's time) and the control surface's entry point.
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from ezlock_edge.clock import ManualClock
from ezlock_edge.sim.actions import ACTIONS
from ezlock_edge.sim.biometric import BiometricModule
from ezlock_edge.sim.errors import SimulationError, UnknownActionError
from ezlock_edge.sim.fingerprint import FingerprintModule

from .person import PersonAtTheLock
from .settling import DriverTraffic

__all__ = ["DriverTraffic", "SimulatedLock"]


class SimulatedLock(PersonAtTheLock):
    """A virtual MCU and three virtual biometric modules behind pseudo-terminals."""

    # -- the test bench: cables, line noise, module power, the lock's time -------------

    async def noise(self, link: str, rate: float) -> None:
        """Damage bytes on ``link`` in both directions with probability ``rate``."""
        try:
            self._port(link).noise.rate = rate
        except ValueError as err:
            raise SimulationError(str(err)) from None

    async def unplug(self, link: str) -> None:
        """Pull ``link``'s cable: the driver's port fails and its path disappears."""
        self._port(link).unplug()
        self._settling.cable_changed(link)  # what was in the cable is gone

    async def replug(self, link: str) -> None:
        """Plug ``link`` back in: a new pty behind the same path."""
        self._port(link).plug()
        self._settling.cable_changed(link)

    async def clock(self, advance: float | None = None) -> dict[str, Any]:
        """Read the lock's time; ``advance`` seconds moves a manual clock forward.

        Every timer of the simulated lock and of a driver sharing the clock (docs/api.md,
        Embedding) that falls due meanwhile fires in order, each after the effects of
        the one before have crossed the links, as if the time had passed.
        """
        if advance is not None:
            if not isinstance(self._clock, ManualClock):
                raise SimulationError(
                    "the simulated lock runs on the real clock; "
                    "start it with --sim-clock manual to move its time"
                )
            await self._settling.advance(self._clock, advance)
        return self._time()

    async def restart_module(self, link: str) -> None:
        """Power-cycle a module: RAM is lost, flash kept; it sends its power-on message."""
        module = self._module(link)
        module.stop()
        module.start()

    async def replace_module(self, link: str) -> None:
        """Take a module out for a new, empty one: its cable pulled, its templates gone.

        What a repair person does when a reader fails; :meth:`replug` plugs the new one
        in, and the lock's credentials on it then have no template behind them (the
        driver's check says so when the link is back).
        """
        module = self._module(link)
        await self.unplug(link)
        module.wipe()

    def _module(self, link: str) -> FingerprintModule | BiometricModule:
        module: FingerprintModule | BiometricModule | None
        if link == "fingerprint":
            module = self._fingerprint
        elif link in ("face", "palm"):
            module = self._face if link == "face" else self._palm
        else:
            raise SimulationError(f"no module on link {link!r}")
        if module is None:
            raise SimulationError("the simulated lock is not running")
        return module

    # -- the control surface's entry point and a driver's view --------------------------

    async def handle(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """Validate ``body`` for ``action`` and do it: the HTTP and CLI entry point.

        Raises ``UnknownActionError`` or ``SimulationError`` (bad body, impossible now).
        """
        if action not in ACTIONS:
            raise UnknownActionError(f"unknown action {action!r}")
        try:
            valid = ACTIONS[action].schema(body)
        except vol.Invalid as err:
            raise SimulationError(f"{action}: {err}") from None
        # Every action is the method of the same name; body fields are its arguments.
        result = await getattr(self, action)(**valid)
        return result if isinstance(result, dict) else {"ok": True}

    def watch_driver(self, traffic: DriverTraffic | None) -> None:
        """Let moves of a manual clock see what an in-process driver sent and received.

        ``traffic()`` gives, per link, the bytes the driver has sent and received so
        far (``Hardware.traffic``). Then a move knows exactly when nothing is on its
        way in either direction; without it, it waits for the links to go quiet.
        """
        self._settling.watch_driver(traffic)

    async def quiet(self) -> None:
        """Return at a moment nothing is on its way and the lock's time stands still.

        What the drivers' :class:`~ezlock_edge.clock.IdleClock` waits for before it
        jumps: their link timers fire only when the lock has nothing more to say, and
        never while a move of the lock's clock is carrying its effects across.
        """
        await self._settling.quiet()
