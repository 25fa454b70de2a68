"""The ``state`` object: everything the entities show (docs/api.md, The state object)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Self

from ._reader import Reader
from .errors import EzlockProtocolError
from .people import CredentialType, UserRef
from .settings import SETTING_NAMES, DoorDirection, Settings
from .visitors import VisitorKind, VisitorRef


class BoltState(StrEnum):
    """The bolt motor (L-01)."""

    LOCKED = "locked"
    UNLOCKED = "unlocked"
    LOCKING = "locking"
    UNLOCKING = "unlocking"
    JAMMED = "jammed"
    UNKNOWN = "unknown"


class DoorState(StrEnum):
    """The door sensor (L-02)."""

    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"


class PowerSource(StrEnum):
    """Battery, or the emergency USB-C port (L-08)."""

    BATTERY = "battery"
    EMERGENCY = "emergency"


class BluetoothState(StrEnum):
    """The Bluetooth radio (L-12)."""

    OFF = "off"
    IDLE = "idle"
    CONNECTED = "connected"


class Link(StrEnum):
    """A hardware link of the lock: a key of the state's ``devices``."""

    MCU = "mcu"
    FINGERPRINT = "fingerprint"
    FACE = "face"
    PALM = "palm"


@dataclass(frozen=True, slots=True)
class CredentialCount:
    """How many credentials of one type are enrolled, against the lock's capacity."""

    count: int
    capacity: int


@dataclass(frozen=True, slots=True)
class LastOperation:
    """The last unlock (with its method) or lock (with its source)."""

    type: str
    method: str | None
    source: str | None
    user: UserRef | None
    time: datetime | None
    visitor: VisitorRef | None = None

    @property
    def who(self) -> str | None:
        """The person's or the visitor code's name, if the lock knows one."""
        if self.user is not None:
            return self.user.name
        return self.visitor.name if self.visitor is not None else None

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse the ``last_operation`` object."""
        return cls(
            type=reader.text("type"),
            method=reader.optional_text("method"),
            source=reader.optional_text("source"),
            user=UserRef.optional(reader, "user"),
            time=reader.optional_time("time"),
            visitor=VisitorRef.optional(reader, "visitor"),
        )


class CameraReason(StrEnum):
    """Why the camera at the door is off (L-13, L-62)."""

    LOW_BATTERY = "low_battery"
    NOT_CONFIGURED = "not_configured"
    DEVICE_ERROR = "device_error"


@dataclass(frozen=True, slots=True, kw_only=True)
class CameraStatus:
    """The state's ``camera`` object: whether the live view can be watched now."""

    reason: CameraReason | None
    viewers: int
    width: int
    height: int
    fps: int

    @property
    def available(self) -> bool:
        """Whether snapshot and stream answer with pictures."""
        return self.reason is None

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse the ``camera`` object (``available`` must agree with ``reason``)."""
        reason_text = reader.optional_text("reason")
        try:
            reason = None if reason_text is None else CameraReason(reason_text)
        except ValueError:
            raise EzlockProtocolError(
                f"{reader.path}.reason: unknown reason {reason_text!r}"
            ) from None
        if reader.boolean("available") is not (reason is None):
            raise EzlockProtocolError(f"{reader.path}: available contradicts reason")
        return cls(
            reason=reason,
            viewers=reader.integer("viewers", 0),
            width=reader.integer("width", 1),
            height=reader.integer("height", 1),
            fps=reader.integer("fps", 1),
        )


# Read at every state push: the members once, not through the enum's iterator.
_CREDENTIAL_TYPES = tuple(CredentialType)


def _count(counts: Reader, kind: CredentialType) -> CredentialCount:
    count = counts.child(kind.value)
    return CredentialCount(
        count=count.integer("count", 0), capacity=count.integer("capacity", 0)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LockState:
    """The ``state`` object: everything entities show (docs/api.md, The state object)."""

    bolt: BoltState
    door: DoorState
    battery_percent: int
    low_battery: bool
    power_source: PowerSource
    tamper: bool
    wifi_enabled: bool
    wifi_rssi: int | None
    bluetooth: BluetoothState
    door_direction: DoorDirection
    lockout_active: bool
    lockout_until: datetime | None
    pairing_open: bool
    pairing_until: datetime | None
    away_mode: bool
    muted: bool
    volume: int
    remote_unlock_enabled: bool
    lockout_protection: bool
    require_pin_for_remote: bool
    countdown_lock_enabled: bool
    countdown_lock_seconds: int
    countdown_lock_at: datetime | None
    admin_exists: bool
    devices: Mapping[str, str]
    users: int
    credentials: Mapping[CredentialType, CredentialCount]
    temporary_passwords: int
    bluetooth_keys: int
    last_operation: LastOperation | None
    last_seq: int
    camera: CameraStatus

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse the state object."""
        reader = Reader(data, "state")
        counts = reader.child("credentials")
        last = reader.optional_child("last_operation")
        settings = Settings.from_reader(reader)
        return cls(
            bolt=reader.choice("bolt", BoltState),
            door=reader.choice("door", DoorState),
            battery_percent=reader.integer("battery_percent", 0),
            low_battery=reader.boolean("low_battery"),
            power_source=reader.choice("power_source", PowerSource),
            tamper=reader.boolean("tamper"),
            wifi_rssi=reader.optional_integer("wifi_rssi"),
            bluetooth=reader.choice("bluetooth", BluetoothState),
            lockout_active=reader.boolean("lockout_active"),
            lockout_until=reader.optional_time("lockout_until"),
            pairing_open=reader.boolean("pairing_open"),
            pairing_until=reader.optional_time("pairing_until"),
            countdown_lock_at=reader.optional_time("countdown_lock_at"),
            admin_exists=reader.boolean("admin_exists"),
            devices=reader.text_mapping("devices"),
            users=reader.child("users").integer("count", 0),
            credentials={kind: _count(counts, kind) for kind in _CREDENTIAL_TYPES},
            temporary_passwords=reader.integer("temporary_passwords", 0),
            bluetooth_keys=reader.integer("bluetooth_keys", 0),
            last_operation=None if last is None else LastOperation.from_reader(last),
            last_seq=reader.integer("last_seq", 0),
            camera=CameraStatus.from_reader(reader.child("camera")),
            **{name: getattr(settings, name) for name in SETTING_NAMES},
        )

    def connected(self, link: Link) -> bool:
        """Whether ``link`` is up; one the state does not name counts as down."""
        return self.devices.get(link) == "connected"

    @property
    def settings(self) -> Settings:
        """The settings this state shows."""
        return Settings(**{name: getattr(self, name) for name in SETTING_NAMES})

    def with_settings(self, settings: Settings) -> Self:
        """Return this state with ``settings`` (what ``PATCH /settings`` confirmed)."""
        return replace(
            self, **{name: getattr(settings, name) for name in SETTING_NAMES}
        )

    def visitors(self, kind: VisitorKind) -> int:
        """How many visitor credentials of ``kind`` are active."""
        if kind is VisitorKind.TEMPORARY_PASSWORD:
            return self.temporary_passwords
        return self.bluetooth_keys
