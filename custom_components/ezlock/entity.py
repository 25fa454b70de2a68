"""The base every ezlock entity shares: one device per lock, state from the coordinator."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass

from homeassistant.core import Context, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .client import Link, Settings
from .const import DOMAIN
from .coordinator import EzlockCoordinator
from .errors import translate_errors

MANUFACTURER = "ezlock"
_UNKNOWN = object()
"""What an entity's ``_shown`` returns when it cannot say what it shows."""


@dataclass(frozen=True, kw_only=True)
class EzlockEntityDescription(EntityDescription):
    """What every ezlock description may say: the hardware link its value comes from."""

    # Unavailable while this link is down: the value would be the last known, not the
    # present (issue #11.5). None: the edge driver's own data (users, settings, events).
    link: Link | None = None


class EzlockEntity(CoordinatorEntity[EzlockCoordinator]):
    """An entity of the lock's device, unavailable while the push connection is down.

    Also while the hardware link it reads is down (``EzlockEntityDescription.link``).
    """

    _attr_has_entity_name = True
    _last_shown: object = _UNKNOWN

    def __init__(
        self, coordinator: EzlockCoordinator, description: EntityDescription
    ) -> None:
        """Key the unique id by the lock's serial, which survives re-pairing."""
        super().__init__(coordinator)
        self.entity_description = description
        info = coordinator.info
        self._attr_unique_id = f"{info.serial}-{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, info.serial)},
            manufacturer=MANUFACTURER,
            model=info.model,
            name=coordinator.config_entry.title,
            serial_number=info.serial,
            sw_version=info.firmware,
        )

    async def async_added_to_hass(self) -> None:
        """Note what is shown now: Home Assistant writes it once the entity is added."""
        await super().async_added_to_hass()
        if (shown := self._shown()) is not _UNKNOWN:
            self._last_shown = (self.available, shown)

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the new state with the context of what caused it (issue #11.6).

        Home Assistant would reuse the context of the last action on the entity for
        five seconds, so a change at the lock just after one looked like that user's.
        An entity whose shown value stayed the same is not written again: a state
        push changes a few entities of the lock's twenty, not all of them.
        """
        shown = self._shown()
        if shown is not _UNKNOWN:
            shown = (self.available, shown)
            if shown == self._last_shown:
                return
            self._last_shown = shown
        self.async_set_context(self._update_context())
        super()._handle_coordinator_update()

    def _shown(self) -> object:
        """Everything of the coordinator's data this entity shows (compared by ==).

        ``_UNKNOWN`` (the default): the entity cannot say, so every update is written.
        """
        return _UNKNOWN

    def _update_context(self) -> Context:
        """Return the context of the update being written: the action's, or a new one."""
        return self.coordinator.update_context or Context()

    @property
    def available(self) -> bool:
        """Connected to the edge driver, and the edge driver to the entity's hardware."""
        if not super().available:
            return False
        description = self.entity_description
        link = (
            description.link
            if isinstance(description, EzlockEntityDescription)
            else None
        )
        return link is None or self.coordinator.data.connected(link)


class EzlockSettingEntity(EzlockEntity):
    """An entity that writes one of the lock's settings."""

    async def _async_write_settings(self, update: Awaitable[Settings]) -> None:
        """Await the client's settings update and show what the edge driver confirmed."""
        with translate_errors():
            settings = await update
        self.coordinator.async_apply_settings(settings, self._context)
