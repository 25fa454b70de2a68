"""``LockAssembly``: the lock's parts, built, wired to the hardware, started and stopped.

One object of each part (``mechanism``, ``panel``, ``settings``, ``directory``,
``visitors``, ``templates``, ``access``, ``lockout``, ``pairing``, ``clients``,
``keypad`` with ``keypad_actions``, ``enroller``, ``identification``, ``mcu_events``,
``camera``, the ``state`` announcer), built in the order they depend on each other, and
the state snapshot they make together. ``LockCore`` (:mod:`.lock`) is the API's facade
over it.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from ezlock_edge.clock import Clock, local_time_zone
from ezlock_edge.files import private_dir
from ezlock_edge.vocabulary.camera import CameraSettings
from ezlock_edge.vocabulary.link import LinkState

from .camera import Camera, CameraSource
from .clients import Clients
from .device_contract import LockHardware
from .directory import Directory
from .enrollment import Enroller
from .events import DEFAULT_RETENTION, EventLog
from .identification import Identification
from .keypad import Keypad
from .keypad_actions import KeypadActions
from .lockout import Lockout
from .mcu_events import McuEvents
from .mechanism import Mechanism
from .models import CredentialType, LockInfo, LockState
from .pairing import PairingAnnouncer, PairingWindow
from .panel import Panel
from .secrets import DeviceSecret
from .settings import LockSettings
from .snapshots import SnapshotStore
from .state import StateAnnouncer
from .store import Store
from .templates import Templates
from .unlock_decision import UnlockDecision
from .visitors import Visitors


class LockAssembly:
    """The lock's parts, wired together and to the hardware."""

    def __init__(
        self,
        hardware: LockHardware,
        data_dir: Path,
        clock: Clock,
        *,
        retention: int = DEFAULT_RETENTION,
        enroll_timeout: float = 10.0,
        verify_timeout: float = 5.0,
        time_zone: ZoneInfo | None = None,
        name: str | None = None,
        camera: CameraSource | None = None,
        camera_settings: CameraSettings | None = None,
    ) -> None:
        """Open the lock's database in ``data_dir``; nothing runs until :meth:`start`.

        ``hardware`` is the MCU and the three biometric modules, already open.
        ``time_zone`` is the lock's own (weekly schedules are read in it; default the
        board's), ``name`` the place it is known by (``Front door``), if one was set;
        ``camera`` the camera at the door, if the lock has one.
        """
        self.time_zone = time_zone or local_time_zone()
        self.name = name
        private_dir(data_dir)
        mcu = hardware.mcu
        self._hardware = hardware
        self._clock = clock
        self._store = store = Store(data_dir / "lock.db")
        secret = DeviceSecret.load_or_create(data_dir / "device.key")
        self._state = state = StateAnnouncer(lambda: self.state)
        changed = state.changed
        self.events = events = EventLog(store, clock, retention)
        self._directory = directory = Directory(
            store, events, clock, secret, self.time_zone
        )
        self._visitors = visitors = Visitors(
            store, events, clock, secret, self.time_zone, changed
        )
        self._settings = settings = LockSettings(store, events, mcu, changed)
        self._panel = panel = Panel(mcu)
        self._mechanism = mechanism = Mechanism(
            mcu, events, clock, settings, panel, changed, store
        )
        self._lockout = lockout = Lockout(
            store, clock, lambda: events.append("alarm_cleared", alarm="lockout")
        )
        self._access = access = UnlockDecision(
            directory, visitors, events, lockout, clock, mechanism, panel, settings
        )
        self._templates = templates = Templates(
            hardware,
            directory,
            events,
            lambda kind: self._identification.matching(kind),  # noqa: PLW0108 - built below
            lambda kind: self._identification.release(kind),  # noqa: PLW0108 - built below
        )
        self._clients = Clients(store, events, clock)
        self._pairing_announcer = PairingAnnouncer(events, panel)
        self._pairing = pairing = PairingWindow(
            clock, mcu.info.verification_code, self._pairing_announcer
        )
        # The enroller waits for a running match, which the identification (built
        # last: it routes matches to the keypad) runs.
        self._enroller = enroller = Enroller(
            hardware,
            directory,
            events,
            panel.say,
            lambda kind: self._identification.release(kind),  # noqa: PLW0108 - built below
            enroll_timeout,
        )
        actions = KeypadActions(
            store,
            events,
            settings,
            mechanism,
            panel,
            templates,
            lockout,
            pairing,
            changed,
        )
        self._keypad = keypad = Keypad(
            clock, access, directory, enroller, panel, actions
        )
        self._identification = identification = Identification(
            hardware,
            directory,
            lockout,
            access,
            keypad,
            enroller,
            changed,
            verify_timeout,
        )
        self._mcu_events = McuEvents(
            events,
            keypad,
            mechanism,
            access,
            identification,
            lockout,
            panel,
            changed,
            serial=lambda: mcu.info.serial,
            batch=store.group_commit,
        )
        self.camera = Camera(
            camera,
            camera_settings or CameraSettings(),
            SnapshotStore(data_dir / "snapshots", clock),
            events,
            clock,
            lambda: mechanism.low_battery,
            changed,
        )
        events.subscribe(state.on_event)
        self._running = False  # between start and stop: link changes are announced

    # life cycle

    async def start(self) -> None:
        """Read the hardware, push the settings to it, and start handling events."""
        latest = self.events.latest("unlocked", "locked")
        if latest is not None:
            self._state.on_event(latest)  # the last operation survives restarts
        await self._mechanism.start()
        await self._settings.push()
        self._lockout.start()
        self._visitors.start()
        await self.camera.start()
        self._templates.start()
        self._hardware.mcu.set_event_handler(
            self._mcu_events.handle, self._mcu_events.batch
        )
        hardware = self._hardware
        for device in (
            hardware.mcu,
            hardware.fingerprint,
            hardware.face,
            hardware.palm,
        ):
            device.add_link_listener(self._link_changed)
        self._running = True

    async def stop(self) -> None:
        """Stop timers and background work and close the database; the bolt stays."""
        self._running = False
        await self.camera.stop()
        await self._mechanism.stop()
        self._pairing.close()
        self._lockout.stop()
        self._visitors.stop()
        await self._keypad.stop()
        await self._enroller.stop()
        await self._identification.stop()
        await self._templates.stop()
        await self._pairing_announcer.stop()
        await self._panel.stop()
        self.events.flush()
        self._store.close()

    # what clients read

    @property
    def info(self) -> LockInfo:
        """Return serial, model and firmware (the verification code stays inside)."""
        info = self._hardware.mcu.info
        return LockInfo(info.serial, info.model, info.firmware)

    @property
    def state(self) -> LockState:
        """Return a snapshot of everything Home Assistant shows."""
        mechanism, directory = self._mechanism, self._directory
        return LockState(
            bolt=mechanism.bolt,
            door=mechanism.door,
            battery_percent=mechanism.battery_percent,
            low_battery=mechanism.low_battery,
            power_source=mechanism.power_source,
            tamper=mechanism.tamper,
            wifi_rssi=mechanism.wifi_rssi,
            bluetooth=mechanism.bluetooth,
            lockout_until=self._lockout.until,
            pairing_until=self._pairing.until,
            countdown_lock_at=mechanism.countdown_at,
            settings=self._settings.current,
            admin_exists=directory.admin_exists,
            devices=self._links(),
            users=directory.user_count(),
            credentials={kind: directory.count(kind) for kind in CredentialType},
            visitors=self._visitors.active_now(),
            last_operation=self._state.last_operation,
            last_seq=self.events.last_seq,
            camera=self.camera.status,
        )

    def _link_changed(self, _link: LinkState) -> None:
        """Announce a cable pulled or plugged back: a state of its own (issue #11.5)."""
        if self._running:  # the port logs the change itself
            self._state.changed()

    def _links(self) -> dict[str, LinkState]:
        hardware = self._hardware
        return {
            "mcu": hardware.mcu.link_state,
            "fingerprint": hardware.fingerprint.link_state,
            "face": hardware.face.link_state,
            "palm": hardware.palm.link_state,
        }
