"""Binary sensors: door, tamper, battery, lockout, radios, emergency power, pairing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import BluetoothState, DoorState, Link, LockState, PowerSource
from .coordinator import EzlockConfigEntry
from .entity import EzlockEntity, EzlockEntityDescription

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EzlockBinarySensorEntityDescription(
    BinarySensorEntityDescription, EzlockEntityDescription
):
    """A binary sensor reading one field of the lock's state."""

    value_fn: Callable[[LockState], bool | None]


BINARY_SENSORS: tuple[EzlockBinarySensorEntityDescription, ...] = (
    EzlockBinarySensorEntityDescription(
        key="door",
        link=Link.MCU,
        device_class=BinarySensorDeviceClass.DOOR,
        value_fn=lambda state: (
            None if state.door is DoorState.UNKNOWN else state.door is DoorState.OPEN
        ),
    ),
    EzlockBinarySensorEntityDescription(
        key="tamper",
        link=Link.MCU,
        device_class=BinarySensorDeviceClass.TAMPER,
        value_fn=lambda state: state.tamper,
    ),
    EzlockBinarySensorEntityDescription(
        key="low_battery",
        link=Link.MCU,
        # Named apart from the battery level sensor: two "Battery" rows confuse.
        translation_key="low_battery",
        device_class=BinarySensorDeviceClass.BATTERY,
        # Home Assistant's maintenance summary counts every battery entity: with the
        # level sensor and this one both enabled it counted one lock twice. The level
        # sensor is the one it reads; this one stays for automations that want it.
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.low_battery,
    ),
    EzlockBinarySensorEntityDescription(
        key="lockout",
        translation_key="lockout",
        value_fn=lambda state: state.lockout_active,
    ),
    EzlockBinarySensorEntityDescription(
        key="bluetooth",
        link=Link.MCU,
        translation_key="bluetooth",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.bluetooth is BluetoothState.CONNECTED,
    ),
    EzlockBinarySensorEntityDescription(
        key="emergency_power",
        link=Link.MCU,
        translation_key="emergency_power",
        device_class=BinarySensorDeviceClass.POWER,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.power_source is PowerSource.EMERGENCY,
    ),
    EzlockBinarySensorEntityDescription(
        key="pairing",
        translation_key="pairing",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.pairing_open,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EzlockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors."""
    async_add_entities(
        EzlockBinarySensorEntity(entry.runtime_data, description)
        for description in BINARY_SENSORS
    )


class EzlockBinarySensorEntity(EzlockEntity, BinarySensorEntity):
    """A binary sensor of the lock."""

    entity_description: EzlockBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        """The value from the last state."""
        return self.entity_description.value_fn(self.coordinator.data)

    def _shown(self) -> object:
        """Return the value."""
        return self.is_on
