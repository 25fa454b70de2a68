"""The running edge driver: hardware (real or simulated) + lock core + API, in order.

``EdgeApp`` is what ``ezlock-edge run`` runs and what tests (the edge driver's and Home
Assistant's) embed on loopback. Starting is all-or-nothing: whatever started before a
failure is stopped again. Stopping never moves the bolt.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import gc
import logging
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .api.context import WsSettings
from .api.discovery import Advertisement, Advertiser
from .api.server import ApiServer
from .api.tls import TLS_DIR, load_or_create
from .api.version import API_VERSION
from .clock import Clock, IdleClock, ManualClock, SystemClock, local_time_zone
from .config import Config, ConfigError, HardwarePorts
from .core.camera import CameraSource
from .core.lock import LockCore
from .devices.camera import V4l2Camera
from .devices.hardware import Hardware
from .files import private_dir, write_private
from .vocabulary.camera import CameraSettings
from .vocabulary.modules import ModuleSettings

if TYPE_CHECKING:
    # The simulator is imported only when simulating (_start_simulator), so a lock on
    # real hardware never loads it.
    from .sim.lock import SimulatedLock

_LOGGER = logging.getLogger(__name__)

SIM_DIR = "simulator"
NO_CAMERA = "none"  # camera = "none": no camera, not even the simulator's
KIND_FILE = "hardware"  # inside the data directory: "real" or "simulated"


class StartRefusedError(ConfigError):
    """The edge driver will not start as configured; the message says why."""


@dataclass(slots=True)
class EdgeOptions:
    """How to run the edge driver (docs/api.md, Embedding)."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 0  # 0: the OS picks a free port; see EdgeApp.port
    tls: bool = True
    clock: Clock = field(default_factory=SystemClock)
    # The drivers' link timing (ACK timeouts, retries, polls, reconnects). A person's
    # time at the lock follows ``clock``. An IdleClock (tests, with the simulated lock
    # only) jumps whenever the simulated lock and its drivers are quiet.
    wire_clock: Clock = field(default_factory=SystemClock)
    motor_travel: float = 0.4  # simulated bolt travel, seconds
    hardware: HardwarePorts | None = None  # the real lock's four UARTs
    modules: ModuleSettings = field(
        default_factory=ModuleSettings
    )  # their own settings
    simulate: bool = False  # run the simulated lock (only when hardware is None)
    camera: str | None = None  # V4L2 device; None: the simulator's camera, or none
    camera_settings: CameraSettings = field(default_factory=CameraSettings)
    sim: SimulatedLock | None = None  # a running simulator to use (and not stop)
    sim_http_port: int | None = None  # serve /sim/v1 on loopback at this port
    zeroconf: bool = False
    # Make the TLS identity in a child process (the daemon): cryptography, needed only
    # to create it, then never stays in the driver's memory (docs/performance.md).
    separate_tls_process: bool = False
    # The API version /info, auth_ok and zeroconf announce. Only a test of a client's
    # version check sets another: the routes stay those of API_VERSION.
    api_version: int = API_VERSION
    ws: WsSettings = field(default_factory=WsSettings)  # WebSocket ping and lag limits
    name: str | None = None  # the place the lock is known by; /info and zeroconf
    time_zone: str | None = None  # IANA; weekly schedules are read in it

    @classmethod
    def from_config(cls, config: Config) -> EdgeOptions:
        """Translate the daemon's configuration.

        ``--sim-clock manual`` gives driver and simulator one ``ManualClock`` starting
        at the current time, so everything that waits (keypad, alarms, lockout,
        pairing, visitor windows, countdown, bolt travel, the time a person is given
        at a reader) waits for ``POST /sim/v1/clock``. The links' own timing stays on
        the system clock: a stopped clock would stall a reader's polling.
        """
        manual = config.simulate and config.sim_clock == "manual"
        return cls(
            data_dir=config.data_dir,
            clock=ManualClock(datetime.now(UTC)) if manual else SystemClock(),
            motor_travel=config.sim_motor_ms / 1000,
            host=config.host,
            port=config.port,
            tls=not config.insecure_http,
            hardware=config.hardware,
            modules=config.modules,
            simulate=config.simulate,
            camera=config.camera,
            camera_settings=config.camera_settings,
            sim_http_port=config.sim_port if config.simulate else None,
            zeroconf=config.zeroconf,
            separate_tls_process=True,
            name=config.name,
            time_zone=config.time_zone,
        )


