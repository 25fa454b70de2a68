"""What a person does to the simulated lock, and what they see and hear of it."""

from __future__ import annotations

from typing import Any

from ezlock_edge.clock import ManualClock
from ezlock_edge.sim.camera import SOMEONE
from ezlock_edge.sim.errors import SimulationError
from ezlock_edge.sim.presence import Presentation
from ezlock_edge.vocabulary.mcu import BoltState, DoorState, Key, Sensor, SetPress

from .parts import LockParts

_SET_PRESS = {
    "short": SetPress.SHORT,
    "long": SetPress.LONG,
    "power_up": SetPress.HELD_AT_POWER_UP,
}


class PersonAtTheLock(LockParts):
    """A person's hands at the lock (keypad, sensors, keys, door, buttons) and eyes on it."""

    async def keypad(self, keys: list[str], hold: str | None = None) -> None:
        """Touch the keypad (it wakes first), press ``keys``, then long-press ``hold``.

        Keys are ``"0"``-``"9"``, ``"back"``, ``"confirm"``, ``"away"``, ``"doorbell"``;
        ``hold="0"`` is the one-time mute gesture (L-48).
        """
        try:
            parsed = [Key.from_name(k) for k in keys]
            held = Key.from_name(hold) if hold is not None else None
        except (KeyError, ValueError) as err:
            raise SimulationError(f"unknown key {err}") from None
        self._body().keypad(parsed, held)
        self.scene.arrive()

    async def finger(self, id: str) -> None:  # noqa: A002
        """Lay finger ``id`` on the reader for one capture (touch line wakes the MCU)."""
        self._require(self._fingerprint).presence.present(Presentation(id))
        self._body().sensor_woken(Sensor.FINGERPRINT)
        self.scene.arrive(id)

    async def face(self, id: str, spoof: bool = False) -> None:  # noqa: A002
        """Step in front of the lock; ``spoof`` = a photo or mask (liveness fails)."""
        self._require(self._face).presence.present(Presentation(id, spoof))
        self._body().sensor_woken(Sensor.FACE)
        self.scene.arrive(id)

    async def palm(self, id: str, spoof: bool = False) -> None:  # noqa: A002
        """Hold a palm to the palm-vein module; ``spoof`` fails the liveness check."""
        self._require(self._palm).presence.present(Presentation(id, spoof))
        self._body().sensor_woken(Sensor.PALM)
        self.scene.arrive(id)

    async def bluetooth(self, key: str, action: str = "unlock") -> None:
        """Let a phone in range present Bluetooth key ``key`` to open or lock (L-12, L-31)."""
        self._body().bluetooth_key(key, lock=action == "lock")
        self.scene.arrive()

    async def mechanical_key(self, turn: str = "unlock") -> None:
        """Turn the mechanical key to ``"unlock"`` (default) or ``"lock"`` (L-07)."""
        self._body().mechanical_key(
            BoltState.LOCKED if turn == "lock" else BoltState.UNLOCKED
        )
        self.scene.arrive()

    async def at_door(self, name: str = SOMEONE, leave: bool = False) -> None:
        """Someone comes to the door and stands in the camera's view (or walks away)."""
        if leave:
            self.scene.leave()
        else:
            self.scene.arrive(name)

    async def camera_cable(self, connected: bool) -> None:
        """Pull the camera's cable (every capture fails), or plug it back."""
        self.camera.connected = connected

    async def door(self, state: str) -> None:
        """Open (``"open"``) or close (``"closed"``) the door (L-02)."""
        self._body().set_door(DoorState.OPEN if state == "open" else DoorState.CLOSED)

    async def set_button(self, press: str = "short") -> None:
        """Press SET: ``"short"`` (menu), ``"long"`` (pairing), ``"power_up"`` (L-04, L-63)."""
        if press not in _SET_PRESS:
            raise SimulationError(f"unknown SET press {press!r}")
        self._body().set_button(_SET_PRESS[press])

    async def lock_button(self) -> None:
        """Press the rear electronic lock button (L-44)."""
        self._body().lock_button()

    async def tamper(self, removed: bool = True) -> None:
        """Pry the front panel off (L-05, L-60); ``removed=False`` puts it back."""
        self._body().set_tamper(removed)

    async def battery(self, percent: float) -> None:
        """Set the battery's charge in percent (L-06, L-62)."""
        try:
            self._body().set_battery(percent)
        except ValueError as err:
            raise SimulationError(str(err)) from None

    async def emergency_power(self, connected: bool) -> None:
        """Plug a power bank into the front USB-C port, or unplug it (L-08)."""
        self._body().set_emergency_power(connected)

    async def jam(self, next: bool = True) -> None:  # noqa: A002
        """Make the next motor movement end JAMMED (``next=False`` cancels)."""
        self._body().jam(next)

    async def label(self) -> dict[str, str]:
        """Read the sticker inside the battery compartment (L-64)."""
        return {
            "serial": self.info.serial,
            "verification_code": self.info.verification_code,
            "model": self.info.model,
        }

    async def panel(self) -> dict[str, Any]:
        """Look at the lock: what a person sees and hears, and each link's state."""
        state = self._body().panel()
        state["links"] = {
            link: {
                "path": str(port.path),
                "plugged": port.plugged,
                "noise_rate": port.noise.rate,
                "damaged_bytes": port.noise.stats.total,
            }
            for link, port in self._ports.items()
        }
        state["links"]["mcu"]["unacknowledged_events"] = (
            len(self._mcu.pending_events) if self._mcu is not None else 0
        )
        state["clock"] = self._time()
        state["at_door"] = self.scene.present
        state["camera"] = {
            "connected": self.camera.connected,
            "on": self.camera.on,
            "frames": self.camera.frames,
        }
        return state

    def _time(self) -> dict[str, Any]:
        return {
            "now": self._clock.now().isoformat(),
            "manual": isinstance(self._clock, ManualClock),
        }
