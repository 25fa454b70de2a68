"""``LockCore``: the lock's brain, and the one facade the API layer uses.

It builds the parts of the lock and wires them to the hardware; each API route is one
method here that hands the request to the part it concerns:

- ``mechanism`` (bolt, door, battery, alarms, countdown), ``panel`` (voice, LEDs),
  ``settings`` (stored and pushed to the MCU);
- ``directory`` (users, credentials), ``visitors`` (temporary passwords, Bluetooth
  keys), ``templates`` (the credentials' module templates),
  ``access`` (the unlock decision), ``lockout``, ``pairing`` and ``clients``;
- ``keypad`` (the dialogue) with ``keypad_actions``, ``enroller``, ``identification``;
- ``mcu_events``, the one handler of what the MCU reports; ``state``, its announcer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import logging
from pathlib import Path
from types import EllipsisType
from typing import Any
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
from .errors import (
    AdminRequiredError,
    DuplicateCredentialError,
    EnrollmentBusyError,
    InvalidRequestError,
    NoAdminPinError,
)
from .events import DEFAULT_RETENTION, Event, EventLog
from .identification import Identification
from .keypad import Keypad
from .keypad_actions import KeypadActions
from .limits import COUNTDOWN_SECONDS
from .lockout import Lockout
from .mcu_events import McuEvents
from .mechanism import Mechanism
from .models import (
    Client,
    ClientRole,
    Credential,
    CredentialType,
    Enrollment,
    JsonDict,
    LockInfo,
    LockState,
    Role,
    Settings,
    User,
    VisitorCredential,
    VisitorKind,
)
from .pairing import PairingAnnouncer, PairingWindow
from .panel import Panel
from .schedule import Schedule
from .secrets import DeviceSecret
from .settings import LockSettings
from .snapshots import SnapshotStore
from .state import StateAnnouncer, StateCallback
from .store import Store
from .templates import TemplateReport, Templates
from .unlock_decision import UnlockDecision
from .validation import check_range, parse_enum
from .visitors import Visitors

_LOGGER = logging.getLogger(__name__)

# Settings that decide who can open the door, and how easily.
SECURITY_SETTINGS = frozenset(
    {"remote_unlock_enabled", "lockout_protection", "require_pin_for_remote"}
)

type EventCallback = Callable[[Event], None]


class LockCore:
    """The facade: every API route is one method here (docs/api.md)."""

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
            store, events, clock, secret, self.time_zone
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
        self._templates = templates = Templates(hardware, directory, events)
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
        await self._keypad.stop()
        await self._enroller.stop()
        await self._identification.stop()
        await self._templates.stop()
        await self._pairing_announcer.stop()
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
            users=len(directory.users()),
            credentials={kind: directory.count(kind) for kind in CredentialType},
            visitors=self._visitors.active_now(),
            last_operation=self._state.last_operation,
            last_seq=self.events.last_seq,
            camera=self.camera.status,
        )

    def subscribe(
        self, on_event: EventCallback, on_state: StateCallback
    ) -> Callable[[], None]:
        """Hear every new event and every state change; return the unsubscribe."""
        unsubscribe_events = self.events.subscribe(on_event)
        unsubscribe_state = self._state.subscribe(on_state)

        def unsubscribe() -> None:
            unsubscribe_events()
            unsubscribe_state()

        return unsubscribe

    # bolt (L-43, L-44, L-45)

    async def lock(self, source: str = "remote") -> None:
        """Throw the bolt; ``bolt`` events follow as it moves."""
        await self._mechanism.lock(source, refuse_if_moving=source == "remote")

    async def unlock_remote(self, client_id: str, pin: str | None = None) -> None:
        """Unlock from the app, only while remote unlock is enabled (L-43).

        ``pin``: an admin's password, needed when ``require_pin_for_remote`` is on.
        """
        self._require_admin()
        _LOGGER.info("Remote unlock by client %s", client_id)
        await self._access.remote(pin)

    @property
    def _pin_required(self) -> bool:
        """Whether remote changes need an admin's PIN, which some admin must keep."""
        return self._settings.current.require_pin_for_remote

    async def check_remote_pin(self, pin: str | None, action: str) -> None:
        """Refuse an admin change without a valid admin PIN, when the lock requires one.

        ``pin_required``, ``invalid_pin`` (counted towards the lockout, L-42) or
        ``locked_out``; ``action`` names the change in the ``remote_pin_failed`` event.
        """
        await self._access.check_remote_pin(pin, action)

    async def countdown_lock(self, seconds: int) -> datetime:
        """Lock ``seconds`` from now, once (L-45); return when."""
        check_range("seconds", seconds, COUNTDOWN_SECONDS)
        self._mechanism.start_countdown(seconds)
        return self._clock.now() + timedelta(seconds=seconds)

    # settings

    def get_settings(self) -> Settings:
        """Return the current settings."""
        return self._settings.current

    async def update_settings(self, **changes: Any) -> Settings:
        """Change some settings (validated), store them, and apply them to the lock.

        ``require_pin_for_remote`` is only switched on while some admin has a
        password: otherwise no admin change could ever be sent again.
        """
        if SECURITY_SETTINGS & set(changes):
            # L-26: before the first admin exists the lock is in its initial state and
            # nothing about who can open it may change (issue #11.8).
            self._require_admin()
        if (
            changes.get("require_pin_for_remote") is True
            and self._directory.admin_with_password() is None
        ):
            raise NoAdminPinError(
                "Give an admin a password first: the PIN is an admin's password"
            )
        return await self._settings.update(changes)

    # users (L-20 .. L-28)

    async def list_users(self) -> list[User]:
        """Return every user."""
        return self._directory.users()

    async def get_user(self, number: int) -> User:
        """Return one user (``user_not_found``)."""
        return self._directory.user(number)

    def describe_user(self, user: User) -> JsonDict:
        """Return the API's user object, with the user's credentials."""
        return user.as_dict(self._directory.credentials(user.number))

    async def create_user(
        self,
        name: str,
        role: Role | str = Role.USER,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        schedule: Schedule | None = None,
    ) -> User:
        """Add a user; credentials follow with a password or an enrollment."""
        self._require_admin()
        return self._directory.create_user(
            name, parse_enum(Role, role, "role"), valid_from, valid_until, schedule
        )

    async def update_user(self, number: int, **changes: Any) -> User:
        """Change name, role or validity period (``last_admin``, ``user_not_found``)."""
        if "role" in changes:
            changes["role"] = parse_enum(Role, changes["role"], "role")
        return self._directory.update_user(
            number, changes, keep_admin_pin=self._pin_required
        )

    async def delete_user(self, number: int) -> None:
        """Delete a user, their credentials and their templates (L-27)."""
        await self._templates.delete_user(number, keep_admin_pin=self._pin_required)

    # credentials (L-22 .. L-25, L-29, L-32)

    async def set_password(self, number: int, password: str) -> Credential:
        """Give a user a password (L-25: ``password_policy`` names the broken rule)."""
        self._require_admin()
        return self._directory.set_password(self._directory.user(number), password)

    async def list_credentials(self, user: int | None = None) -> list[Credential]:
        """Return every credential, or one user's."""
        return self._directory.credentials(user)

    def describe_credential(self, credential: Credential) -> JsonDict:
        """Return the API's credential object."""
        return self._directory.describe(credential)

    async def set_duress(self, credential_id: str, duress: bool) -> Credential:
        """Make a credential the duress one (L-29) or not."""
        return self._directory.set_duress(credential_id, duress)

    async def delete_credential(self, credential_id: str) -> None:
        """Delete a credential and its module template."""
        await self._templates.delete_credential(
            credential_id, keep_admin_pin=self._pin_required
        )

    # module templates (templates another host stored, templates a module lost)

    async def check_templates(self) -> list[TemplateReport]:
        """Read every biometric module now and compare it with the lock's credentials."""
        return await self._templates.reports()

    async def delete_templates(
        self, credential_type: CredentialType | str, slots: list[int]
    ) -> TemplateReport:
        """Delete templates no credential owns from a module (``template_in_use``).

        Refused while an enrollment runs (``enrollment_busy``): it may be storing one.
        """
        kind = parse_enum(CredentialType, credential_type, "credential_type")
        if self._enroller.busy:
            raise EnrollmentBusyError("An enrollment is running: try when it has ended")
        return await self._templates.delete_unknown(kind, slots)

    def describe_templates(self, report: TemplateReport) -> JsonDict:
        """Return the API's view of a module's templates."""
        return self._templates.describe(report)

    async def start_enrollment(
        self, number: int, credential_type: CredentialType | str
    ) -> Enrollment:
        """Start enrolling a finger, face or palm at the lock; events report progress."""
        self._require_admin()
        kind = parse_enum(CredentialType, credential_type, "type")
        if kind is CredentialType.PASSWORD:
            raise InvalidRequestError("Use the password route", {"type": "biometric"})
        user = self._directory.user(number)
        if self._keypad.busy:
            raise EnrollmentBusyError("Someone is using the lock's menu")
        return self._enroller.start(user, kind)

    async def cancel_enrollment(self, enrollment_id: str) -> None:
        """Stop a running enrollment; its ``enrollment`` event says ``cancelled``."""
        self._enroller.cancel(enrollment_id)

    # lockout (L-42)

    async def clear_lockout(self) -> None:
        """End the security lockout from the app."""
        self._access.clear_lockout()

    # visitors (L-30, L-31)

    async def list_visitors(self, kind: VisitorKind) -> list[VisitorCredential]:
        """Return every temporary password, or every Bluetooth key, ended ones too.

        Those that ended over the retention time ago are forgotten first: the list is
        only ever seen here, so this is when it is bounded.
        """
        self._visitors.forget_ended()
        return self._visitors.of_kind(kind)

    async def create_visitor(
        self,
        kind: VisitorKind,
        name: str,
        valid_until: datetime,
        valid_from: datetime | None = None,
        max_uses: int | EllipsisType | None = ...,
        schedule: Schedule | None = None,
        code: str | None = None,
    ) -> tuple[VisitorCredential, str]:
        """Create a visitor code or key; the secret is returned now and never again.

        ``max_uses`` defaults to the kind's: one use for a temporary password (L-30).
        ``code`` is a temporary password the owner chose (L-25, no one's password).
        """
        self._require_admin()
        if code is not None and self._directory.match_entry(code):
            raise DuplicateCredentialError("This code is already in use")
        self._visitors.forget_ended()
        return self._visitors.create(
            kind, name, valid_until, valid_from, max_uses, schedule, code
        )

    def describe_visitor(self, visitor: VisitorCredential) -> JsonDict:
        """Return the API's view of a visitor code or key, with its status now."""
        return visitor.as_dict(self._clock.now())

    async def revoke_visitor(self, kind: VisitorKind, visitor_id: str) -> None:
        """Revoke a visitor code or key (kept, listed as revoked); forget an ended one."""
        self._visitors.revoke(kind, visitor_id)

    # pairing and clients (L-65)

    @property
    def pairing_open(self) -> bool:
        """Return whether a client may pair now."""
        return self._pairing.is_open

    @property
    def pairing_until(self) -> datetime | None:
        """Return when the open pairing window closes."""
        return self._pairing.until

    def consume_pairing(self, verification_code: str) -> None:
        """Spend the open window on a correct code (``pairing_closed``, ``invalid_verification_code``)."""
        self._pairing.consume(verification_code)

    def add_client(self, name: str, token_hash: str) -> Client:
        """Remember a client paired just now, by the hash of its token."""
        return self._clients.add(name, token_hash)

    def create_client(
        self, name: str, token_hash: str, role: ClientRole | str
    ) -> Client:
        """Add an ``operate`` client an admin made; its token is shown once (#11.2)."""
        return self._clients.create(
            name, token_hash, parse_enum(ClientRole, role, "role")
        )

    def list_clients(self) -> list[Client]:
        """Return every paired client."""
        return self._clients.list()

    def find_client(self, token_hash: str) -> Client | None:
        """Return the client a token hash belongs to."""
        return self._clients.find(token_hash)

    def touch_client(self, client_id: str) -> None:
        """Record that a client was seen now."""
        self._clients.touch(client_id)

    def revoke_client(self, client_id: str) -> None:
        """Forget a client; its token stops working at once."""
        self._clients.revoke(client_id)

    # helpers

    def _require_admin(self) -> None:
        if not self._directory.admin_exists:
            raise AdminRequiredError("Create the first admin at the lock first (L-26)")

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
