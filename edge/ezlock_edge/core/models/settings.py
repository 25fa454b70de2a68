"""The settings an admin can change from the app, as the API shows and the store keeps them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ezlock_edge.vocabulary.mcu import DoorDirection

from .rendering import JsonDict


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
