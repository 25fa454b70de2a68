"""``LockCore``: the lock's brain, and the one facade the API layer uses.

It wires the store, the event log, the directory of users and visitors, the unlock
decision, the keypad dialogue and the enrollments to the hardware, and reacts to what
the MCU reports: bolt and door movements, the battery, tamper, power (L-40 to L-67).

Every MCU event is handled once: the MCU resends what it has no ACK for, so the number
of the last handled event is stored with the events it produced, and a resend is
recognised (also after a restart) and only acknowledged.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Coroutine
import contextvars
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum
import logging
from pathlib import Path
from typing import Any

from ezlock_edge.clock import Clock
from ezlock_edge.vocabulary.errors import DeviceError, DeviceTimeout, LivenessFailed
from ezlock_edge.vocabulary.link import LinkState
from ezlock_edge.vocabulary.mcu import (
    BoltState,
    DoorDirection,
    DoorState,
    Key,
    Led,
    LedMode,
    McuEvent,
    McuEventKind,
    Prompt,
    Sensor,
)

from .access import Access, Presented
from .body import Body
from .directory import Directory
from .enrollment import Enroller
from .errors import (
    AdminRequiredError,
    ClientNotFoundError,
    EnrollmentBusyError,
    InvalidRequestError,
    LockOfflineError,
    RemoteUnlockDisabledError,
)
from .events import DEFAULT_RETENTION, Event, EventLog, handling_mcu_event
from .hardware import LockHardware
from .keypad import Keypad, Mode
from .lockout import Lockout
from .models import (
    BluetoothKey,
    Client,
    Credential,
    CredentialType,
    Enrollment,
    JsonDict,
    LastOperation,
    LockInfo,
    LockState,
    Role,
    Settings,
    TemporaryPassword,
    UnlockMethod,
    User,
)
from .pairing import PairingWindow
from .secrets import DeviceSecret, random_id
from .store import Store

_LOGGER = logging.getLogger(__name__)

COUNTDOWN_MIN = 5
COUNTDOWN_MAX = 300
_RECENT_MCU_EVENTS = 64
_SETTINGS_KEY = "settings"
_BIOMETRIC_SENSORS = {
    Sensor.FINGERPRINT: (UnlockMethod.FINGERPRINT, CredentialType.FINGERPRINT),
    Sensor.FACE: (UnlockMethod.FACE, CredentialType.FACE),
    Sensor.PALM: (UnlockMethod.PALM, CredentialType.PALM),
}
_OUTSIDE = frozenset(UnlockMethod) - {UnlockMethod.INSIDE, UnlockMethod.REMOTE}

type EventCallback = Callable[[Event], None]
type StateCallback = Callable[[LockState], None]


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
    ) -> None:
        """Open the lock's database in ``data_dir``; nothing runs until :meth:`start`.

        ``hardware`` is the MCU and the three biometric modules.
        """
        data_dir.mkdir(parents=True, exist_ok=True)
        self._hardware = hardware
        self._clock = clock
        self._verify_timeout = verify_timeout
        self._store = Store(data_dir / "lock.db")
        self._secret = DeviceSecret.load_or_create(data_dir / "device.key")
        self.events = EventLog(self._store, clock, retention)
        self._directory = Directory(self._store, self.events, clock, self._secret)
        self._settings = Settings.from_dict(self._store.get_meta(_SETTINGS_KEY) or {})
        self._lockout = Lockout(self._store, clock, self._lockout_expired)
        self._access = Access(self._directory, self.events, self._lockout, clock, self)
        self._enroller = Enroller(
            hardware,
            self._directory,
            self.events,
            self.say,
            self._release_sensor,
            enroll_timeout,
        )
        self._keypad = Keypad(
            clock, self._access, self._directory, self._enroller, self
        )
        self._pairing: PairingWindow | None = None
        self._recent: deque[int] = deque(maxlen=_RECENT_MCU_EVENTS)
        self._tasks: set[asyncio.Task[None]] = set()
        self._state_callbacks: list[StateCallback] = []
        self._state_pending = False
        self._verifying: dict[Sensor, asyncio.Task[None]] = {}
        self._last_operation: LastOperation | None = None
        self._body = Body(
            hardware.mcu,
            self.events,
            clock,
            self.get_settings,
            self,
            self._state_changed,
        )
        self.events.subscribe(self._on_own_event)

    # life cycle

    async def start(self) -> None:
        """Read the hardware, push the settings to it, and start handling events."""
        mcu = self._hardware.mcu
        self._pairing = PairingWindow(
            self._clock, mcu.info.verification_code, self._pairing_changed
        )
        last = self.events.last_mcu_seq
        if last is not None:
            self._recent.append(last)
        latest = self.events.latest("unlocked", "locked")
        if latest is not None:
            self._on_own_event(latest)  # the state's last operation survives restarts
        await self._body.start()
        await self._apply_settings(self._settings)
        self._lockout.start()
        mcu.set_event_handler(self._on_mcu_event)

    async def stop(self) -> None:
        """Stop timers and background work and close the database; the bolt stays."""
        await self._body.stop()
        if self._pairing is not None:
            self._pairing.close()
        self._lockout.stop()
        await self._keypad.stop()
        await self._enroller.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
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
        temporary, bluetooth = self._directory.active_visitors()
        pairing = self._pairing
        body = self._body
        return LockState(
            bolt=body.bolt,
            door=body.door,
            battery_percent=body.battery_percent,
            low_battery=body.low_battery,
            power_source=body.power_source,
            tamper=body.tamper,
            wifi_rssi=body.wifi_rssi,
            bluetooth=body.bluetooth,
            lockout_until=self._lockout.until,
            pairing_until=pairing.until if pairing is not None else None,
            countdown_lock_at=body.countdown_at,
            settings=self._settings,
            admin_exists=self._directory.admin_exists,
            devices=self._links(),
            users=len(self._directory.users()),
            credentials={kind: self._directory.count(kind) for kind in CredentialType},
            temporary_passwords=temporary,
            bluetooth_keys=bluetooth,
            last_operation=self._last_operation,
            last_seq=self.events.last_seq,
        )

    def subscribe(
        self, on_event: EventCallback, on_state: StateCallback
    ) -> Callable[[], None]:
        """Hear every new event and every state change; return the unsubscribe."""
        unsubscribe_events = self.events.subscribe(on_event)
        self._state_callbacks.append(on_state)

        def unsubscribe() -> None:
            unsubscribe_events()
            self._state_callbacks.remove(on_state)

        return unsubscribe

    # bolt (L-43, L-44, L-45)

    async def lock(self, source: str = "remote") -> None:
        """Throw the bolt; ``bolt`` events follow as it moves."""
        self._body.expect(BoltState.LOCKED)  # before: the bolt may report at once
        try:
            await self._hardware.mcu.lock()
        except DeviceError as err:
            self._body.expect(None)
            raise LockOfflineError("The lock does not answer") from err
        self.events.append("locked", source=source)

    async def unlock_remote(self, client_id: str) -> None:
        """Unlock from the app, only while remote unlock is enabled (L-43)."""
        self._require_admin()
        if not self._settings.remote_unlock_enabled:
            self.events.append(
                "unlock_failed",
                method=UnlockMethod.REMOTE.value,
                reason="disabled",
                user=None,
                credential_id=None,
                slot=None,
            )
            raise RemoteUnlockDisabledError("Remote unlock is disabled in the settings")
        _LOGGER.info("Remote unlock by client %s", client_id)
        await self._access.remote()

    async def countdown_lock(self, seconds: int) -> datetime:
        """Lock ``seconds`` from now, once (L-45); return when."""
        _check_range("seconds", seconds, COUNTDOWN_MIN, COUNTDOWN_MAX)
        self._body.start_countdown(seconds)
        return self._clock.now() + timedelta(seconds=seconds)

    # settings

    def get_settings(self) -> Settings:
        """Return the current settings."""
        return self._settings

    async def update_settings(self, **changes: Any) -> Settings:
        """Change some settings (validated), store them, and apply them to the lock."""
        settings = _validated(self._settings, changes)
        await self._change_settings(settings)
        return settings

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
    ) -> User:
        """Add a user; credentials follow with a password or an enrollment."""
        self._require_admin()
        return self._directory.create_user(
            name, _parse(Role, role, "role"), valid_from, valid_until
        )

    async def update_user(self, number: int, **changes: Any) -> User:
        """Change name, role or validity period (``last_admin``, ``user_not_found``)."""
        if "role" in changes:
            changes["role"] = _parse(Role, changes["role"], "role")
        return self._directory.update_user(number, changes)

    async def delete_user(self, number: int) -> None:
        """Delete a user, their credentials and their templates (L-27)."""
        for credential in self._directory.delete_user(number):
            await self._forget_template(credential)

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
        await self._forget_template(self._directory.delete_credential(credential_id))

    async def start_enrollment(
        self, number: int, credential_type: CredentialType | str
    ) -> Enrollment:
        """Start enrolling a finger, face or palm at the lock; events report progress."""
        self._require_admin()
        kind = _parse(CredentialType, credential_type, "type")
        if kind is CredentialType.PASSWORD:
            raise InvalidRequestError("Use the password route", {"type": "biometric"})
        user = self._directory.user(number)
        if self._keypad.busy:
            raise EnrollmentBusyError("Someone is using the lock's menu")
        return self._enroller.start(user, kind)

    # lockout (L-42)

    async def clear_lockout(self) -> None:
        """End the security lockout from the app."""
        if self._lockout.clear():
            self.events.append("alarm_cleared", alarm="lockout")

    # visitors (L-30, L-31)

    async def list_temporary_passwords(self) -> list[TemporaryPassword]:
        """Return every temporary password."""
        return self._directory.temporary_passwords()

    async def create_temporary_password(
        self,
        name: str,
        valid_until: datetime,
        valid_from: datetime | None = None,
        max_uses: int | None = 1,
    ) -> tuple[TemporaryPassword, str]:
        """Create a visitor code; the code is returned now and never again."""
        self._require_admin()
        return self._directory.create_temporary_password(
            name, valid_until, valid_from, max_uses
        )

    async def revoke_temporary_password(self, temporary_id: str) -> None:
        """Revoke a visitor code."""
        self._directory.revoke_temporary_password(temporary_id)

    async def list_bluetooth_keys(self) -> list[BluetoothKey]:
        """Return every Bluetooth key."""
        return self._directory.bluetooth_keys()

    async def create_bluetooth_key(
        self, name: str, valid_until: datetime, valid_from: datetime | None = None
    ) -> tuple[BluetoothKey, str]:
        """Create a visitor Bluetooth key; the key is returned now and never again."""
        self._require_admin()
        return self._directory.create_bluetooth_key(name, valid_until, valid_from)

    async def revoke_bluetooth_key(self, key_id: str) -> None:
        """Revoke a Bluetooth key."""
        self._directory.revoke_bluetooth_key(key_id)

    # pairing and clients (L-65)

    @property
    def pairing_open(self) -> bool:
        """Return whether a client may pair now."""
        return self._pairing is not None and self._pairing.is_open

    @property
    def pairing_until(self) -> datetime | None:
        """Return when the open pairing window closes."""
        return self._pairing.until if self._pairing is not None else None

    def consume_pairing(self, verification_code: str) -> None:
        """Spend the open window on a correct code (``pairing_closed``, ``invalid_verification_code``)."""
        if self._pairing is None:
            raise LockOfflineError("The lock has not started")
        self._pairing.consume(verification_code)

    def add_client(self, name: str, token_hash: str) -> Client:
        """Remember a client paired just now, by the hash of its token."""
        with self._store.transaction():
            client = self._store.add_client(
                random_id("c"), name, token_hash, self._clock.now()
            )
            self.events.append("pairing", status="paired", client_id=client.id)
        return client

    def list_clients(self) -> list[Client]:
        """Return every paired client."""
        return self._store.list_clients()

    def find_client(self, token_hash: str) -> Client | None:
        """Return the client a token hash belongs to."""
        return self._store.find_client(token_hash)

    def touch_client(self, client_id: str) -> None:
        """Record that a client was seen now."""
        self._store.touch_client(client_id, self._clock.now())

    def revoke_client(self, client_id: str) -> None:
        """Forget a client; its token stops working at once."""
        with self._store.transaction():
            if not self._store.revoke_client(client_id):
                raise ClientNotFoundError(f"No client {client_id}")
            self.events.append("client_revoked", client_id=client_id)

    # what the keypad dialogue and the unlock decision ask of the lock

    @property
    def lockout_protection(self) -> bool:
        """Return whether failures count towards a lockout (L-42)."""
        return self._settings.lockout_protection

    async def say(self, prompt: Prompt) -> None:
        """Speak a prompt (dropped by the MCU while muted, L-48)."""
        await self._quietly(self._hardware.mcu.play(prompt))

    async def light(self, keys: Collection[Key | Led], mode: LedMode) -> None:
        """Light, blink or darken keypad LEDs."""
        await self._quietly(self._hardware.mcu.set_leds(keys, mode))

    async def dark(self) -> None:
        """Darken the keypad, keeping the pairing and low-battery blinks."""
        await self._quietly(self._hardware.mcu.clear_leds())
        if self.pairing_open:
            await self.light([Key.DIGIT_0], LedMode.BLINK)
        if self._body.low_battery:
            await self.light([Led.LOW_BATTERY], LedMode.BLINK)

    async def unlock_bolt(self) -> None:
        """Retract the bolt for the configured door direction (L-46)."""
        self._body.expect(BoltState.UNLOCKED)  # before: the bolt may report at once
        try:
            await self._hardware.mcu.unlock(self._settings.door_direction)
        except DeviceError as err:
            self._body.expect(None)
            raise LockOfflineError("The lock does not answer") from err

    async def after_unlock(self, method: UnlockMethod) -> None:
        """Disarm away mode (L-47), end the mute (L-48), start the countdown (L-45)."""
        changes: dict[str, Any] = {}
        if method in _OUTSIDE and self._settings.away_mode:
            changes["away_mode"] = False
        if method.from_outside_by_person and self._settings.muted:
            changes["muted"] = False
        if changes:
            await self._change_settings(replace(self._settings, **changes))
        if method not in {UnlockMethod.INSIDE, UnlockMethod.MECHANICAL_KEY}:
            await self.say(Prompt.DOOR_UNLOCKED)
        if self._settings.countdown_lock_enabled:
            self._body.start_countdown(self._settings.countdown_lock_seconds)

    async def lock_from_outside(self) -> None:
        """L-44: confirm on the keypad locks a closed, unlocked door."""
        if self._body.door is DoorState.OPEN:
            await self.say(Prompt.DOOR_NOT_LOCKED)
            return
        try:
            await self.lock("keypad")
        except LockOfflineError:
            return
        await self.say(Prompt.DOOR_LOCKED)

    async def arm_away(self) -> None:
        """L-47: arm away mode from the keypad."""
        await self._change_settings(replace(self._settings, away_mode=True))
        await self.say(Prompt.AWAY_MODE_ON)

    async def mute_once(self) -> None:
        """L-48: the keypad flashes twice and prompts go silent."""
        await self.light(Key, LedMode.BLINK)
        await self.dark()
        await self._change_settings(replace(self._settings, muted=True))

    async def doorbell(self) -> None:
        """L-49: ring."""
        self.events.append("doorbell")
        await self.say(Prompt.DOORBELL)

    async def choose_door_direction(self, direction: DoorDirection) -> None:
        """L-46: chosen on the keypad at installation."""
        await self._change_settings(replace(self._settings, door_direction=direction))

    async def open_pairing(self) -> None:
        """L-65: a long press on SET opens the 3-minute window."""
        if self._pairing is not None:
            self._pairing.open()
            self._state_changed()

    async def factory_reset(self) -> None:
        """L-63: delete every user, credential, visitor, client and setting."""
        hardware = self._hardware
        for module in (hardware.fingerprint, hardware.face, hardware.palm):
            await self._quietly(module.delete_all())
        with self._store.transaction():
            self._store.wipe()
            self.events.append("factory_reset")
        self._lockout.clear()
        if self._pairing is not None:
            self._pairing.close()
        self._settings = Settings()
        await self._apply_settings(self._settings)
        await self.say(Prompt.FACTORY_RESET_DONE)

    async def system_info(self) -> None:
        """L-64: the lock reads out serial number, firmware and verification code."""
        await self.say(Prompt.SYSTEM_INFO)

    # MCU events

    async def _on_mcu_event(self, event: McuEvent) -> None:
        if event.seq in self._recent:
            _LOGGER.debug("MCU event %d was handled already", event.seq)
            return
        self._recent.append(event.seq)
        with handling_mcu_event(event.seq):
            try:
                await self._dispatch(event)
            except Exception:
                # Raising would keep the event unacknowledged and resent forever.
                _LOGGER.exception("Handling MCU event %s failed", event.kind.name)

    async def _dispatch(self, event: McuEvent) -> None:
        kind = event.kind
        if kind is McuEventKind.KEY and event.key is not None:
            await self._keypad.key(event.key, event.long_press)
        elif kind is McuEventKind.KEYPAD_WAKE:
            await self._keypad.wake()
            if self._body.low_battery:
                await self.say(Prompt.LOW_BATTERY)
            if not self._lockout.active:
                self._identify(Sensor.FACE, manual=True)  # L-10: manual trigger
        elif kind is McuEventKind.KEYPAD_SLEEP:
            await self._keypad.sleep()
        elif kind is McuEventKind.SET_BUTTON and event.set_press is not None:
            await self._keypad.set_button(event.set_press)
        elif kind is McuEventKind.LOCK_BUTTON:
            await self._quietly(self.lock("lock_button"))
        elif kind is McuEventKind.DOOR and event.door is not None:
            await self._body.door_moved(event.door)
        elif kind is McuEventKind.BOLT and event.bolt is not None:
            await self._body.bolt_moved(event.bolt)
        elif kind is McuEventKind.TAMPER:
            await self._body.tampered()
        elif kind is McuEventKind.BATTERY and event.battery_percent is not None:
            await self._body.battery_report(event.battery_percent, event.low_battery)
        elif kind is McuEventKind.MECHANICAL_KEY:
            self._body.key_turned()
        elif kind is McuEventKind.EMERGENCY_POWER:
            self._body.power_report(event.connected)
        elif kind is McuEventKind.BLUETOOTH_KEY and event.bluetooth_key is not None:
            self._body.bluetooth_connected()
            await self._access.bluetooth(event.bluetooth_key)
        elif kind is McuEventKind.SENSOR_WAKE and event.sensor is not None:
            self._identify(event.sensor, manual=False)
        self._state_changed()

    def _identify(self, sensor: Sensor, *, manual: bool) -> None:
        """Start matching whoever is at a biometric sensor, in the background."""
        if (
            sensor in self._verifying
            or self._enroller.busy
            or not self._directory.admin_exists
            or self._keypad.mode not in {Mode.IDLE, Mode.VERIFY_ADMIN}
        ):
            return
        self._verifying[sensor] = self._spawn(self._run_identify(sensor, manual))

    async def _run_identify(self, sensor: Sensor, manual: bool) -> None:
        method, kind = _BIOMETRIC_SENSORS[sensor]
        try:
            if self._lockout.active and self._keypad.mode is Mode.IDLE:
                if not manual:
                    await self._access.attempt(Presented(method))
                return
            slot: int | None = None
            spoofed = False
            try:
                slot = await self._match(sensor)
            except LivenessFailed:
                spoofed = True
            except DeviceTimeout:
                return  # nobody came close enough
            presented = replace(
                self._access.by_slot(method, kind, slot), spoofed=spoofed
            )
            if self._keypad.mode is Mode.VERIFY_ADMIN:
                await self._keypad.admin_presented(presented)
            elif self._keypad.mode is Mode.IDLE:
                await self._access.attempt(presented)
        except DeviceError as err:
            _LOGGER.warning("Biometric match on %s failed: %s", sensor.name, err)
        finally:
            self._verifying.pop(sensor, None)
            self._state_changed()

    async def _match(self, sensor: Sensor) -> int | None:
        hardware = self._hardware
        if sensor is Sensor.FINGERPRINT:
            finger = await hardware.fingerprint.identify()
            return finger.slot if finger is not None else None
        module = hardware.face if sensor is Sensor.FACE else hardware.palm
        match = await module.verify(timeout=self._verify_timeout)
        return match.slot if match is not None else None

    # settings

    async def _change_settings(self, settings: Settings) -> None:
        old = self._settings.as_dict()
        changes = {k: v for k, v in settings.as_dict().items() if old[k] != v}
        if not changes:
            return
        with self._store.transaction():
            self._store.set_meta(_SETTINGS_KEY, settings.as_dict())
            self.events.append("settings_changed", changes=changes)
            if "away_mode" in changes:
                self.events.append("away_mode", armed=settings.away_mode)
            if "muted" in changes:
                self.events.append("mute", muted=settings.muted)
        previous, self._settings = self._settings, settings
        if previous.lockout_protection and not settings.lockout_protection:
            await self.clear_lockout()
        if previous.countdown_lock_enabled and not settings.countdown_lock_enabled:
            self._body.stop_countdown()
        if not settings.away_mode:
            self._body.clear_alarm("away_intrusion")
        await self._apply_settings(settings, set(changes))
        self._state_changed()

    async def _apply_settings(
        self, settings: Settings, changed: set[str] | None = None
    ) -> None:
        """Push settings to the MCU; they are re-applied at every start."""
        mcu = self._hardware.mcu
        if changed is None:
            changed = set(settings.as_dict())
        if {"volume", "muted"} & changed:
            await self._quietly(
                mcu.set_volume(0 if settings.muted else settings.volume)
            )
        if "wifi_enabled" in changed:
            await self._quietly(mcu.set_wifi(settings.wifi_enabled))
        if "door_direction" in changed:
            await self._quietly(mcu.set_door_direction(settings.door_direction))

    # helpers

    def _require_admin(self) -> None:
        if not self._directory.admin_exists:
            raise AdminRequiredError("Create the first admin at the lock first (L-26)")

    async def _forget_template(self, credential: Credential) -> None:
        if credential.slot is None:
            return
        hardware = self._hardware
        if credential.type is CredentialType.FINGERPRINT:
            await self._quietly(hardware.fingerprint.delete(credential.slot))
        else:
            module = (
                hardware.face
                if credential.type is CredentialType.FACE
                else hardware.palm
            )
            await self._quietly(module.delete(credential.slot))

    async def _release_sensor(self, kind: CredentialType) -> None:
        """Let a match running on the module an enrollment needs finish first.

        The module does one thing at a time and a match cannot be taken back halfway,
        so the enrollment waits (at most the match's own timeout).
        """
        sensor = {v[1]: k for k, v in _BIOMETRIC_SENSORS.items()}[kind]
        task = self._verifying.get(sensor)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    def _links(self) -> dict[str, LinkState]:
        hardware = self._hardware
        return {
            "mcu": hardware.mcu.link_state,
            "fingerprint": hardware.fingerprint.link_state,
            "face": hardware.face.link_state,
            "palm": hardware.palm.link_state,
        }

    def _lockout_expired(self) -> None:
        self.events.append("alarm_cleared", alarm="lockout")

    def _pairing_changed(self, opened: bool) -> None:
        self.events.append("pairing", status="opened" if opened else "closed")
        if opened:
            self._spawn(self._pairing_opened())
        else:
            self._spawn(self._pairing_closed())

    async def _pairing_opened(self) -> None:
        await self.say(Prompt.PAIRING_MODE)
        await self.light([Key.DIGIT_0], LedMode.BLINK)

    async def _pairing_closed(self) -> None:
        await self.light([Key.DIGIT_0], LedMode.OFF)
        await self.say(Prompt.PAIRING_ENDED)

    def _on_own_event(self, event: Event) -> None:
        if event.type == "unlocked":
            self._last_operation = LastOperation(
                "unlocked", event.data["method"], None, event.data["user"], event.time
            )
        elif event.type == "locked":
            self._last_operation = LastOperation(
                "locked", None, event.data["source"], None, event.time
            )
        self._state_changed()

    def _state_changed(self) -> None:
        """Tell state subscribers, once per loop iteration however much changed."""
        if self._state_pending or not self._state_callbacks:
            return
        self._state_pending = True
        asyncio.get_running_loop().call_soon(self._announce_state)

    def _announce_state(self) -> None:
        self._state_pending = False
        state = self.state
        for callback in list(self._state_callbacks):
            try:
                callback(state)
            except Exception:
                _LOGGER.exception("State subscriber failed")

    async def _quietly(self, operation: Awaitable[None]) -> None:
        """Run a hardware operation whose failure must not stop the dialogue."""
        try:
            await operation
        except (DeviceError, LockOfflineError) as err:
            _LOGGER.warning("Lock operation failed: %s", err)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(
            coroutine, context=contextvars.Context()
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


def _parse[E: StrEnum](enum: type[E], value: Any, field: str) -> E:
    """Read an enum value from a client, refusing unknown ones as a bad request."""
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidRequestError(f"Unknown {field}", {field: choices}) from None


def _check_range(name: str, value: Any, low: int, high: int) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        raise InvalidRequestError(
            f"{name} must be {low}-{high}", {name: f"{low}-{high}"}
        )


def _validated(current: Settings, changes: dict[str, Any]) -> Settings:
    """Return ``current`` with ``changes``, refusing unknown fields and bad values."""
    fields: dict[str, str] = {}
    values = current.as_dict()
    for name, value in changes.items():
        if name not in values:
            fields[name] = "unknown setting"
        elif name == "countdown_lock_seconds":
            try:
                _check_range(name, value, COUNTDOWN_MIN, COUNTDOWN_MAX)
            except InvalidRequestError as err:
                fields.update(err.fields)
        elif name == "volume":
            try:
                _check_range(name, value, 0, 3)
            except InvalidRequestError as err:
                fields.update(err.fields)
        elif name == "door_direction":
            if isinstance(value, DoorDirection):
                values[name] = value.name.lower()
                continue
            if value not in {"left", "right"}:
                fields[name] = "left or right"
        elif not isinstance(value, bool):
            fields[name] = "true or false"
        values[name] = value
    if fields:
        raise InvalidRequestError("Invalid settings", fields)
    return Settings.from_dict(values)
