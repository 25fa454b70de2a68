"""Natural names (issue #14): the device after the lock's place, people by name.

The pairing form offers the name the edge driver advertises (``name = "Front door"``),
else ``ezlock`` and the serial's last characters; entity ids follow it. The lock's
``changed_by`` is the person's or the visitor code's name, the logbook line says how, and
the access event's attributes are translated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
import pytest

from custom_components.ezlock import config_flow, logbook
from custom_components.ezlock.client import VisitorKind
from custom_components.ezlock.const import (
    CONF_NAME_PLACE,
    CONF_VERIFICATION_CODE,
    DOMAIN,
    EVENT_ACCESS,
)
from ezlock_edge.app import EdgeApp, EdgeOptions
from tests.support.lock import ADMIN_PASSWORD, open_pairing, sim_of, verification_code
from tests.support.waiting import eventually

from .common import current, fired, paired_entry, setup_entry, state_of

HOST = "127.0.0.1"


@pytest.fixture(autouse=True)
def fast_polling() -> Iterator[None]:
    """Poll the pairing window without waiting a second between reads."""
    with patch.object(config_flow, "PAIRING_POLL_INTERVAL", 0.01):
        yield


@pytest.fixture
def edge_options(edge_options: EdgeOptions) -> EdgeOptions:
    """Let the lock advertise where it is."""
    return replace(edge_options, name="Front door")


async def test_the_device_is_named_after_the_advertised_place(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """The form offers ``Front door``; the owner's choice names device and entity ids."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: edge.port}
    )
    await open_pairing(edge)
    await eventually(
        lambda: (
            hass.config_entries.flow.async_get(result["flow_id"])["step_id"]
            == "verification_code"
        ),
        "the code form",
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["step_id"] == "verification_code"
    schema = result["data_schema"]
    assert schema is not None
    [name_key] = [key for key in schema.schema if key == CONF_NAME_PLACE]
    assert name_key.description == {"suggested_value": "Front door"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_VERIFICATION_CODE: await verification_code(edge),
            CONF_NAME_PLACE: "  Back door ",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Back door"
    entry = result["result"]
    await hass.async_block_till_done()
    await eventually(lambda: entry.runtime_data.streaming, "the push connection")
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, edge.core.info.serial), entry.entry_id
    )
    assert device is not None
    assert device.name == "Back door"
    assert current(hass, "lock.back_door").state == "locked"
    assert hass.states.get("sensor.back_door_battery") is not None


async def _logbook_lines(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Describe every ``ezlock_access`` event as the logbook would."""
    describers: dict[str, Any] = {}
    logbook.async_describe_events(
        hass, lambda domain, kind, fn: describers.setdefault(kind, fn)
    )
    lines: list[dict[str, Any]] = []

    @callback
    def _heard(event: Event) -> None:
        lines.append(describers[EVENT_ACCESS](event))

    hass.bus.async_listen(EVENT_ACCESS, _heard)
    await async_get_translations(hass, "en", "entity", {DOMAIN})
    return lines


async def test_who_opened_by_name_in_changed_by_and_the_logbook(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """``changed_by`` is the person's name; the logbook line says how and who."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    lines = await _logbook_lines(hass)
    access = fired(hass, "access")
    await sim_of(edge).keypad([*ADMIN_PASSWORD, "confirm"])
    await eventually(lambda: bool(lines), "the logbook line")
    admin = (await edge.core.list_users())[0]
    lock_id = state_of(hass, "lock", "lock").entity_id
    assert lines[0] == {
        LOGBOOK_ENTRY_NAME: entry.title,
        LOGBOOK_ENTRY_MESSAGE: f"Unlocked by password · {admin.name}",
        LOGBOOK_ENTRY_ENTITY_ID: lock_id,
    }
    await eventually(
        lambda: (
            state_of(hass, "lock", "lock").attributes.get("changed_by") == admin.name
        ),
        "changed_by",
    )
    offset = dt_util.now().isoformat()[-6:]  # Home Assistant's time zone
    assert access[0].attributes["time"].endswith(offset)

    await sim_of(edge).keypad([*"917364", "confirm"])
    await eventually(lambda: len(lines) == 2, "the failed attempt's line")
    assert lines[1][LOGBOOK_ENTRY_MESSAGE] == "Unlock failed · Not recognised"


async def test_a_visitor_code_opens_by_its_name(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """A visitor code's unlock carries its id and name to Home Assistant."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    lines = await _logbook_lines(hass)
    access = fired(hass, "access")
    visitor = await entry.runtime_data.client.create_visitor(
        VisitorKind.TEMPORARY_PASSWORD,
        name="Weekend guest",
        valid_until=edge.core.events.query()[0].time + timedelta(days=400),
    )
    assert visitor.secret is not None
    await sim_of(edge).keypad([*visitor.secret, "confirm"])
    await eventually(lambda: bool(lines), "the logbook line")
    assert lines[0][LOGBOOK_ENTRY_MESSAGE] == (
        "Unlocked by visitor code · Weekend guest"
    )
    await eventually(lambda: bool(access), "the access event")
    attributes = access[0].attributes
    assert (attributes["visitor_id"], attributes["visitor_name"]) == (
        visitor.id,
        "Weekend guest",
    )
    assert attributes["user_name"] is None
    await eventually(
        lambda: (
            state_of(hass, "lock", "lock").attributes.get("changed_by")
            == "Weekend guest"
        ),
        "changed_by",
    )


async def test_a_refused_bluetooth_lock_is_an_access_event(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """L-12, L-31: a key that may not lock yet, and no key of ours: ``lock_failed``."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    lines = await _logbook_lines(hass)
    access = fired(hass, "access")
    now = edge.core.events.query()[0].time
    visitor = await entry.runtime_data.client.create_visitor(
        VisitorKind.BLUETOOTH_KEY,
        name="Guest phone",
        valid_from=now + timedelta(days=300),
        valid_until=now + timedelta(days=400),
    )
    assert visitor.secret is not None
    await sim_of(edge).bluetooth(visitor.secret, action="lock")
    await eventually(lambda: bool(access), "the refused lock")
    attributes = access[0].attributes
    assert (
        attributes["event_type"],
        attributes["source"],
        attributes["reason"],
        attributes["visitor_id"],
        attributes["visitor_name"],
    ) == ("lock_failed", "bluetooth", "not_yet_valid", visitor.id, "Guest phone")
    await eventually(lambda: bool(lines), "the logbook line")
    assert (
        lines[0][LOGBOOK_ENTRY_MESSAGE] == "Lock failed · Not valid yet · Guest phone"
    )
    await sim_of(edge).bluetooth("not-a-key-of-this-lock", action="lock")
    await eventually(lambda: len(lines) == 2, "the unknown key's line")
    assert lines[1][LOGBOOK_ENTRY_MESSAGE] == "Lock failed · Not recognised"
    assert access[1].attributes["visitor_name"] is None
