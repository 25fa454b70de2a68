"""Who can open the door, on one screen: the options flow's overview (issue #14, task 1).

People (role, validity, schedule, credentials) and visitor codes and Bluetooth keys
(status, validity, schedule, uses) as two tables, read from the real edge driver when
the screen opens, in Home Assistant's language.
"""

from __future__ import annotations

from datetime import timedelta

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ezlock.const import DOMAIN
from ezlock_edge.app import EdgeApp
from ezlock_edge.core.models import VisitorKind
from ezlock_edge.core.schedule import Schedule

from .common import paired_entry, setup_entry


async def _overview(hass: HomeAssistant, entry: MockConfigEntry) -> ConfigFlowResult:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "overview"}
    )


def _rows(table: str) -> list[list[str]]:
    """Read a Markdown table back into cells (without the header and its rule)."""
    return [
        [cell.strip() for cell in line.strip("|").split(" | ")]
        for line in table.splitlines()[2:]
    ]


async def test_people_and_visitors_on_one_screen(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Every person and visitor as the lock knows them now, with their status."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    now = edge.core._clock.now()
    bob = await edge.core.create_user(
        "Bob | the *cleaner*",
        schedule=Schedule.from_list(
            [{"days": ["mon", "wed"], "from": "08:00", "until": "12:00"}]
        ),
    )
    await edge.core.set_password(bob.number, "583920")
    await edge.core.create_visitor(
        VisitorKind.TEMPORARY_PASSWORD, "Weekend guest", now + timedelta(days=2)
    )
    key, _ = await edge.core.create_visitor(
        VisitorKind.BLUETOOTH_KEY, "Dog walker", now + timedelta(days=1)
    )
    await edge.core.revoke_visitor(VisitorKind.BLUETOOTH_KEY, key.id)

    result = await _overview(hass, entry)
    # Read only: a menu (no Submit button) whose one choice leads back to the options.
    assert (result["type"], result["step_id"]) == (FlowResultType.MENU, "overview")
    assert result["menu_options"] == ["init"]
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    people = placeholders["people"]
    assert people.splitlines()[0] == (
        "| Name | Role | Valid | Schedule | Credentials |"
    )
    assert _rows(people) == [
        ["User 001", "Admin", "at any time", "at any time", "Password"],
        [
            r"Bob \| the \*cleaner\*",
            "User",
            "at any time",
            "Mon, Wed 08:00-12:00",
            "Password",
        ],
    ]
    visitors = _rows(placeholders["visitors"])
    assert [row[:3] for row in visitors] == [
        ["Weekend guest", "Visitor code", "Active"],
        ["Dog walker", "Bluetooth key", "Revoked"],
    ]
    assert visitors[0][5] == "0 / 1 \\(left: 1\\)"
    assert visitors[1][5] == "—"

    # Back to the options; nothing was changed, so no reload.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "init"}
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.MENU, "init")
    assert entry.options == {}


async def test_an_empty_lock_and_one_not_loaded(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """No visitor is a dash; a lock not set up or not reachable is said so."""
    entry = await paired_entry(hass, edge)
    result = await _overview(hass, entry)
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "not_loaded")

    await setup_entry(hass, entry)
    result = await _overview(hass, entry)
    assert result["description_placeholders"] is not None
    assert result["description_placeholders"]["visitors"] == "—"

    await edge.stop()
    result = await _overview(hass, entry)
    assert (result["type"], result["reason"]) == (
        FlowResultType.ABORT,
        "cannot_connect",
    )
    assert DOMAIN in hass.config.components
