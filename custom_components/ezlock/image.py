"""The last visitor: the camera's picture of the latest ring or attempt at the door.

The edge driver keeps a snapshot with every doorbell ring and every unlock attempt at
the door, and names it in the event (``snapshot_id``). This image shows the newest one,
so an automation can attach it to a notification (``/api/image_proxy/<entity_id>``;
the blueprint in ``blueprints/automation/ezlock`` does that).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import override

from homeassistant.components.image import ImageEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import (
    CameraReason,
    DoorbellEvent,
    EzlockApiError,
    LockEvent,
    UnlockedEvent,
    UnlockFailedEvent,
)
from .coordinator import EzlockConfigEntry, EzlockCoordinator
from .entity import EzlockEntity
from .errors import translate_errors

PARALLEL_UPDATES = 0

LAST_VISITOR = EntityDescription(key="last_visitor", translation_key="last_visitor")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One kept picture and the event it belongs to."""

    id: str
    event_type: str
    time: datetime


def snapshot_of(event: LockEvent) -> Snapshot | None:
    """Return the snapshot an event refers to, if it has one."""
    if isinstance(event, DoorbellEvent | UnlockedEvent | UnlockFailedEvent) and (
        snapshot_id := event.snapshot_id
    ):
        return Snapshot(snapshot_id, event.type, event.time)
    return None


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EzlockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the last visitor, if the lock has a camera."""
    coordinator = entry.runtime_data
    if coordinator.data.camera.reason is not CameraReason.NOT_CONFIGURED:
        async_add_entities([EzlockLastVisitor(hass, coordinator)])


class EzlockLastVisitor(EzlockEntity, ImageEntity):
    """The newest snapshot the lock kept with an event."""

    _attr_content_type = "image/jpeg"

    def __init__(self, hass: HomeAssistant, coordinator: EzlockCoordinator) -> None:
        """Start empty; the newest snapshot in the lock's history is read once added."""
        super().__init__(coordinator, LAST_VISITOR)
        ImageEntity.__init__(self, hass)
        self._snapshot: Snapshot | None = None

    async def async_added_to_hass(self) -> None:
        """Find the newest kept snapshot, then follow new events."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_event_listener(self._handle_lock_event)
        )
        if self._snapshot is None:
            with translate_errors():
                page = await self.coordinator.client.get_events(newest_first=True)
            for event in page.events:
                if (snapshot := snapshot_of(event)) is not None:
                    self._show(snapshot)
                    break

    @callback
    def _handle_lock_event(self, event: LockEvent) -> None:
        if (snapshot := snapshot_of(event)) is not None:
            self.async_set_context(self.coordinator.contexts.context_of(event))
            self._show(snapshot)

    @callback
    def _show(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._cached_image = None
        self._attr_image_last_updated = snapshot.time
        self._attr_extra_state_attributes = {
            "snapshot_id": snapshot.id,
            "event_type": snapshot.event_type,
        }
        self.async_write_ha_state()

    @property
    @override
    def entity_picture(self) -> str | None:
        """Return the picture's link, or none until the lock has kept one.

        Without it the frontend shows the icon instead of asking for a picture that does
        not exist (an error answer, a broken picture on a lock nobody has rung yet).
        """
        if self._snapshot is None:
            return None
        return super().entity_picture

    async def async_image(self) -> bytes | None:
        """Return the JPEG (the edge waits for it if it is still being taken)."""
        if (snapshot := self._snapshot) is None:
            return None
        with translate_errors():
            try:
                return await self.coordinator.client.get_snapshot(snapshot.id)
            except EzlockApiError as err:
                if err.status != 404:
                    raise
                return None  # evicted from the lock's bounded store
