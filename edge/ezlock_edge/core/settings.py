"""The lock's settings: the current ones, stored, announced and pushed to the MCU.

A change is stored and announced in one transaction, then the components whose
behaviour depends on it react (they register with :meth:`LockSettings.listen`), then
the MCU gets what it keeps itself (volume, Wi-Fi, door direction). The MCU is given
every setting again at each start, so it never runs on stale ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .device_contract import Mcu
from .errors import best_effort
from .events import EventLog
from .models import Settings
from .store import Store
from .validation import validated_settings

_SETTINGS_KEY = "settings"

type SettingsListener = Callable[[Settings, Settings], None]
"""Called with the previous and the new settings after a change is stored."""


class LockSettings:
    """Holds the settings and applies every change everywhere it matters."""

    def __init__(
        self,
        store: Store,
        events: EventLog,
        mcu: Mcu,
        on_change: Callable[[], None],
    ) -> None:
        """Load the stored settings; ``on_change`` runs after each change."""
        self._store = store
        self._events = events
        self._mcu = mcu
        self._on_change = on_change
        self._current = Settings.from_dict(store.get_meta(_SETTINGS_KEY) or {})
        self._listeners: list[SettingsListener] = []

    @property
    def current(self) -> Settings:
        """Return the settings in force."""
        return self._current

    def listen(self, listener: SettingsListener) -> None:
        """Have ``listener`` react to every change."""
        self._listeners.append(listener)

    async def update(self, changes: dict[str, Any]) -> Settings:
        """Apply a client's changes, validated first (``invalid_request``)."""
        settings = validated_settings(self._current, changes)
        await self.change(settings)
        return settings

    async def change(self, settings: Settings) -> None:
        """Store, announce and apply ``settings`` (nothing happens if nothing changed)."""
        old = self._current.as_dict()
        changes = {k: v for k, v in settings.as_dict().items() if old[k] != v}
        if not changes:
            return
        with self._store.transaction():
            self._store.set_meta(_SETTINGS_KEY, settings.as_dict())
            self._events.append("settings_changed", changes=changes)
            if "away_mode" in changes:
                self._events.append("away_mode", armed=settings.away_mode)
            if "muted" in changes:
                self._events.append("mute", muted=settings.muted)
        previous, self._current = self._current, settings
        for listener in list(self._listeners):
            listener(previous, settings)
        await self.push(set(changes))
        self._on_change()

    async def reset(self) -> None:
        """Return to the defaults after a factory reset wiped the stored ones (L-63)."""
        self._current = Settings()
        await self.push()

    async def push(self, changed: set[str] | None = None) -> None:
        """Give the MCU the settings it keeps itself (all of them when ``changed`` is None)."""
        settings, mcu = self._current, self._mcu
        if changed is None:
            changed = set(settings.as_dict())
        if {"volume", "muted"} & changed:
            await best_effort(mcu.set_volume(0 if settings.muted else settings.volume))
        if "wifi_enabled" in changed:
            await best_effort(mcu.set_wifi(settings.wifi_enabled))
        if "door_direction" in changed:
            await best_effort(mcu.set_door_direction(settings.door_direction))
