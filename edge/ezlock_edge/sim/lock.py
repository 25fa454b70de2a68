"""``SimulatedLock``: the whole virtual lock, its four UARTs and what a person can do to it.

The driver opens ``lock.ports[link]`` as it would open real UARTs; tests and the
``/sim/v1`` surface act on the lock through the async control methods here, or through
the one generic :meth:`SimulatedLock.handle`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import tzinfo
from pathlib import Path
import random
import shutil
import string
import tempfile
from typing import Any

from ezlock_mcu import FIRMWARE_VERSION
import voluptuous as vol

from ezlock_edge.clock import Clock, ManualClock, SystemClock
from ezlock_edge.vocabulary.mcu import (
    BoltState,
    DoorDirection,
    DoorState,
    Key,
    McuInfo,
    Sensor,
    SetPress,
)

from . import statefile
from .actions import ACTIONS, LINKS
from .biometric import BiometricModule
from .body import LockBody
from .camera import SOMEONE, DoorScene, SimulatedCamera
from .errors import SimulationError, UnknownActionError
from .fingerprint import LIBRARY_PAGES, FingerprintModule
from .mcu import Runtime, VirtualMcu
from .noise import LineNoise
from .port import VirtualPort
from .presence import Presentation
from .templates import TemplateLibrary

MODEL = "EZLOCK-SIM-6068"
FIRMWARE = f"{FIRMWARE_VERSION}-sim"
CAPABILITIES = frozenset(
    {
        "bluetooth",
        "door_sensor",
        "emergency_power",
        "face",
        "fingerprint",
        "keypad",
        "palm",
        "siren",
        "tamper",
        "voice",
        "wifi",
    }
)
type DriverTraffic = Callable[[], Mapping[str, tuple[int, int]]]
"""Per link, the bytes a driver has sent and received so far."""

_SET_PRESS = {
    "short": SetPress.SHORT,
    "long": SetPress.LONG,
    "power_up": SetPress.HELD_AT_POWER_UP,
}
_IDENTITY_FILE = "identity.json"
_SETTLE_TURNS = 20
"""Loop turns a timer's consequences get before the wire is looked at."""
_SETTLE_QUIET = 0.005
"""Seconds (real time) the links must stay quiet when the driver's counts are unknown."""
_SETTLE_POLL = 0.0005
"""Seconds (real time) between looks while bytes cross a pty."""
_SETTLE_LIMIT = 0.5
"""Seconds (real time) after which a link that never goes quiet is given up on."""


