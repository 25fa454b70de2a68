"""The lock's settings, as ``GET``/``PATCH /settings`` and the state carry them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Self

from ._reader import Reader


class DoorDirection(StrEnum):
    """Which way the door opens, hence the motor's direction (L-46)."""

    LEFT = "left"
    RIGHT = "right"


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
