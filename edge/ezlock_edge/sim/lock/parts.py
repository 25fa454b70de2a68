"""The simulated lock's parts and their life cycle: MCU, three modules, camera, four ptys."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
import random
import shutil
import tempfile

from ezlock_edge.clock import Clock, SystemClock
from ezlock_edge.sim.actions import LINKS
from ezlock_edge.sim.biometric import BiometricModule
from ezlock_edge.sim.body import LockBody
from ezlock_edge.sim.camera import DoorScene, SimulatedCamera
from ezlock_edge.sim.errors import SimulationError
from ezlock_edge.sim.fingerprint import LIBRARY_PAGES, FingerprintModule
from ezlock_edge.sim.mcu import MCU_OPTIONS, Runtime, VirtualMcu
from ezlock_edge.sim.noise import LineNoise
from ezlock_edge.sim.port import VirtualPort
from ezlock_edge.sim.presence import FINGER_DWELL
from ezlock_edge.sim.templates import TemplateLibrary
from ezlock_edge.vocabulary.mcu import DoorDirection, McuOption, Sensor

from .identity import IDENTITY_FILE, lock_info
from .settling import Settling


class LockParts:
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
        finger_dwell: float = FINGER_DWELL,
        mcu_options: McuOption = MCU_OPTIONS,
    ) -> None:
        """Build the lock; nothing is opened until :meth:`start`.

        ``seed`` makes everything random (serial, code, noise, scores) reproducible;
        ``state_dir`` keeps the lock's identity, event numbering and enrolled templates
        across simulator restarts. ``firmware`` says where the controller's firmware
        runs: in this process, or on MicroPython's Unix port. ``handing`` is the hand
        of the door the lock body is mounted on (L-46). ``time_zone`` is the lock's
        (default the board's own): its camera prints local time there.
        ``finger_dwell``: how long a person keeps a finger on the reader (seconds of
        ``clock``) before giving up on a lock that has not read it.
        ``mcu_options``: the HELLO options the controller grants (all its firmware
        knows; ``McuOption.NONE`` plays a controller of an earlier revision, whose
        BOLT reports do not say what moved the bolt).
        """
        self._clock = clock or SystemClock()
        self._seed = seed
        self._state_dir = state_dir
        self._rng = random.Random(seed)
        self.info = lock_info(
            self._rng, self._state_path(IDENTITY_FILE), serial, verification_code
        )
        self._motor_travel = motor_travel
        self._firmware = firmware
        self._handing = handing
        self._finger_dwell = finger_dwell
        self._mcu_options = mcu_options
        self._port_dir: Path | None = None
        self._ports: dict[str, VirtualPort] = {}
        self._mcu: VirtualMcu | None = None
        self._fingerprint: FingerprintModule | None = None
        self._face: BiometricModule | None = None
        self._palm: BiometricModule | None = None
        self._settling = Settling(self._ports, self._pending_events)
        self.scene = DoorScene(self._clock)
        """Who stands at the door, as the camera sees it."""
        self.camera = SimulatedCamera(self.scene, self._clock, time_zone=time_zone)

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
            options=self._mcu_options,
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
            dwell=self._finger_dwell,
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
        self._ports.update(ports)  # the same dict: Settling watches it
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

    def _pending_events(self) -> int:
        """MCU events the driver has not acknowledged yet."""
        return len(self._mcu.pending_events) if self._mcu is not None else 0

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
