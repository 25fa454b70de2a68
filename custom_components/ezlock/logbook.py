"""Logbook lines that say who opened or locked the door, how, and why an attempt failed.

Every access event of the lock is fired on the bus as ``ezlock_access`` (with the lock's
entity id) and described here in Home Assistant's language, from the integration's own
translations of the access event: ``Front door · Unlocked by fingerprint · Alice``,
``Front door · Unlock failed · Outside the schedule · Weekend guest``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.translation import async_get_cached_translations

from .const import DOMAIN, EVENT_ACCESS

_ATTRIBUTES = f"component.{DOMAIN}.entity.event.access.state_attributes"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe the lock's access events."""

    @callback
    def describe(event: Event) -> dict[str, Any]:
        data = event.data
        words = async_get_cached_translations(
            hass, hass.config.language, "entity", DOMAIN
        )

        def word(attribute: str, value: str) -> str:
            return words.get(f"{_ATTRIBUTES}.{attribute}.state.{value}", value)

        parts = [word("event_type", data["type"])]
        if reason := data.get("reason"):
            parts.append(word("reason", reason))
        if who := data.get("who"):
            parts.append(who)
        return {
            LOGBOOK_ENTRY_NAME: data["name"],
            LOGBOOK_ENTRY_MESSAGE: " · ".join(parts),
            LOGBOOK_ENTRY_ENTITY_ID: data.get("entity_id"),
        }

    async_describe_event(DOMAIN, EVENT_ACCESS, describe)