class EdgeApp:
    """The edge driver with everything it drives and serves."""

    def __init__(self, options: EdgeOptions) -> None:
        """Prepare; nothing runs before :meth:`start`."""
        self.options = options
        self.sim: SimulatedLock | None = options.sim
        self._core: LockCore | None = None
        self._api: ApiServer | None = None
        self._sim_http_port: int | None = None
        self._stack = contextlib.AsyncExitStack()

    @property
    def core(self) -> LockCore:
        """Return the running lock core."""
        if self._core is None:
            raise RuntimeError("the edge driver is not running")
        return self._core

    @property
    def port(self) -> int:
        """Return the API's bound TCP port."""
        if self._api is None:
            raise RuntimeError("the edge driver is not running")
        return self._api.port

    @property
    def sim_http_port(self) -> int | None:
        """Return the bound port of the simulator's ``/sim/v1`` surface, if served."""
        return self._sim_http_port

    @property
    def open_connections(self) -> int:
        """Return how many API connections are open (docs/security.md, limits)."""
        if self._api is None:
            raise RuntimeError("the edge driver is not running")
        return self._api.open_connections

    @property
    def tls_fingerprint(self) -> str | None:
        """Return the pinned certificate's SHA-256 (hex), None on plain HTTP."""
        if self._api is None:
            raise RuntimeError("the edge driver is not running")
        return self._api.context.tls_fingerprint

    @property
    def url(self) -> str:
        """Return the API's base URL."""
        scheme = "https" if self.options.tls else "http"
        return f"{scheme}://{self.options.host}:{self.port}"

    async def start(self) -> None:
        """Open the hardware, start the core, serve the API (and simulator, zeroconf)."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        options = self.options
        data_dir = options.data_dir
        simulated = options.hardware is None
        if simulated and not (options.simulate or options.sim is not None):
            raise StartRefusedError(
                "no hardware ports given and the simulated lock was not asked for"
            )
        if not simulated and (options.simulate or options.sim is not None):
            raise StartRefusedError(
                "hardware ports and the simulated lock are exclusive"
            )
        private_dir(data_dir)
        claim_data_dir(data_dir, simulated=simulated)
        wire = options.wire_clock
        if isinstance(wire, IdleClock) and not simulated:
            raise StartRefusedError("an IdleClock moves with the simulated lock only")
        ports = options.hardware
        if ports is None:
            ports = await self._start_simulator(data_dir / SIM_DIR)
        if isinstance(wire, IdleClock):
            self._stack.push_async_callback(wire.stop)  # after the drivers closed
        hardware = await Hardware.open(
            mcu=ports.mcu,
            fingerprint=ports.fingerprint,
            face=ports.face,
            palm=ports.palm,
            modules=options.modules,
            clock=options.clock,
            wire_clock=wire,
        )
        self._stack.push_async_callback(hardware.close)
        if self.sim is not None:
            # A move of a manual clock waits for bytes the driver sent or has not read.
            sim = self.sim
            sim.watch_driver(hardware.traffic)
            self._stack.callback(sim.watch_driver, None)
            if isinstance(wire, IdleClock):
                wire.start(sim.quiet)
        core = LockCore(
            hardware,
            data_dir,
            clock=options.clock,
            time_zone=self._time_zone(),
            name=options.name,
            camera=self._camera(),
            camera_settings=options.camera_settings,
        )
        await core.start()
        self._stack.push_async_callback(core.stop)
        self._core = core
        info = core.info
        tls = (
            await asyncio.to_thread(
                load_or_create,
                data_dir / TLS_DIR,
                f"ezlock-{info.serial}",
                separate_process=options.separate_tls_process,
            )
            if options.tls
            else None
        )
        api = ApiServer(
            core,
            options.clock,
            options.host,
            options.port,
            tls,
            api_version=options.api_version,
            ws=options.ws,
        )
        await api.start()
        self._stack.push_async_callback(api.stop)
        self._api = api
        if self.sim is not None and options.sim_http_port is not None:
            from .sim.http import start_http  # noqa: PLC0415 - only when simulating

            server = await start_http(self.sim, port=options.sim_http_port)
            self._stack.push_async_callback(server.close)
            self._sim_http_port = server.port
        if options.zeroconf:
            advertiser = Advertiser(
                Advertisement(
                    info.serial,
                    info.model,
                    info.firmware,
                    api.port,
                    tls.fingerprint if tls else None,
                    options.api_version,
                    options.name,
                ),
                options.host,
            )
            await advertiser.start()
            self._stack.push_async_callback(advertiser.stop)
        _LOGGER.info(
            "Edge driver running",
            extra={
                "serial": info.serial,
                "url": self.url,
                "simulated": options.hardware is None,
            },
        )

    def _time_zone(self) -> ZoneInfo:
        """Return the lock's time zone: the configured one, else the board's own."""
        zone = self.options.time_zone
        return ZoneInfo(zone) if zone else local_time_zone()

    def _camera(self) -> CameraSource | None:
        """Return the configured V4L2 camera, else the simulated lock's, else none."""
        if self.options.camera == NO_CAMERA:
            return None
        if self.options.camera is not None:
            return V4l2Camera(self.options.camera)
        return self.sim.camera if self.sim is not None else None

    async def _start_simulator(self, state_dir: Path) -> HardwarePorts:
        if self.sim is None:
            from .sim.lock import SimulatedLock  # noqa: PLC0415 - only when simulating

            _LOGGER.warning("Running the simulated lock (--simulate)")
            private_dir(state_dir)
            self.sim = SimulatedLock(
                clock=self.options.clock,
                motor_travel=self.options.motor_travel,
                state_dir=state_dir,
                time_zone=self._time_zone(),
            )
            await self.sim.start()
            self._stack.push_async_callback(self.sim.stop)
        ports = self.sim.ports
        return HardwarePorts(
            mcu=str(ports["mcu"]),
            fingerprint=str(ports["fingerprint"]),
            face=str(ports["face"]),
            palm=str(ports["palm"]),
        )

    async def stop(self) -> None:
        """Stop in reverse order; the bolt is left as it is."""
        await self._stack.aclose()
        self._stack = contextlib.AsyncExitStack()
        self._core = None
        self._api = None
        self._sim_http_port = None
        if self.options.sim is None:
            self.sim = None


