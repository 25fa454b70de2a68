"""What the lock core remembers and reports: users, credentials, settings, visitors, state.

Each model knows how to show itself to a client (``as_dict``); secrets (password hashes,
codes, token hashes) are never part of that view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from ezlock_edge.vocabulary.link import LinkState
from ezlock_edge.vocabulary.mcu import (
    BluetoothState,
    BoltState,
    DoorDirection,
    DoorState,
    PowerSource,
)

from .schedule import NO_SCHEDULE, Schedule

type JsonDict = dict[str, Any]


class Role(StrEnum):
    """L-20: an admin also enters the menu and manages the lock."""

    ADMIN = "admin"
    USER = "user"


class CredentialType(StrEnum):
    """How a person proves who they are at the lock."""

    PASSWORD = "password"  # noqa: S105
    FINGERPRINT = "fingerprint"
    FACE = "face"
    PALM = "palm"


class UnlockMethod(StrEnum):
    """How the door was opened (L-40), as the ``unlocked`` event names it."""

    FACE = "face"
    PALM = "palm"
    FINGERPRINT = "fingerprint"
    PASSWORD = "password"  # noqa: S105
    TEMPORARY_PASSWORD = "temporary_password"  # noqa: S105
    BLUETOOTH = "bluetooth"
    MECHANICAL_KEY = "mechanical_key"
    REMOTE = "remote"
    INSIDE = "inside"

    @property
    def from_outside_by_person(self) -> bool:
        """L-48: these end the one-time mute (a registered face, palm, finger, password)."""
        return self in _PERSONAL

    @property
    def from_outside(self) -> bool:
        """Whether the person stood at the door (everything but inside and remote)."""
        return self not in {UnlockMethod.INSIDE, UnlockMethod.REMOTE}


_PERSONAL = frozenset(
    {
        UnlockMethod.FACE,
        UnlockMethod.PALM,
        UnlockMethod.FINGERPRINT,
        UnlockMethod.PASSWORD,
    }
)

# L-22: lock-wide capacity per type; L-23: per-user limits.
CAPACITY: Mapping[CredentialType, int] = {
    CredentialType.FACE: 50,
    CredentialType.PALM: 50,
    CredentialType.FINGERPRINT: 50,
    CredentialType.PASSWORD: 50,
}
PER_USER_LIMIT: Mapping[CredentialType, int] = {
    CredentialType.FACE: 3,
    CredentialType.PALM: 2,
    CredentialType.FINGERPRINT: 5,
    CredentialType.PASSWORD: 1,
}


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


def iso(moment: datetime | None) -> str | None:
    """Render a time for a client (ISO-8601, UTC offset)."""
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True, slots=True)
class User:
    """A person known to the lock (L-20, L-21, L-28)."""

    number: int
    name: str
    role: Role
    valid_from: datetime | None
    valid_until: datetime | None
    created: datetime
    schedule: Schedule = NO_SCHEDULE

    @property
    def ref(self) -> JsonDict:
        """How events and credentials point at this user."""
        return {"number": self.number, "name": self.name}

    def refusal(self, moment: datetime, zone: tzinfo) -> str | None:
        """Why the user's credentials do not open now, or None when they do.

        L-28: outside the validity period (``not_yet_valid``, ``expired``) none of the
        user's credentials opens; nor outside the weekly schedule (``outside_schedule``).
        """
        return _window_refusal(self.valid_from, self.valid_until, moment) or (
            None if self.schedule.allows(moment, zone) else "outside_schedule"
        )

    def as_dict(self, credentials: list[Credential]) -> JsonDict:
        """Return the API's user object."""
        return {
            "number": self.number,
            "name": self.name,
            "role": self.role.value,
            "valid_from": iso(self.valid_from),
            "valid_until": iso(self.valid_until),
            "schedule": self.schedule.as_list(),
            "created": iso(self.created),
            "credentials": [cred.as_dict(self) for cred in credentials],
        }


def _window_refusal(
    start: datetime | None, end: datetime | None, moment: datetime
) -> str | None:
    if start is not None and moment < start:
        return "not_yet_valid"
    if end is not None and moment >= end:
        return "expired"
    return None


