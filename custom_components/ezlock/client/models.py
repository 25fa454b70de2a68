"""Typed, immutable models of every reply of the edge driver's API (docs/api.md, Objects).

Each model parses with ``from_json``, which validates the whole object and raises
:class:`~.errors.EzlockProtocolError` naming the first field that breaks the documented
shape. Fields keep the API's names, so a model reads like the JSON it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Self

from ._reader import JsonObject, JsonValue, Reader
from .errors import EzlockProtocolError


class Role(StrEnum):
    """What a user may do at the lock (L-20)."""

    ADMIN = "admin"
    USER = "user"


class CredentialType(StrEnum):
    """How a user proves who they are (L-22)."""

    PASSWORD = "password"  # noqa: S105 (a credential type, not a secret)
    FINGERPRINT = "fingerprint"
    FACE = "face"
    PALM = "palm"


class Weekday(StrEnum):
    """Days of a weekly schedule, Monday first (ISO 8601)."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class VisitorStatus(StrEnum):
    """Where a visitor code or key stands now (docs/api.md)."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    USED_UP = "used_up"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def ended(self) -> bool:
        """It never opens again; the lock lists it for 30 days after it ended."""
        return self in {
            VisitorStatus.USED_UP,
            VisitorStatus.EXPIRED,
            VisitorStatus.REVOKED,
        }


@dataclass(frozen=True, slots=True)
class ScheduleWindow:
    """Some weekdays from ``start`` until ``end`` (``HH:MM``, exclusive).

    On the lock's clock; an ``end`` not after ``start`` passes midnight, and ``24:00``
    is the day's end.
    """

    days: tuple[Weekday, ...]
    start: str
    end: str

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse a window object."""
        days = reader.data.get("days")
        if not isinstance(days, list) or not days:
            raise EzlockProtocolError(f"{reader.path}.days: expected a list of days")
        try:
            parsed = tuple(Weekday(str(day)) for day in days)
        except ValueError:
            raise EzlockProtocolError(
                f"{reader.path}.days: expected weekdays"
            ) from None
        return cls(days=parsed, start=_hhmm(reader, "from"), end=_hhmm(reader, "until"))

    def as_json(self) -> JsonObject:
        """Return the API's window object."""
        return {
            "days": [day.value for day in self.days],
            "from": self.start,
            "until": self.end,
        }


type Schedule = tuple[ScheduleWindow, ...]
"""A weekly schedule; empty: no restriction."""


def _hhmm(reader: Reader, key: str) -> str:
    value = reader.text(key)
    hours, _, minutes = value.partition(":")
    if not (
        len(hours) == 2 == len(minutes)
        and hours.isdigit()
        and minutes.isdigit()
        and (int(hours) < 24 or value == "24:00")
        and int(minutes) < 60
    ):
        raise EzlockProtocolError(f"{reader.path}.{key}: expected a time HH:MM")
    return value


def read_schedule(reader: Reader) -> Schedule:
    """Read an optional ``schedule`` (``null`` or absent: none)."""
    if reader.data.get("schedule") is None:
        return ()
    return tuple(
        ScheduleWindow.from_reader(item) for item in reader.children("schedule")
    )


def schedule_json(schedule: Schedule) -> JsonValue:
    """Return a schedule as a request sends it (``[]`` clears one)."""
    return [window.as_json() for window in schedule]


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


class DoorDirection(StrEnum):
    """Which way the door opens, hence the motor's direction (L-46)."""

    LEFT = "left"
    RIGHT = "right"


class VisitorKind(StrEnum):
    """The two kinds of visitor credential: a keypad code (L-30) or a phone key (L-31)."""

    TEMPORARY_PASSWORD = "temporary_password"  # noqa: S105 (a kind, not a secret)
    BLUETOOTH_KEY = "bluetooth_key"

    @property
    def collection(self) -> str:
        """The route and list key of this kind (``temporary_passwords``)."""
        return f"{self.value}s"

    @property
    def secret_field(self) -> str:
        """The field that carries the secret in the creation reply only."""
        return "code" if self is VisitorKind.TEMPORARY_PASSWORD else "key"

    @property
    def counts_uses(self) -> bool:
        """Temporary passwords have a use count; Bluetooth keys only a window."""
        return self is VisitorKind.TEMPORARY_PASSWORD


