"""The door's opening direction (L-46), which decides the motor's direction."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import DoorDirection
from .coordinator import EzlockConfigEntry
from .entity import EzlockSettingEntity

PARALLEL_UPDATES = 1

DOOR_DIRECTION = SelectEntityDescription(
    key="door_direction",
    translation_key="door_direction",
    entity_category=EntityCategory.CONFIG,
    options=[direction.value for direction in DoorDirection],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EzlockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the door direction."""
    async_add_entities([EzlockDoorDirectionSelect(entry.runtime_data, DOOR_DIRECTION)])


class EzlockDoorDirectionSelect(EzlockSettingEntity, SelectEntity):
    """Left- or right-opening door."""

    @property
    def current_option(self) -> str:
        """The direction from the last state."""
        return self.coordinator.data.door_direction

    def _shown(self) -> object:
        """Return the direction."""
        return self.current_option

    async def async_select_option(self, option: str) -> None:
        """Write the direction."""
        await self._async_write_settings(
            self.coordinator.client.update_settings(
                door_direction=DoorDirection(option)
            )
        )
