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
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .client import (
    AlarmEvent,
    DoorbellEvent,
    LockedEvent,
    LockEvent,
    LockFailedEvent,
    UnlockedEvent,
    UnlockFailedEvent,
)
from .const import ALARMS, DOMAIN, EVENT_ACCESS, LOCK_SOURCES, UNLOCK_METHODS
from .coordinator import EzlockConfigEntry
from .entity import EzlockEntity

PARALLEL_UPDATES = 0

type Fired = tuple[str, dict[str, Any]]


def _who(event: LockEvent) -> dict[str, Any]:
    """Who acted, and when (in Home Assistant's time zone): every fired event has it."""
    user = event.user
    visitor = getattr(event, "visitor", None)
    return {
        "user_number": user.number if user else None,
        "user_name": user.name if user else None,
        "visitor_id": visitor.id if visitor else None,
        "visitor_name": visitor.name if visitor else None,
        "time": dt_util.as_local(event.time).isoformat(),
    }


def _access(event: LockEvent) -> Fired | None:
    """Unlocks by method, locks by source, and refused attempts (L-40, L-44, L-31)."""
    match event:
        case UnlockedEvent(method=method, slot=slot, snapshot_id=snapshot):
            return f"unlocked_{method}", _who(event) | {
                "method": method,
                "slot": slot,
                "snapshot_id": snapshot,
            }
        case LockedEvent(source=source):
            return f"locked_{source}", _who(event) | {"source": source}
        case LockFailedEvent(source=source, reason=reason):
            return "lock_failed", _who(event) | {"source": source, "reason": reason}
        case UnlockFailedEvent(method=method, reason=reason, snapshot_id=snapshot):
            return "unlock_failed", _who(event) | {
                "method": method,
                "reason": reason,
                "snapshot_id": snapshot,
            }
    return None


def _alarm(event: LockEvent) -> Fired | None:
    """Alarms as they are raised (their clearing is a state, not news)."""
    if isinstance(event, AlarmEvent) and not event.cleared:
        return event.alarm, _who(event)
    return None


def _doorbell(event: LockEvent) -> Fired | None:
    """Return a ring, with the snapshot of who rang (the last visitor image)."""
    if not isinstance(event, DoorbellEvent):
        return None
    return DoorbellEventType.RING, {
        "time": dt_util.as_local(event.time).isoformat(),
        "snapshot_id": event.snapshot_id,
    }


@dataclass(frozen=True, kw_only=True)
class EzlockEventEntityDescription(EventEntityDescription):
    """Which lock events an entity fires, and as what."""

    event_fn: Callable[[LockEvent], Fired | None]
    logbook: bool = False  # also fire ``ezlock_access`` for the logbook line


EVENTS: tuple[EzlockEventEntityDescription, ...] = (
    EzlockEventEntityDescription(
        key="access",
        translation_key="access",
        event_types=[
            *(f"unlocked_{method}" for method in UNLOCK_METHODS),
            *(f"locked_{source}" for source in LOCK_SOURCES),
            "unlock_failed",
            "lock_failed",
        ],
        event_fn=_access,
        logbook=True,
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

    def _shown(self) -> object:
        """Return nothing of the state: the entity changes with events (and availability)."""
        return None

    @callback
    def _handle_lock_event(self, event: LockEvent) -> None:
        if fired := self.entity_description.event_fn(event):
            event_type, attributes = fired
            if event_type in self.event_types:
                # The action's context if a Home Assistant action caused the event,
                # else the event's own (issue #11.6): never a user's by proximity.
                context = self.coordinator.contexts.context_of(event)
                self.async_set_context(context)
                self._trigger_event(event_type, attributes)
                self.async_write_ha_state()
                if self.entity_description.logbook:
                    self._fire_logbook(event_type, attributes, context)

    @callback
    def _fire_logbook(
        self, event_type: str, attributes: dict[str, Any], context: Context
    ) -> None:
        """Put the access on the bus for the lock's logbook line (logbook.py)."""
        serial = self.coordinator.info.serial
        lock_id = er.async_get(self.hass).async_get_entity_id(
            "lock", DOMAIN, f"{serial}-lock"
        )
        device = dr.async_get(self.hass).async_get_device_by_identifier(
            (DOMAIN, serial), self.coordinator.config_entry.entry_id
        )
        name = (
            (device.name_by_user or device.name) if device else None
        ) or self.coordinator.config_entry.title
        self.hass.bus.async_fire(
            EVENT_ACCESS,
            {
                "type": event_type,
                "reason": attributes.get("reason"),
                "who": attributes.get("user_name") or attributes.get("visitor_name"),
                "name": name,
                "entity_id": lock_id,
                "device_id": device.id if device else None,
            },
            context=context,
        )
