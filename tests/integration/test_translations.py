"""Translations: complete in every shipped language, in step with the code, no URLs."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
import pytest
import yaml

from custom_components.ezlock import (
    binary_sensor,
    event,
    number,
    select,
    sensor,
    services,
    switch,
)
from custom_components.ezlock.const import (
    DOMAIN,
    LOCK_FAILURES,
    LOCK_SOURCES,
    UNLOCK_FAILURES,
    UNLOCK_METHODS,
)
from custom_components.ezlock.errors import REFUSAL_CODES, VALIDATION_CODES

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "ezlock"
LANGUAGES = ("en", "zh-Hant")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (INTEGRATION / name).read_text(encoding="utf-8")
    )
    return loaded


def _leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            found |= _leaves(value, path)
        else:
            found[path] = value
    return found


def test_strings_json_is_english() -> None:
    """strings.json (what hassfest reads) and en.json (what HA loads) agree."""
    assert _load("strings.json") == _load("translations/en.json")


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_keys_and_placeholders(language: str) -> None:
    """Every language has every string, with the same placeholders."""
    english = _leaves(_load("translations/en.json"))
    other = _leaves(_load(f"translations/{language}.json"))
    assert other.keys() == english.keys()
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(other[key])) == set(PLACEHOLDER.findall(text)), (
            key
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_urls(language: str) -> None:
    """Hassfest: URLs go in description placeholders, never in strings."""
    for key, text in _leaves(_load(f"translations/{language}.json")).items():
        assert not re.search(r"https?://|www\.", text), key


def test_every_raised_error_is_translated() -> None:
    """Each translation_key the code raises, and each lock error code, has a message."""
    exceptions = _load("translations/en.json")["exceptions"]
    raised = set()
    for module in INTEGRATION.glob("*.py"):
        raised |= set(
            re.findall(
                r'translation_domain=DOMAIN,\s*translation_key="(\w+)"',
                module.read_text(),
            )
        )
    assert raised | VALIDATION_CODES | REFUSAL_CODES | {"refused"} == exceptions.keys()


def test_entity_translation_keys_exist() -> None:
    """Each entity description's translation_key has a name."""
    entities = _load("translations/en.json")["entity"]
    descriptions = {
        "binary_sensor": binary_sensor.BINARY_SENSORS,
        "event": event.EVENTS,
        "number": (number.COUNTDOWN_SECONDS,),
        "select": (select.DOOR_DIRECTION,),
        "sensor": sensor.SENSORS,
        "switch": switch.SWITCHES,
    }
    for platform, items in descriptions.items():
        keys = {d.translation_key for d in items if d.translation_key}
        assert keys == entities[platform].keys(), platform
    for description in event.EVENTS:
        states = entities["event"][description.key]["state_attributes"]["event_type"]
        assert description.event_types is not None
        assert set(description.event_types) == states["state"].keys()


def test_access_attributes_translate_the_event_catalogue() -> None:
    """Every method, source and reason of an access event has its word (the logbook's)."""
    attributes = _load("translations/en.json")["entity"]["event"]["access"][
        "state_attributes"
    ]
    assert attributes["method"]["state"].keys() == set(UNLOCK_METHODS)
    assert attributes["source"]["state"].keys() == set(LOCK_SOURCES)
    assert attributes["reason"]["state"].keys() == {*UNLOCK_FAILURES, *LOCK_FAILURES}
    for catalogue in (UNLOCK_METHODS, LOCK_SOURCES, UNLOCK_FAILURES, LOCK_FAILURES):
        assert len(set(catalogue)) == len(catalogue), catalogue


def test_actions_described_everywhere() -> None:
    """services.yaml, the translations and icons.json list the same actions and fields."""
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    translated = _load("translations/en.json")["services"]
    icons = _load("icons.json")["services"]
    assert (
        described.keys() == translated.keys() == icons.keys() == services.ACTIONS.keys()
    )
    for name, spec in described.items():
        fields = set((spec or {}).get("fields", {}))
        assert fields == set(translated[name].get("fields", {})), name
        schema_fields = {str(marker) for marker in services.ACTIONS[name].schema}
        assert fields == schema_fields, name


async def test_actions_load_with_their_responses(hass: HomeAssistant) -> None:
    """Home Assistant accepts services.yaml; responses are announced as registered."""
    assert await async_setup_component(hass, DOMAIN, {})
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    assert descriptions.keys() == services.ACTIONS.keys()
    for name, description in descriptions.items():
        response = services.ACTIONS[name].response
        if response is SupportsResponse.NONE:
            assert "response" not in description, name
        else:
            assert description["response"] == {
                "optional": response is SupportsResponse.OPTIONAL
            }, name
        assert description["target"] == {
            "entity": [{"domain": ["lock"], "integration": DOMAIN}]
        }
