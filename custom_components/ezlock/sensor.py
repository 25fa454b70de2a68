"""Sensors: battery, power source, Wi-Fi signal, and what the lock holds against capacity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import CameraReason, CredentialType, Link, LockState, PowerSource
from .coordinator import EzlockConfigEntry
from .entity import EzlockEntity, EzlockEntityDescription

PARALLEL_UPDATES = 0

CAMERA_ON = "on"


@dataclass(frozen=True, kw_only=True)
class EzlockSensorEntityDescription(SensorEntityDescription, EzlockEntityDescription):
    """A sensor reading one field of the lock's state."""

    value_fn: Callable[[LockState], str | int | None]
    attributes_fn: Callable[[LockState], dict[str, Any]] | None = None
    exists_fn: Callable[[LockState], bool] = lambda _: True


def _credential_sensor(kind: CredentialType) -> EzlockSensorEntityDescription:
    """Enrolled credentials of one type; the lock-wide capacity (L-22) as attribute."""
    return EzlockSensorEntityDescription(
        key=f"{kind}_count",
        translation_key=f"{kind}_count",
        # A module's templates are counted by the lock; with its link down the count
        # may no longer be what the module holds. Passwords live in the lock itself.
        link=None if kind is CredentialType.PASSWORD else Link(kind.value),
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.credentials[kind].count,
        attributes_fn=lambda state: {"capacity": state.credentials[kind].capacity},
    )


SENSORS: tuple[EzlockSensorEntityDescription, ...] = (
    # Why the live view is off, or that it is on (L-13, L-62); only with a camera.
    EzlockSensorEntityDescription(
        key="camera_status",
        translation_key="camera_status",
        device_class=SensorDeviceClass.ENUM,
        entity_category=EntityCategory.DIAGNOSTIC,
        options=[
            CAMERA_ON,
            CameraReason.LOW_BATTERY.value,
            CameraReason.DEVICE_ERROR.value,
        ],
        value_fn=lambda state: state.camera.reason or CAMERA_ON,
        exists_fn=lambda state: state.camera.reason is not CameraReason.NOT_CONFIGURED,
    ),
    EzlockSensorEntityDescription(
        key="battery",
        link=Link.MCU,
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.battery_percent,
    ),
    EzlockSensorEntityDescription(
        key="power_source",
        link=Link.MCU,
        translation_key="power_source",
        device_class=SensorDeviceClass.ENUM,
        options=[source.value for source in PowerSource],
        value_fn=lambda state: state.power_source,
    ),
    EzlockSensorEntityDescription(
        key="wifi_signal",
        link=Link.MCU,
        translation_key="wifi_signal",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.wifi_rssi,
    ),
    EzlockSensorEntityDescription(
        key="user_count",
        translation_key="user_count",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.users,
    ),
    *(_credential_sensor(kind) for kind in CredentialType),
    EzlockSensorEntityDescription(
        key="temporary_password_count",
        translation_key="temporary_password_count",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.temporary_passwords,
    ),
    EzlockSensorEntityDescription(
        key="bluetooth_key_count",
        translation_key="bluetooth_key_count",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.bluetooth_keys,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EzlockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors (the camera's only if the lock has one)."""
    coordinator = entry.runtime_data
    async_add_entities(
        EzlockSensorEntity(coordinator, description)
        for description in SENSORS
        if description.exists_fn(coordinator.data)
    )


class EzlockSensorEntity(EzlockEntity, SensorEntity):
    """A sensor of the lock."""

    entity_description: EzlockSensorEntityDescription

    @property
    def native_value(self) -> str | int | None:
        """The value from the last state."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The capacity, for credential counts."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.coordinator.data)

    def _shown(self) -> object:
        """Return the value and the attributes."""
        return (self.native_value, self.extra_state_attributes)
