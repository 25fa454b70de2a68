"""Event entities: every access, alarm and doorbell press, each fired exactly once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.event import (
    DoorbellEventType,
    EventDeviceClass,
    EventEntity,
    EventEntityDescription,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import AlarmEvent, LockedEvent, LockEvent, UnlockedEvent, UnlockFailedEvent
from .const import ALARMS, LOCK_SOURCES, UNLOCK_METHODS
from .coordinator import EzlockConfigEntry
from .entity import EzlockEntity

PARALLEL_UPDATES = 0

type Fired = tuple[str, dict[str, Any]]


def _who(event: LockEvent) -> dict[str, Any]:
    """Who acted, and when: the attributes every fired event carries."""
    user = event.user
    return {
        "user_number": user.number if user else None,
        "user_name": user.name if user else None,
        "time": event.time.isoformat(),
    }


def _access(event: LockEvent) -> Fired | None:
    """Unlocks by method, locks by source, and failed attempts (L-40, L-44)."""
    match event:
        case UnlockedEvent(method=method, slot=slot):
            return f"unlocked_{method}", _who(event) | {"method": method, "slot": slot}
        case LockedEvent(source=source):
            return f"locked_{source}", _who(event) | {"source": source}
        case UnlockFailedEvent(method=method, reason=reason):
            return "unlock_failed", _who(event) | {"method": method, "reason": reason}
    return None


def _alarm(event: LockEvent) -> Fired | None:
    """Alarms as they are raised (their clearing is a state, not news)."""
    if isinstance(event, AlarmEvent) and not event.cleared:
        return event.alarm, _who(event)
    return None


def _doorbell(event: LockEvent) -> Fired | None:
    if event.type != "doorbell":
        return None
    return DoorbellEventType.RING, {"time": event.time.isoformat()}


@dataclass(frozen=True, kw_only=True)
class EzlockEventEntityDescription(EventEntityDescription):
    """Which lock events an entity fires, and as what."""

    event_fn: Callable[[LockEvent], Fired | None]


EVENTS: tuple[EzlockEventEntityDescription, ...] = (
    EzlockEventEntityDescription(
        key="access",
        translation_key="access",
        event_types=[
            *(f"unlocked_{method}" for method in UNLOCK_METHODS),
            *(f"locked_{source}" for source in LOCK_SOURCES),
            "unlock_failed",
        ],
        event_fn=_access,
    ),
    EzlockEventEntityDescription(
        key="alarm",
        translation_key="alarm",
        event_types=list(ALARMS),
        event_fn=_alarm,
    ),
    EzlockEventEntityDescription(
        key="doorbell",
        translation_key="doorbell",
        device_class=EventDeviceClass.DOORBELL,
        event_types=[DoorbellEventType.RING],
        event_fn=_doorbell,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EzlockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the access, alarm and doorbell event entities."""
    async_add_entities(
        EzlockEventEntity(entry.runtime_data, description) for description in EVENTS
    )


class EzlockEventEntity(EzlockEntity, EventEntity):
    """Fires for each new lock event its description maps."""

    entity_description: EzlockEventEntityDescription

    async def async_added_to_hass(self) -> None:
        """Listen to the coordinator's event stream while added."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_event_listener(self._handle_lock_event)
        )

    @callback
    def _handle_lock_event(self, event: LockEvent) -> None:
        if fired := self.entity_description.event_fn(event):
            event_type, attributes = fired
            if event_type in self.event_types:
                self._trigger_event(event_type, attributes)
                self.async_write_ha_state()