class SimulatedLock:
    """A virtual MCU and three virtual biometric modules behind pseudo-terminals."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        motor_travel: float = 0.4,
        serial: str | None = None,
        verification_code: str | None = None,
        seed: int | None = None,
        state_dir: Path | None = None,
        firmware: Runtime = "python",
        handing: DoorDirection = DoorDirection.RIGHT,
        time_zone: tzinfo | None = None,
    ) -> None:
        """Build the lock; nothing is opened until :meth:`start`.

        ``seed`` makes everything random (serial, code, noise, scores) reproducible;
        ``state_dir`` keeps the lock's identity, event numbering and enrolled templates
        across simulator restarts. ``firmware`` says where the controller's firmware
        runs: in this process, or on MicroPython's Unix port. ``handing`` is the hand
        of the door the lock body is mounted on (L-46). ``time_zone`` is the lock's
        (default the board's own): its camera prints local time there.
        """
        self._clock = clock or SystemClock()
        self._seed = seed
        self._state_dir = state_dir
        self._rng = random.Random(seed)
        serial, verification_code = self._identity(serial, verification_code)
        self.info = McuInfo(
            serial=serial,
            model=MODEL,
            firmware=FIRMWARE,
            verification_code=verification_code,
            capabilities=CAPABILITIES,
        )
        self._motor_travel = motor_travel
        self._firmware = firmware
        self._handing = handing
        self._port_dir: Path | None = None
        self._ports: dict[str, VirtualPort] = {}
        self._mcu: VirtualMcu | None = None
        self._fingerprint: FingerprintModule | None = None
        self._face: BiometricModule | None = None
        self._palm: BiometricModule | None = None
        self._advancing = asyncio.Lock()
        self._driver_traffic: DriverTraffic | None = None
        self._lost: dict[str, tuple[int, int]] = {}
        self._stuck: tuple[int, ...] | None = None
        self.scene = DoorScene(self._clock)
        """Who stands at the door, as the camera sees it."""
        self.camera = SimulatedCamera(self.scene, self._clock, time_zone=time_zone)

    # -- life cycle ------------------------------------------------------------------

    @property
    def ports(self) -> dict[str, Path]:
        """Stable device paths of the four UARTs: ``mcu``, ``fingerprint``, ``face``, ``palm``."""
        return {link: port.path for link, port in self._ports.items()}

    @property
    def running(self) -> bool:
        """Whether :meth:`start` has been called (and :meth:`stop` not yet)."""
        return self._mcu is not None

    async def start(self) -> None:
        """Create the four ptys and power the lock up."""
        if self.running:
            return
        port_dir = Path(tempfile.mkdtemp(prefix="ezlock-sim-"))
        self._port_dir = port_dir
        ports = {
            link: VirtualPort(
                port_dir / link, LineNoise(random.Random(f"{self._seed}:{link}:noise"))
            )
            for link in LINKS
        }
        self._mcu = VirtualMcu(
            self.info,
            self._clock,
            random.Random(self._rng.random()),
            motor_travel=self._motor_travel,
            send=ports["mcu"].write,
            state_path=self._state_path("mcu-events.json"),
            runtime=self._firmware,
            handing=self._handing,
        )
        self._fingerprint = FingerprintModule(
            # The module's library is larger than the lock's 50 pages (L-22).
            TemplateLibrary(
                self._state_path("fingerprint-templates.json"), LIBRARY_PAGES
            ),
            random.Random(self._rng.random()),
            send=ports["fingerprint"].write,
            state_path=self._state_path("fingerprint-module.json"),
            clock=self._clock,
        )
        self._face = BiometricModule(
            Sensor.FACE,
            TemplateLibrary(self._state_path("face-templates.json")),
            send=ports["face"].write,
            clock=self._clock,
        )
        self._palm = BiometricModule(
            Sensor.PALM,
            TemplateLibrary(self._state_path("palm-templates.json")),
            send=ports["palm"].write,
            clock=self._clock,
        )
        ports["mcu"].on_receive = self._mcu.receive
        ports["fingerprint"].on_receive = self._fingerprint.receive
        ports["face"].on_receive = self._face.receive
        ports["palm"].on_receive = self._palm.receive
        for port in ports.values():
            port.plug()
        self._ports = ports
        self._mcu.start()
        for module in (self._fingerprint, self._face, self._palm):
            module.start()

    async def stop(self) -> None:
        """Unplug everything and remove the ptys; enrolled templates stay in state_dir."""
        if self._mcu is None:
            return
        self._mcu.stop()
        for module in (self._fingerprint, self._face, self._palm):
            if module is not None:
                module.stop()
        for port in self._ports.values():
            port.unplug()
        self._ports.clear()
        if self._port_dir is not None:
            shutil.rmtree(self._port_dir, ignore_errors=True)
        self._mcu = self._fingerprint = self._face = self._palm = None
        self._port_dir = None

    # -- what a person does to the lock ----------------------------------------------

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

    async def noise(self, link: str, rate: float) -> None:
        """Damage bytes on ``link`` in both directions with probability ``rate``."""
        try:
            self._port(link).noise.rate = rate
        except ValueError as err:
            raise SimulationError(str(err)) from None

    async def unplug(self, link: str) -> None:
        """Pull ``link``'s cable: the driver's port fails and its path disappears."""
        self._port(link).unplug()
        self._lost[link] = self._mismatch(link)  # what was in the cable is gone

    async def replug(self, link: str) -> None:
        """Plug ``link`` back in: a new pty behind the same path."""
        self._port(link).plug()
        self._lost[link] = self._mismatch(link)

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
            async with self._advancing:
                await self._clock.run(advance, self._settle)
        return self._time()

    async def restart_module(self, link: str) -> None:
        """Power-cycle a module: RAM is lost, flash kept; it sends its power-on message."""
        module: FingerprintModule | BiometricModule | None
        if link == "fingerprint":
            module = self._fingerprint
        elif link in ("face", "palm"):
            module = self._face if link == "face" else self._palm
        else:
            raise SimulationError(f"no module on link {link!r}")
        if module is None:
            raise SimulationError("the simulated lock is not running")
        module.stop()
        module.start()

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

    # -- internals ----------------------------------------------------------------------

    def watch_driver(self, traffic: DriverTraffic | None) -> None:
        """Let moves of a manual clock see what an in-process driver sent and received.

        ``traffic()`` gives, per link, the bytes the driver has sent and received so
        far (``Hardware.traffic``). Then a move knows exactly when nothing is on its
        way in either direction; without it, it waits for the links to go quiet.
        """
        self._driver_traffic = traffic
        self._lost = {link: self._mismatch(link) for link in self._ports}

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
        state = [len(self._mcu.pending_events) if self._mcu is not None else 0]
        for link, port in self._ports.items():
            state += (port.sent, port.received, port.queued(), *self._mismatch(link))
        return tuple(state)

    def _idle(self, quiet: bool) -> bool:
        """Whether nothing is on its way: known exactly with a watched driver."""
        mcu = self._mcu
        if mcu is not None and mcu.pending_events and self._ports["mcu"].plugged:
            return False
        if self._driver_traffic is None:
            return quiet and not any(port.queued() for port in self._ports.values())
        return not any(self._in_flight(link) for link in self._ports)

    async def quiet(self) -> None:
        """Return at a moment nothing is on its way and the lock's time stands still.

        What the drivers' :class:`~ezlock_edge.clock.IdleClock` waits for before it
        jumps: their link timers fire only when the lock has nothing more to say, and
        never while a move of the lock's clock is carrying its effects across.
        """
        async with self._advancing:
            await self._settle()

    async def _settle(self) -> None:
        """Wait until what a timer set off has finished crossing the links.

        Settled means: a few loop turns change nothing, no byte is on its way in either
        direction and every MCU event is acknowledged. Bytes a driver wrote sit in the
        kernel for a while before the simulator can read them, hence the driver's own
        counts (:meth:`watch_driver`); without them the links must stay quiet for
        ``_SETTLE_QUIET``. A link that does not settle (no driver reading it) is given
        up on after ``_SETTLE_LIMIT`` and not waited for again until it changes.
        """
        loop = asyncio.get_running_loop()
        give_up = loop.time() + _SETTLE_LIMIT
        pause = _SETTLE_QUIET if self._driver_traffic is None else _SETTLE_POLL
        quiet = False  # the wire stayed as it is over a pause in real time
        while True:
            before = self._wire()
            await _turns()
            now = self._wire()
            if now == before and (now == self._stuck or self._idle(quiet)):
                return
            if loop.time() >= give_up:
                self._stuck = now
                return
            await asyncio.sleep(pause)
            quiet = self._wire() == now

    def _body(self) -> LockBody:
        return self._require(self._mcu).body

    @staticmethod
    def _require[T](component: T | None) -> T:
        if component is None:
            raise SimulationError("the simulated lock is not running")
        return component

    def _port(self, link: str) -> VirtualPort:
        if link not in self._ports:
            raise SimulationError(
                f"unknown link {link!r}; links are {', '.join(LINKS)}"
            )
        return self._ports[link]

    def _state_path(self, name: str) -> Path | None:
        return self._state_dir / name if self._state_dir is not None else None

    def _identity(
        self, serial: str | None, verification_code: str | None
    ) -> tuple[str, str]:
        """Return the serial and verification code: given, remembered, or new."""
        path = self._state_path(_IDENTITY_FILE)
        stored = (statefile.load(path) if path is not None else None) or {}
        serial = serial or stored.get("serial") or self._new_serial()
        verification_code = (
            verification_code
            or stored.get("verification_code")
            or "".join(self._rng.choices(string.ascii_uppercase, k=6))
        )
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            statefile.save(
                path, {"serial": serial, "verification_code": verification_code}
            )
        return serial, verification_code

    def _new_serial(self) -> str:
        return "Q" + "".join(self._rng.choices(string.digits, k=8))


async def _turns() -> None:
    """Let ready callbacks and tasks run a few rounds."""
    for _ in range(_SETTLE_TURNS):
        await asyncio.sleep(0)