@dataclass(frozen=True, slots=True)
class UserRef:
    """A user as events, credentials and operations name them."""

    number: int
    name: str

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse ``{"number", "name"}``."""
        return cls(number=reader.integer("number", 1), name=reader.text("name"))

    @classmethod
    def optional(cls, reader: Reader, key: str) -> Self | None:
        """Parse the user at ``key``, which may be ``null``."""
        child = reader.optional_child(key)
        return None if child is None else cls.from_reader(child)


@dataclass(frozen=True, slots=True)
class ClientRef:
    """The paired client whose request wrote an event (``by_client``)."""

    id: str
    name: str

    @classmethod
    def optional(cls, reader: Reader, key: str) -> Self | None:
        """Parse ``{"id", "name"}`` at ``key``, which may be absent (the lock's own)."""
        child = reader.optional_child(key)
        if child is None:
            return None
        return cls(id=child.text("id"), name=child.text("name"))


@dataclass(frozen=True, slots=True)
class VisitorRef:
    """A visitor code or Bluetooth key as events and operations name it."""

    id: str
    name: str

    @classmethod
    def optional(cls, reader: Reader, key: str) -> Self | None:
        """Parse ``{"id", "name"}`` at ``key``, which may be ``null`` or absent."""
        child = reader.optional_child(key)
        if child is None:
            return None
        return cls(id=child.text("id"), name=child.text("name"))


@dataclass(frozen=True, slots=True)
class LockInfo:
    """What ``GET /info`` tells before pairing."""

    serial: str
    model: str
    firmware: str
    api_version: int
    pairing_open: bool
    tls_fingerprint: str | None
    name: str | None = None  # the place the lock is known by, if its owner set one
    time_zone: str | None = None  # IANA zone in which the lock reads schedules

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse the info object."""
        reader = Reader(data, "info")
        return cls(
            serial=reader.text("serial"),
            model=reader.text("model"),
            firmware=reader.text("firmware"),
            api_version=reader.integer("api_version"),
            pairing_open=reader.boolean("pairing_open"),
            tls_fingerprint=reader.optional_text("tls_fingerprint"),
            name=reader.optional_text("name"),
            time_zone=reader.optional_text("time_zone"),
        )


@dataclass(frozen=True, slots=True)
class PairResult:
    """The token, shown once by the edge driver, and the client id it belongs to."""

    token: str = field(repr=False)
    client_id: str

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse the ``POST /pair`` reply."""
        reader = Reader(data, "pair")
        return cls(token=reader.text("token"), client_id=reader.text("client_id"))


@dataclass(frozen=True, slots=True)
class Settings:
    """What an admin can change (docs/api.md, settings)."""

    countdown_lock_enabled: bool
    countdown_lock_seconds: int
    remote_unlock_enabled: bool
    lockout_protection: bool
    away_mode: bool
    wifi_enabled: bool
    door_direction: DoorDirection
    volume: int
    muted: bool
    # Matter's RequirePINforRemoteOperation: remote unlock and admin changes need a
    # lock admin's password (EzlockClient.with_pin).
    require_pin_for_remote: bool

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Read the settings fields (the state object carries them too)."""
        return cls(
            countdown_lock_enabled=reader.boolean("countdown_lock_enabled"),
            countdown_lock_seconds=reader.integer("countdown_lock_seconds"),
            remote_unlock_enabled=reader.boolean("remote_unlock_enabled"),
            lockout_protection=reader.boolean("lockout_protection"),
            away_mode=reader.boolean("away_mode"),
            wifi_enabled=reader.boolean("wifi_enabled"),
            door_direction=reader.choice("door_direction", DoorDirection),
            volume=reader.integer("volume"),
            muted=reader.boolean("muted"),
            require_pin_for_remote=reader.boolean("require_pin_for_remote"),
        )

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse the settings object."""
        return cls.from_reader(Reader(data, "settings"))


SETTING_NAMES = frozenset(item.name for item in fields(Settings))


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
            credentials={
                kind: CredentialCount(
                    count=counts.child(kind).integer("count", 0),
                    capacity=counts.child(kind).integer("capacity", 0),
                )
                for kind in CredentialType
            },
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


@dataclass(frozen=True, slots=True)
class Credential:
    """A password or a biometric template slot; secrets never leave the lock (L-32)."""

    id: str
    type: CredentialType
    user: UserRef | None
    slot: int | None
    duress: bool
    created: datetime

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse a credential object."""
        return cls(
            id=reader.text("id"),
            type=reader.choice("type", CredentialType),
            user=UserRef.optional(reader, "user"),
            slot=reader.optional_integer("slot", 0),
            duress=reader.boolean("duress"),
            created=reader.time("created"),
        )

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse a credential object."""
        return cls.from_reader(Reader(data, "credential"))


@dataclass(frozen=True, slots=True)
class User:
    """A person known to the lock, with their credentials (L-20, L-21, L-28)."""

    number: int
    name: str
    role: Role
    valid_from: datetime | None
    valid_until: datetime | None
    created: datetime
    credentials: tuple[Credential, ...]
    schedule: Schedule = ()

    @property
    def ref(self) -> UserRef:
        """How events name this user."""
        return UserRef(self.number, self.name)

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse a user object."""
        return cls(
            number=reader.integer("number", 1),
            name=reader.text("name"),
            role=reader.choice("role", Role),
            valid_from=reader.optional_time("valid_from"),
            valid_until=reader.optional_time("valid_until"),
            created=reader.time("created"),
            credentials=tuple(
                Credential.from_reader(item) for item in reader.children("credentials")
            ),
            schedule=read_schedule(reader),
        )

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse a user object."""
        return cls.from_reader(Reader(data, "user"))


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitorCredential:
    """A visitor's temporary password or Bluetooth key: a window, uses and a kind.

    ``max_uses`` is ``None`` when there is no limit; ``uses`` is ``None`` where the lock
    does not count them (Bluetooth keys). ``secret`` (the code or the key) is only in
    the reply that created the credential: the lock keeps just its hash. A revoked one
    stays listed (``revoked_at``), like one used up or expired, for 30 days.
    """

    kind: VisitorKind
    id: str
    name: str
    valid_from: datetime
    valid_until: datetime
    max_uses: int | None
    uses: int | None
    created: datetime
    secret: str | None = field(default=None, repr=False)
    schedule: Schedule = ()
    status: VisitorStatus = VisitorStatus.ACTIVE
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def remaining_uses(self) -> int | None:
        """Uses left, ``None`` when unlimited or not counted."""
        if self.max_uses is None or self.uses is None:
            return None
        return max(self.max_uses - self.uses, 0)

    @classmethod
    def from_reader(cls, kind: VisitorKind, reader: Reader) -> Self:
        """Parse a temporary password or Bluetooth key object."""
        return cls(
            kind=kind,
            id=reader.text("id"),
            name=reader.text("name"),
            valid_from=reader.time("valid_from"),
            valid_until=reader.time("valid_until"),
            max_uses=reader.optional_integer("max_uses", 1)
            if kind.counts_uses
            else None,
            uses=reader.integer("uses", 0) if kind.counts_uses else None,
            created=reader.time("created"),
            secret=reader.optional_text(kind.secret_field),
            schedule=read_schedule(reader),
            status=reader.choice("status", VisitorStatus),
            revoked_at=reader.optional_time("revoked_at"),
            last_used_at=reader.optional_time("last_used_at")
            if kind.counts_uses
            else None,
        )

    @classmethod
    def from_json(cls, kind: VisitorKind, data: object) -> Self:
        """Parse a temporary password or Bluetooth key object."""
        return cls.from_reader(kind, Reader(data, kind.value))


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A biometric enrollment started at the lock; progress arrives as events."""

    enrollment_id: str
    user: UserRef
    credential_type: CredentialType
    steps: int

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse the enrollment object."""
        reader = Reader(data, "enrollment")
        return cls(
            enrollment_id=reader.text("enrollment_id"),
            user=UserRef.from_reader(reader.child("user")),
            credential_type=reader.choice("credential_type", CredentialType),
            steps=reader.integer("steps", 1),
        )


@dataclass(frozen=True, slots=True)
class ModuleTemplates:
    """One biometric module read against the lock's credentials (``GET /templates``).

    ``unknown_slots``: templates no credential owns (another host's, anywhere in the
    module's library); ``missing``: credentials whose template the module lost. When
    ``readable`` is false the module did not answer and both say nothing.
    """

    credential_type: CredentialType
    readable: bool
    unknown_slots: tuple[int, ...]
    missing: tuple[Credential, ...]

    @property
    def mismatch(self) -> bool:
        """The module and the lock's records differ."""
        return bool(self.unknown_slots or self.missing)

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse a module templates object."""
        return cls(
            credential_type=reader.choice("credential_type", CredentialType),
            readable=reader.boolean("readable"),
            unknown_slots=reader.integers("unknown_slots", 0),
            missing=tuple(
                Credential.from_reader(item)
                for item in reader.children("missing_credentials")
            ),
        )

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse a module templates object."""
        return cls.from_reader(Reader(data, "templates"))


@dataclass(frozen=True, slots=True)
class PairedClient:
    """A client paired with the lock (Home Assistant is one)."""

    client_id: str
    name: str
    created: datetime
    last_seen: datetime | None

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse a client object."""
        return cls(
            client_id=reader.text("client_id"),
            name=reader.text("name"),
            created=reader.time("created"),
            last_seen=reader.optional_time("last_seen"),
        )