def freeze_start_up_objects() -> None:
    """Take what starting made out of the garbage collector's sight (a running lock).

    The modules, the core's parts, the API's routes: made at start-up and alive until
    the driver stops. A collection of the old generation scanned them all (one took
    13.8 ms in the credential benchmark, in the middle of an unlock); frozen, it scans
    only what the running lock made since. Start-up's own garbage is collected first.
    For a process that runs one driver until it ends (``ezlock-edge run``), not for a
    test that starts many.
    """
    gc.collect()
    gc.freeze()


def claim_data_dir(data_dir: Path, *, simulated: bool) -> None:
    """Tie ``data_dir`` to real or simulated hardware for good, refusing the other kind.

    Pairings, users and the certificate made on the simulator must never carry over to
    the real lock (or the other way round). A directory from before this marker existed
    is simulated when it holds the simulator's state.
    """
    kind = "simulated" if simulated else "real"
    marker = data_dir / KIND_FILE
    recorded: str | None
    try:
        recorded = marker.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        recorded = "simulated" if (data_dir / SIM_DIR).is_dir() else None
    except (OSError, UnicodeDecodeError) as err:
        raise StartRefusedError(f"cannot read {marker}: {err}") from None
    if recorded is None:
        write_private(marker, f"{kind}\n".encode())
        return
    if recorded != kind:
        other = "--simulate" if recorded == "simulated" else "hardware ports"
        raise StartRefusedError(
            f"data directory {data_dir} belongs to the {recorded} lock; "
            f"run it with {other} or use another --data-dir"
        )
    if not marker.exists():
        write_private(marker, f"{kind}\n".encode())
