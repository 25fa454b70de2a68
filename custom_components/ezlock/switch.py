"""Switches for the lock's own settings: remote unlock, protections, away mode, Wi-Fi."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import EzlockClient, LockState, Settings
from .coordinator import EzlockConfigEntry
from .entity import EzlockSettingEntity

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class EzlockSwitchEntityDescription(SwitchEntityDescription):
    """A switch over one boolean setting; ``key`` is the setting's name."""

    value_fn: Callable[[LockState], bool]
    set_fn: Callable[[EzlockClient, bool], Awaitable[Settings]]
    # Changes who can open the door: a Home Assistant administrator only (issue #11.7).
    admin_only: bool = False


SWITCHES: tuple[EzlockSwitchEntityDescription, ...] = (
    EzlockSwitchEntityDescription(
        key="remote_unlock_enabled",
        translation_key="remote_unlock",
        entity_category=EntityCategory.CONFIG,
        value_fn=lambda state: state.remote_unlock_enabled,
        set_fn=lambda client, on: client.update_settings(remote_unlock_enabled=on),
        admin_only=True,
    ),
    EzlockSwitchEntityDescription(
        key="lockout_protection",
        translation_key="lockout_protection",
        entity_category=EntityCategory.CONFIG,
        value_fn=lambda state: state.lockout_protection,
        set_fn=lambda client, on: client.update_settings(lockout_protection=on),
        admin_only=True,
    ),
    EzlockSwitchEntityDescription(
        key="countdown_lock_enabled",
        translation_key="countdown_lock",
        entity_category=EntityCategory.CONFIG,
        value_fn=lambda state: state.countdown_lock_enabled,
        set_fn=lambda client, on: client.update_settings(countdown_lock_enabled=on),
    ),
    EzlockSwitchEntityDescription(
        key="away_mode",
        translation_key="away_mode",
        value_fn=lambda state: state.away_mode,
        set_fn=lambda client, on: client.update_settings(away_mode=on),
    ),
    EzlockSwitchEntityDescription(
        key="wifi_enabled",
        translation_key="wifi",
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.wifi_enabled,
        set_fn=lambda client, on: client.update_settings(wifi_enabled=on),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EzlockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches."""
    async_add_entities(
        EzlockSwitchEntity(entry.runtime_data, description) for description in SWITCHES
    )


class EzlockSwitchEntity(EzlockSettingEntity, SwitchEntity):
    """A switch of the lock."""

    entity_description: EzlockSwitchEntityDescription

    @property
    def is_on(self) -> bool:
        """The setting's value from the last state."""
        return self.entity_description.value_fn(self.coordinator.data)

    def _shown(self) -> object:
        """Return the setting's value."""
        return self.is_on

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Enable the setting."""
        await self._async_check_admin()
        await self._async_write_settings(
            self.entity_description.set_fn(self.coordinator.client, True)
        )

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Disable the setting."""
        await self._async_check_admin()
        await self._async_write_settings(
            self.entity_description.set_fn(self.coordinator.client, False)
        )

    async def _async_check_admin(self) -> None:
        """Refuse a non-admin user a setting that changes who can open the door.

        Automations and scripts (no user in the context) act as the system.
        """
        if not self.entity_description.admin_only or self._context is None:
            return
        if (user_id := self._context.user_id) is None:
            return
        user = await self.hass.auth.async_get_user(user_id)
        if user is None or not user.is_admin:
            raise Unauthorized(context=self._context)
