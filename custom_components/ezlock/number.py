"""The countdown lock's delay (L-45)."""

from __future__ import annotations

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import COUNTDOWN_SECONDS as COUNTDOWN_LIMIT
from .coordinator import EzlockConfigEntry
from .entity import EzlockSettingEntity

PARALLEL_UPDATES = 1

COUNTDOWN_SECONDS = NumberEntityDescription(
    key="countdown_lock_seconds",
    translation_key="countdown_lock_seconds",
    device_class=NumberDeviceClass.DURATION,
    entity_category=EntityCategory.CONFIG,
    native_min_value=COUNTDOWN_LIMIT.minimum,
    native_max_value=COUNTDOWN_LIMIT.maximum,
    native_step=1,
    native_unit_of_measurement=UnitOfTime.SECONDS,
    mode=NumberMode.BOX,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EzlockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the countdown delay."""
    async_add_entities([EzlockCountdownNumber(entry.runtime_data, COUNTDOWN_SECONDS)])


class EzlockCountdownNumber(EzlockSettingEntity, NumberEntity):
    """Seconds after an unlock before the lock locks itself, when enabled."""

    @property
    def native_value(self) -> int:
        """The delay from the last state."""
        return self.coordinator.data.countdown_lock_seconds

    def _shown(self) -> object:
        """Return the delay."""
        return self.native_value

    async def async_set_native_value(self, value: float) -> None:
        """Write the delay."""
        await self._async_write_settings(
            self.coordinator.client.update_settings(countdown_lock_seconds=int(value))
        )
