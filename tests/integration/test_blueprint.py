"""The doorbell blueprint: valid for Home Assistant, and it sends the ring's picture.

The blueprint is read with Home Assistant's own YAML loader and blueprint schema, its
inputs are substituted as the automation editor does, and the result is checked by the
automation integration's validator (triggers, conditions, the device action).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.components.automation.config import (
    AUTOMATION_BLUEPRINT_SCHEMA,
    async_validate_config_item,
)
from homeassistant.components.blueprint.models import Blueprint, BlueprintInputs
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import MockConfigEntry

BLUEPRINT = (
    Path(__file__).parents[2]
    / "blueprints"
    / "automation"
    / "ezlock"
    / "doorbell_notification.yaml"
)


def _blueprint() -> Blueprint:
    return Blueprint(
        load_yaml_dict(str(BLUEPRINT)),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )


def test_the_blueprint_is_valid_and_asks_for_the_lock_and_a_phone() -> None:
    blueprint = _blueprint()
    inputs: dict[str, Any] = blueprint.inputs
    assert set(inputs) == {"doorbell", "last_visitor", "phone", "title", "message"}
    doorbell = inputs["doorbell"]["selector"]["entity"]["filter"][0]
    assert doorbell == {
        "integration": "ezlock",
        "domain": ["event"],
        "device_class": ["doorbell"],
    }
    assert inputs["last_visitor"]["selector"]["entity"]["filter"][0] == {
        "integration": "ezlock",
        "domain": ["image"],
    }


async def test_an_automation_from_it_attaches_the_last_visitor(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry
) -> None:
    phone_entry = MockConfigEntry(domain="mobile_app", data={"webhook_id": "phone"})
    phone_entry.add_to_hass(hass)
    phone = device_registry.async_get_or_create(
        config_entry_id=phone_entry.entry_id, identifiers={("mobile_app", "phone")}
    )
    blueprint = _blueprint()
    used = BlueprintInputs(
        blueprint,
        {
            "use_blueprint": {
                "path": "ezlock/doorbell_notification.yaml",
                "input": {
                    "doorbell": "event.front_door_doorbell",
                    "last_visitor": "image.front_door_last_visitor",
                    "phone": phone.id,
                },
            }
        },
    )
    used.validate()
    config = used.async_substitute()
    assert config["triggers"][0]["entity_id"] == "event.front_door_doorbell"
    notify = config["actions"][-1]
    assert notify["domain"] == "mobile_app"
    assert notify["message"] == "Someone rang at the front door"
    assert notify["data"]["image"] == "/api/image_proxy/{{ last_visitor }}"
    assert config["variables"]["last_visitor"] == "image.front_door_last_visitor"
    validated = await async_validate_config_item(hass, "doorbell", config)
    assert validated is not None
    assert validated.validation_error is None, validated.validation_error
