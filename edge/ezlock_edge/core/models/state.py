"""What the lock reports about itself: its identity, its camera and the state snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ezlock_edge.vocabulary.link import LinkState
from ezlock_edge.vocabulary.mcu import BluetoothState, BoltState, DoorState, PowerSource

from .operations import LastOperation
from .people import CAPACITY, CredentialType
from .rendering import JsonDict, iso
from .settings import Settings
from .visitors import VisitorKind


class CameraReason(StrEnum):
    """Why the camera is off (the state's ``camera.reason``)."""

    LOW_BATTERY = "low_battery"  # L-13, L-62: below 20 %
    NOT_CONFIGURED = "not_configured"  # the lock has no camera
    DEVICE_ERROR = "device_error"  # the camera does not deliver frames


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """Whether the live view can be watched now, and how it is set up."""

    reason: CameraReason | None
    viewers: int
    width: int
    height: int
    fps: int

    @property
    def available(self) -> bool:
        """Whether the snapshot and stream routes answer with pictures."""
        return self.reason is None

    def as_dict(self) -> JsonDict:
        """Return the state's ``camera`` object."""
        return {
            "available": self.available,
            "reason": self.reason.value if self.reason is not None else None,
            "viewers": self.viewers,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
        }


@dataclass(frozen=True, slots=True)
class LockInfo:
    """What the lock says about itself; the verification code stays inside the core."""

    serial: str
    model: str
    firmware: str


@dataclass(frozen=True, slots=True)
class LockState:
    """A snapshot of everything Home Assistant shows (docs/api.md, the state object)."""

    bolt: BoltState
    door: DoorState
    battery_percent: int
    low_battery: bool
    power_source: PowerSource
    tamper: bool
    wifi_rssi: int | None
    bluetooth: BluetoothState
    lockout_until: datetime | None
    pairing_until: datetime | None
    countdown_lock_at: datetime | None
    settings: Settings
    admin_exists: bool
    devices: Mapping[str, LinkState]
    users: int
    credentials: Mapping[CredentialType, int]
    visitors: Mapping[VisitorKind, int]  # active now, by kind
    last_operation: LastOperation | None
    last_seq: int
    camera: CameraStatus

    def as_dict(self) -> JsonDict:
        """Return the API's state object."""
        settings = self.settings
        return {
            "bolt": self.bolt.name.lower(),
            "door": self.door.name.lower(),
            "battery_percent": self.battery_percent,
            "low_battery": self.low_battery,
            "power_source": self.power_source.name.lower(),
            "tamper": self.tamper,
            "wifi_enabled": settings.wifi_enabled,
            "wifi_rssi": self.wifi_rssi if settings.wifi_enabled else None,
            "bluetooth": self.bluetooth.name.lower(),
            "door_direction": settings.door_direction.name.lower(),
            "lockout_active": self.lockout_until is not None,
            "lockout_until": iso(self.lockout_until),
            "pairing_open": self.pairing_until is not None,
            "pairing_until": iso(self.pairing_until),
            "away_mode": settings.away_mode,
            "muted": settings.muted,
            "volume": settings.volume,
            "remote_unlock_enabled": settings.remote_unlock_enabled,
            "lockout_protection": settings.lockout_protection,
            "require_pin_for_remote": settings.require_pin_for_remote,
            "countdown_lock_enabled": settings.countdown_lock_enabled,
            "countdown_lock_seconds": settings.countdown_lock_seconds,
            "countdown_lock_at": iso(self.countdown_lock_at),
            "admin_exists": self.admin_exists,
            "devices": {name: link.value for name, link in self.devices.items()},
            "users": {"count": self.users},
            "credentials": {
                kind.value: {"count": self.credentials.get(kind, 0), "capacity": cap}
                for kind, cap in CAPACITY.items()
            },
            "temporary_passwords": self.visitors[VisitorKind.TEMPORARY_PASSWORD],
            "bluetooth_keys": self.visitors[VisitorKind.BLUETOOTH_KEY],
            "last_operation": (
                self.last_operation.as_dict() if self.last_operation else None
            ),
            "last_seq": self.last_seq,
            "camera": self.camera.as_dict(),
        }