@dataclass(frozen=True, slots=True)
class Credential:
    """A password (kept as a keyed hash) or a biometric template slot (L-32)."""

    id: str
    user_number: int
    type: CredentialType
    slot: int | None
    duress: bool
    created: datetime
    secret_hash: bytes | None = field(default=None, repr=False)

    def as_dict(self, user: User | None) -> JsonDict:
        """Return the API's credential object."""
        return {
            "id": self.id,
            "type": self.type.value,
            "user": user.ref if user is not None else None,
            "slot": self.slot,
            "duress": self.duress,
            "created": iso(self.created),
        }


class VisitorKind(StrEnum):
    """What a visitor presents; the value names the kind's API objects and events."""

    TEMPORARY_PASSWORD = "temporary_password"  # noqa: S105 -- a kind, not a secret
    """L-30: a code typed on the keypad; one use unless said otherwise."""
    BLUETOOTH_KEY = "bluetooth_key"
    """L-31: a key a phone presents over Bluetooth; any number of uses."""

    @property
    def counts_uses(self) -> bool:
        """Return whether uses are counted (and may be limited) for this kind."""
        return self is VisitorKind.TEMPORARY_PASSWORD

    @property
    def default_max_uses(self) -> int | None:
        """Return the uses a new one gets unless told (None: no limit)."""
        return 1 if self.counts_uses else None


@dataclass(frozen=True, slots=True)
class VisitorCredential:
    """A visitor's secret, valid in its dates, its weekly schedule and for some uses.

    Temporary passwords (L-30) and Bluetooth keys (L-31) are both this, with a kind.
    A revoked one never opens again; it stays listed (``revoked``) like one used up or
    expired, until the lock forgets it (core/visitors.py ``RETENTION``).
    """

    id: str
    kind: VisitorKind
    name: str
    valid_from: datetime
    valid_until: datetime
    max_uses: int | None  # None: any number of uses (always, for a Bluetooth key)
    uses: int
    created: datetime
    secret_hash: bytes = field(repr=False)
    schedule: Schedule = NO_SCHEDULE
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None  # where uses count

    @property
    def ref(self) -> JsonDict:
        """How events point at this visitor code or key."""
        return {"id": self.id, "name": self.name}

    @property
    def used_up(self) -> bool:
        """Return whether every allowed use is spent."""
        return self.max_uses is not None and self.uses >= self.max_uses

    def refusal(self, moment: datetime, zone: tzinfo) -> str | None:
        """Why it does not open now, or None when it does.

        ``revoked``, ``not_yet_valid``, ``expired``, ``used_up`` or ``outside_schedule``.
        """
        if self.revoked_at is not None:
            return "revoked"
        return visitor_refusal(
            self.valid_from, self.valid_until, self.schedule, moment, zone
        ) or ("used_up" if self.used_up else None)

    def usable_at(self, moment: datetime, zone: tzinfo) -> bool:
        """Inside its dates and its schedule, with uses left, not revoked."""
        return self.refusal(moment, zone) is None

    def status(self, moment: datetime) -> str:
        """``scheduled``, ``active``, ``used_up``, ``expired`` or ``revoked`` (schedule aside)."""
        if self.revoked_at is not None:
            return "revoked"
        return visitor_status(self.valid_from, self.valid_until, moment, self.used_up)

    def ended_at(self, moment: datetime) -> datetime | None:
        """When it stopped opening for good (revoked, expired, used up), or None."""
        ends = [self.revoked_at] if self.revoked_at is not None else []
        if moment >= self.valid_until:
            ends.append(self.valid_until)
        if self.used_up:
            ends.append(self.last_used_at or self.created)
        return min(ends, default=None)

    def as_dict(self, moment: datetime) -> JsonDict:
        """Return the API's object for its kind (never the secret)."""
        data: JsonDict = {
            "id": self.id,
            "name": self.name,
            "valid_from": iso(self.valid_from),
            "valid_until": iso(self.valid_until),
            "schedule": self.schedule.as_list(),
        }
        if self.kind.counts_uses:
            data |= {
                "max_uses": self.max_uses,
                "uses": self.uses,
                "last_used_at": iso(self.last_used_at),
            }
        data |= {
            "status": self.status(moment),
            "revoked_at": iso(self.revoked_at),
            "created": iso(self.created),
        }
        return data


