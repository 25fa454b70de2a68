"""Typed models of the lock's events (the event catalogue in docs/architecture.md).

:func:`parse_event` returns the subclass of :class:`LockEvent` for the event's type, so
a caller matches on the class (``case UnlockedEvent(method=method)``). A type this
client does not know yet is a plain :class:`LockEvent`; ``data`` always holds the whole
object as sent, including fields a newer edge driver adds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Self

from ._reader import JsonValue, Reader
from .pairing import ClientRef
from .people import Credential, CredentialType, UserRef
from .state import BoltState, DoorState, PowerSource
from .visitors import VisitorKind, VisitorRef


@dataclass(frozen=True, slots=True, kw_only=True)
class LockEvent:
    """One entry of the event log: a strictly increasing ``seq`` that survives restarts."""

    seq: int
    time: datetime
    type: str
    user: UserRef | None
    data: Mapping[str, JsonValue]
    # The client whose request wrote it; None for what the lock did by itself.
    by_client: ClientRef | None = None

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        """Read the fields of this type of event, beyond those every event has."""
        return {}

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse an event object whose type this class models."""
        return cls(
            seq=reader.integer("seq", 1),
            time=reader.time("time"),
            type=reader.text("type"),
            user=UserRef.optional(reader, "user"),
            data=reader.data,
            by_client=ClientRef.optional(reader, "by_client"),
            **cls._specific(reader),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class UnlockedEvent(LockEvent):
    """The door was unlocked (L-40): how, and with which credential."""

    method: str
    credential_id: str | None
    slot: int | None
    visitor: VisitorRef | None = None
    snapshot_id: str | None = None  # the camera's picture of an unlock at the door

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {
            "method": reader.text("method"),
            "credential_id": reader.optional_text("credential_id"),
            "slot": reader.optional_integer("slot", 0),
            "visitor": VisitorRef.optional(reader, "visitor"),
            "snapshot_id": reader.optional_text("snapshot_id"),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class UnlockFailedEvent(LockEvent):
    """An attempt was refused, and why (``no_match``, ``locked_out``, ...)."""

    method: str
    reason: str
    visitor: VisitorRef | None = None
    snapshot_id: str | None = None  # the camera's picture of an attempt at the door

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {
            "method": reader.text("method"),
            "reason": reader.text("reason"),
            "visitor": VisitorRef.optional(reader, "visitor"),
            "snapshot_id": reader.optional_text("snapshot_id"),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DoorbellEvent(LockEvent):
    """Someone rang (L-49); ``snapshot_id`` names the camera's picture of them."""

    snapshot_id: str | None = None

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {"snapshot_id": reader.optional_text("snapshot_id")}


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedEvent(LockEvent):
    """The bolt was thrown (L-44), from ``source``; a Bluetooth key is named (L-31)."""

    source: str
    visitor: VisitorRef | None = None

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {
            "source": reader.text("source"),
            "visitor": VisitorRef.optional(reader, "visitor"),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class LockFailedEvent(LockEvent):
    """A lock was refused, and why: a Bluetooth key that may not lock now (L-12, L-31).

    ``source`` is ``bluetooth``; ``reason`` ``no_match`` (no key of this lock),
    ``not_yet_valid``, ``expired``, ``outside_schedule`` or ``lock_offline``.
    """

    source: str
    reason: str
    visitor: VisitorRef | None = None

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {
            "source": reader.text("source"),
            "reason": reader.text("reason"),
            "visitor": VisitorRef.optional(reader, "visitor"),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class AlarmEvent(LockEvent):
    """An alarm was raised, or cleared (type ``alarm_cleared``)."""

    alarm: str
    cleared: bool

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {
            "alarm": reader.text("alarm"),
            "cleared": reader.text("type") == "alarm_cleared",
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DoorEvent(LockEvent):
    """The door opened or closed."""

    state: DoorState

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {"state": reader.choice("state", DoorState)}


@dataclass(frozen=True, slots=True, kw_only=True)
class BoltEvent(LockEvent):
    """The bolt moved."""

    state: BoltState

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {"state": reader.choice("state", BoltState)}


@dataclass(frozen=True, slots=True, kw_only=True)
class BatteryEvent(LockEvent):
    """The battery level changed; ``low`` is the lock's low-voltage warning (L-62)."""

    percent: int
    low: bool

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {"percent": reader.integer("percent", 0), "low": reader.boolean("low")}


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerEvent(LockEvent):
    """The lock switched between battery and emergency power."""

    source: PowerSource

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {"source": reader.choice("source", PowerSource)}


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialEvent(LockEvent):
    """A credential was added, updated or deleted."""

    credential: Credential

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {"credential": Credential.from_reader(reader.child("credential"))}


class EnrollmentStatus(StrEnum):
    """Where an enrollment at the lock stands."""

    STARTED = "started"
    PROGRESS = "progress"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """The enrollment is over, one way or the other."""
        return self in {
            EnrollmentStatus.COMPLETED,
            EnrollmentStatus.FAILED,
            EnrollmentStatus.CANCELLED,
            EnrollmentStatus.TIMEOUT,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class EnrollmentEvent(LockEvent):
    """Progress of an enrollment; ``credential_id`` once completed."""

    enrollment_id: str
    credential_type: CredentialType
    status: EnrollmentStatus
    step: int
    steps: int
    credential_id: str | None
    reason: str | None
    prompt: str | None = None  # what the lock asks now: present_finger_again, turn_left

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {
            "prompt": reader.optional_text("prompt"),
            "enrollment_id": reader.text("enrollment_id"),
            "credential_type": reader.choice("credential_type", CredentialType),
            "status": reader.choice("status", EnrollmentStatus),
            "step": reader.integer("step", 0),
            "steps": reader.integer("steps", 1),
            "credential_id": reader.optional_text("credential_id"),
            "reason": reader.optional_text("reason"),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingsChangedEvent(LockEvent):
    """Settings changed; ``changes`` maps each changed setting to its new value."""

    changes: Mapping[str, JsonValue]

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {"changes": reader.mapping("changes")}


@dataclass(frozen=True, slots=True, kw_only=True)
class PairingEvent(LockEvent):
    """The pairing window opened or closed, or a client paired (``client_id``)."""

    status: str
    client_id: str | None

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {
            "status": reader.text("status"),
            "client_id": reader.optional_text("client_id"),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientRevokedEvent(LockEvent):
    """A paired client was revoked; its token no longer works."""

    client_id: str

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {"client_id": reader.text("client_id")}


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitorEvent(LockEvent):
    """A visitor credential was created, revoked, used or removed (``action``).

    ``removed``: the lock forgot one that had ended (``reason``: ``deleted`` by a
    client, or ``retention``, 30 days after it ended).
    """

    kind: VisitorKind
    action: str
    id: str
    name: str

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        kind, _, action = reader.text("type").rpartition("_")
        return {
            "kind": VisitorKind(kind),
            "action": action,
            "id": reader.text("id"),
            "name": reader.text("name"),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class AwayModeEvent(LockEvent):
    """Away mode was armed or disarmed (L-47)."""

    armed: bool

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {"armed": reader.boolean("armed")}


@dataclass(frozen=True, slots=True, kw_only=True)
class MuteEvent(LockEvent):
    """The one-time mute was set or ended (L-48)."""

    muted: bool

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {"muted": reader.boolean("muted")}


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplatesMismatchEvent(LockEvent):
    """At start a module's templates and the lock's credentials differed.

    ``unknown_slots``: templates no credential owns (another host's); ``missing_slots``:
    credentials whose template the module lost. ``GET /templates`` reads them again.
    """

    credential_type: CredentialType
    unknown_slots: tuple[int, ...]
    missing_slots: tuple[int, ...]

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {
            "credential_type": reader.choice("credential_type", CredentialType),
            "unknown_slots": reader.integers("unknown_slots", 0),
            "missing_slots": reader.integers("missing_slots", 0),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplatesDeletedEvent(LockEvent):
    """An admin deleted templates no credential owned from a module."""

    credential_type: CredentialType
    slots: tuple[int, ...]

    @classmethod
    def _specific(cls, reader: Reader) -> dict[str, Any]:
        return {
            "credential_type": reader.choice("credential_type", CredentialType),
            "slots": reader.integers("slots", 0),
        }


_TYPES: Final[Mapping[str, type[LockEvent]]] = {
    "unlocked": UnlockedEvent,
    "unlock_failed": UnlockFailedEvent,
    "locked": LockedEvent,
    "lock_failed": LockFailedEvent,
    "alarm": AlarmEvent,
    "alarm_cleared": AlarmEvent,
    "door": DoorEvent,
    "bolt": BoltEvent,
    "battery": BatteryEvent,
    "power": PowerEvent,
    "credential_added": CredentialEvent,
    "credential_updated": CredentialEvent,
    "credential_deleted": CredentialEvent,
    "enrollment": EnrollmentEvent,
    "settings_changed": SettingsChangedEvent,
    "pairing": PairingEvent,
    "client_revoked": ClientRevokedEvent,
    **{
        f"{kind.value}_{action}": VisitorEvent
        for kind in VisitorKind
        for action in ("created", "revoked", "used", "removed")
    },
    "away_mode": AwayModeEvent,
    "mute": MuteEvent,
    "doorbell": DoorbellEvent,
    "templates_mismatch": TemplatesMismatchEvent,
    "templates_deleted": TemplatesDeletedEvent,
}


def _parse(reader: Reader) -> LockEvent:
    return _TYPES.get(reader.text("type"), LockEvent).from_reader(reader)


def parse_event(data: object) -> LockEvent:
    """Parse an event object into the model of its type (``LockEvent`` if unknown)."""
    return _parse(Reader(data, "event"))


@dataclass(frozen=True, slots=True)
class EventPage:
    """A page of ``GET /events``, oldest first, and the newest seq the lock has written."""

    events: tuple[LockEvent, ...]
    last_seq: int

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse the ``GET /events`` reply."""
        reader = Reader(data, "events")
        return cls(
            events=tuple(_parse(item) for item in reader.children("events")),
            last_seq=reader.integer("last_seq", 0),
        )
