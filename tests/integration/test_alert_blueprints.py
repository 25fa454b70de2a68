"""The alert blueprints (issue #14): valid for Home Assistant, and they fire on the lock.

Each is read with Home Assistant's YAML loader and blueprint schema and checked by the
automation validator; two run for real against the edge driver: a low battery and a
visitor code opening the door each create the notification the blueprint defaults to.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

from homeassistant.components.automation.config import (
    AUTOMATION_BLUEPRINT_SCHEMA,
    async_validate_config_item,
)
from homeassistant.components.blueprint.models import Blueprint, BlueprintInputs
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest

from custom_components.ezlock.client import VisitorKind
from ezlock_edge.app import EdgeApp
from tests.support.lock import sim_of
from tests.support.waiting import eventually

from .common import entity_id, paired_entry, setup_entry

FOLDER = Path(__file__).parents[2] / "blueprints" / "automation" / "ezlock"
ALARMS = {
    "tamper_alarm": "tamper",
    "jammed": "jammed",
    "duress": "duress",
    "lockout": "lockout",
    "door_left_open": "door_left_open",
    "low_battery": "low_battery",
}


def _blueprint(name: str) -> Blueprint:
    return Blueprint(
        load_yaml_dict(str(FOLDER / f"{name}.yaml")),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )


@pytest.mark.parametrize("name", [*ALARMS, "visitor_code_used"])
async def test_each_blueprint_validates(hass: HomeAssistant, name: str) -> None:
    """Inputs substitute as the editor does; the automation validator accepts it."""
    blueprint = _blueprint(name)
    key = "access" if name == "visitor_code_used" else "alarm"
    used = BlueprintInputs(
        blueprint,
        {
            "use_blueprint": {
                "path": f"ezlock/{name}.yaml",
                "input": {key: "event.front_door_x"},
            }
        },
    )
    used.validate()
    config = used.async_substitute()
    assert config["triggers"][0]["entity_id"] == "event.front_door_x"
    if name in ALARMS:
        condition = config["conditions"][0]["value_template"]
        assert f"'{ALARMS[name]}'" in condition
    validated = await async_validate_config_item(hass, name, config)
    assert validated is not None
    assert validated.validation_error is None, validated.validation_error


async def _automations(
    hass: HomeAssistant, tmp_path: Path, uses: dict[str, dict[str, Any]]
) -> None:
    """Install the blueprints in a config folder of the test's own and use them."""
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints" / "automation" / "ezlock"
    target.mkdir(parents=True)
    for name in uses:
        shutil.copy(FOLDER / f"{name}.yaml", target)
    config = [
        {
            "id": name,
            "alias": name,
            "use_blueprint": {"path": f"ezlock/{name}.yaml", "input": inputs},
        }
        for name, inputs in uses.items()
    ]
    assert await async_setup_component(hass, "persistent_notification", {})
    assert await async_setup_component(hass, "automation", {"automation": config})
    await hass.async_block_till_done()


async def test_low_battery_and_a_visitor_code_notify(
    hass: HomeAssistant, edge: EdgeApp, tmp_path: Path
) -> None:
    """The defaults run: one notification per alarm, one per visitor-code unlock."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    notes: list[str] = []
    hass.bus.async_listen(
        "call_service",
        lambda event: (
            notes.append(str(event.data["service_data"].get("message")))
            if event.data["domain"] == "persistent_notification"
            else None
        ),
    )
    await _automations(
        hass,
        tmp_path,
        {
            "low_battery": {"alarm": entity_id(hass, "event", "alarm")},
            "visitor_code_used": {
                "access": entity_id(hass, "event", "access"),
                "visitor_name": "Weekend guest",
            },
        },
    )
    await sim_of(edge).battery(8)
    alarm = entity_id(hass, "event", "alarm")
    await eventually(
        lambda: (
            (state := hass.states.get(alarm)) is not None
            and state.attributes.get("event_type") == "low_battery"
        ),
        "the alarm",
    )
    await eventually(lambda: "The lock's battery is low" in notes, "the alert")

    visitor = await entry.runtime_data.client.create_visitor(
        VisitorKind.TEMPORARY_PASSWORD,
        name="Weekend guest",
        valid_until=edge.core.events.query()[0].time + timedelta(days=400),
    )
    assert visitor.secret is not None
    await sim_of(edge).keypad([*visitor.secret, "confirm"])
    await eventually(
        lambda: "Opened by visitor code Weekend guest" in notes, "the visitor alert"
    )