def visitor_refusal(
    start: datetime,
    end: datetime,
    schedule: Schedule,
    moment: datetime,
    zone: tzinfo,
) -> str | None:
    """Why a visitor's dates or schedule refuse ``moment``, or None."""
    return _window_refusal(start, end, moment) or (
        None if schedule.allows(moment, zone) else "outside_schedule"
    )


def visitor_status(
    start: datetime, end: datetime, moment: datetime, used_up: bool
) -> str:
    """Where a visitor stands in its life, for lists: its dates and its uses."""
    if moment >= end:
        return "expired"
    if used_up:
        return "used_up"
    return "scheduled" if moment < start else "active"


class ClientRole(StrEnum):
    """What a paired API client may do (Matter's Administer and Operate privileges).

    ``admin`` may do everything; ``operate`` may read state, events and settings, lock,
    unlock (when remote unlock is on), start the countdown and stream, but nothing that
    changes who can open the door.
    """

    ADMIN = "admin"
    OPERATE = "operate"


@dataclass(frozen=True, slots=True)
class Client:
    """A paired API client; only the hash of its token is kept."""

    id: str
    name: str
    created: datetime
    last_seen: datetime | None
    token_hash: str = field(repr=False)
    role: ClientRole = field(default_factory=lambda: ClientRole.ADMIN)

    @property
    def ref(self) -> JsonDict:
        """Return how events name this client (``by_client``)."""
        return {"id": self.id, "name": self.name}

    def as_dict(self) -> JsonDict:
        """Return the API's client object."""
        return {
            "client_id": self.id,
            "name": self.name,
            "role": self.role.value,
            "created": iso(self.created),
            "last_seen": iso(self.last_seen),
        }


@dataclass(frozen=True, slots=True)
class Settings:
    """What an admin can change from the app (docs/api.md, settings)."""

    countdown_lock_enabled: bool = False
    countdown_lock_seconds: int = 30
    remote_unlock_enabled: bool = False
    lockout_protection: bool = True
    away_mode: bool = False
    wifi_enabled: bool = True
    door_direction: DoorDirection = DoorDirection.RIGHT
    volume: int = 2
    muted: bool = False
    # Matter's RequirePINforRemoteOperation: remote unlock and every admin change over
    # the API need the PIN of a lock admin (issue #11.2).
    require_pin_for_remote: bool = False

    def as_dict(self) -> JsonDict:
        """Return the API's settings object."""
        return {
            "countdown_lock_enabled": self.countdown_lock_enabled,
            "countdown_lock_seconds": self.countdown_lock_seconds,
            "remote_unlock_enabled": self.remote_unlock_enabled,
            "lockout_protection": self.lockout_protection,
            "away_mode": self.away_mode,
            "wifi_enabled": self.wifi_enabled,
            "door_direction": self.door_direction.name.lower(),
            "volume": self.volume,
            "muted": self.muted,
            "require_pin_for_remote": self.require_pin_for_remote,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """Read what :meth:`as_dict` wrote; unknown keys from older versions are dropped."""
        known = {key: value for key, value in data.items() if key in _SETTING_NAMES}
        if "door_direction" in known:
            known["door_direction"] = DoorDirection[
                str(known["door_direction"]).upper()
            ]
        return cls(**known)


_SETTING_NAMES = frozenset(Settings.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class LockInfo:
    """What the lock says about itself; the verification code stays inside the core."""

    serial: str
    model: str
    firmware: str


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A biometric enrollment started from the API; progress arrives as events."""

    id: str
    user: User
    credential_type: CredentialType
    steps: int

    def as_dict(self) -> JsonDict:
        """Return the API's enrollment object."""
        return {
            "enrollment_id": self.id,
            "user": self.user.ref,
            "credential_type": self.credential_type.value,
            "steps": self.steps,
        }


@dataclass(frozen=True, slots=True)
class LastOperation:
    """The last unlock or lock, for the state object."""

    type: str
    method: str | None
    source: str | None
    user: JsonDict | None
    time: datetime
    visitor: JsonDict | None = None  # the visitor code's or key's {id, name}

    def as_dict(self) -> JsonDict:
        """Return the API's ``last_operation`` object."""
        return {
            "type": self.type,
            "method": self.method,
            "source": self.source,
            "user": self.user,
            "visitor": self.visitor,
            "time": iso(self.time),
        }


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
