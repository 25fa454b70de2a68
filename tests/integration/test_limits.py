"""The integration's limits are the edge driver's: one set, checked against its OpenAPI.

The OpenAPI document the running edge driver serves is the source; the client's
``contract`` must say the same, and every place of the integration that bounds a value
(action schemas, services.yaml selectors, the countdown number entity) must use the
client's limits, so that Home Assistant refuses exactly what the lock would refuse.
"""

from __future__ import annotations

from pathlib import Path
import re
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import probatio as vol
import pytest
import yaml

from custom_components.ezlock import number, service_handlers, services
from custom_components.ezlock.client import contract
from ezlock_edge.app import EdgeApp

SERVICES_YAML = Path(services.__file__).with_name("services.yaml")


async def _openapi(hass: HomeAssistant, edge: EdgeApp) -> dict[str, Any]:
    fingerprint = edge.tls_fingerprint
    assert fingerprint is not None
    async with async_get_clientsession(hass).get(
        f"{edge.url}/api/v1/openapi.json",
        ssl=aiohttp.Fingerprint(bytes.fromhex(fingerprint)),
    ) as response:
        document: dict[str, Any] = await response.json()
    return document


def _bounds(schema: dict[str, Any]) -> contract.Limit:
    """Return an integer's minimum and maximum, or a string's lengths (null aside)."""
    for option in schema.get("anyOf", [schema]):
        if option.get("type") == "integer":
            return contract.Limit(option["minimum"], option["maximum"])
        if option.get("type") == "string":
            return contract.Limit(option["minLength"], option["maxLength"])
    raise AssertionError(f"no bounds in {schema}")


async def test_client_contract_is_the_openapi_document(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Each limit of client/contract.py is the one the edge driver documents."""
    document = await _openapi(hass, edge)
    schemas = document["components"]["schemas"]

    def prop(schema: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = schemas[schema]["properties"][name]
        return found

    def query(path: str, name: str) -> dict[str, Any]:
        operation = document["paths"][path]["get"]
        return next(p["schema"] for p in operation["parameters"] if p["name"] == name)

    assert document["info"]["x-api-version"] == contract.API_VERSION
    assert _bounds(prop("CountdownLock", "seconds")) == contract.COUNTDOWN_SECONDS
    assert _bounds(prop("SettingsPatch", "countdown_lock_seconds")) == (
        contract.COUNTDOWN_SECONDS
    )
    assert _bounds(prop("SettingsPatch", "volume")) == contract.VOLUME
    for schema in ("UserCreate", "TemporaryPasswordCreate", "BluetoothKeyCreate"):
        assert _bounds(prop(schema, "name")) == contract.NAME_LENGTH, schema
    assert _bounds(prop("User", "number")) == contract.USER_NUMBER
    assert _bounds(query("/api/v1/credentials", "user")) == contract.USER_NUMBER
    assert prop("Password", "password")["pattern"] == contract.PASSWORD_PATTERN
    assert _bounds(prop("TemporaryPasswordCreate", "max_uses")) == (
        contract.VISITOR_USES
    )
    assert _bounds(query("/api/v1/events", "limit")) == contract.EVENTS_PAGE


def _field(action: str, name: str) -> Any:
    """Return the validator of one field of an action's schema."""
    schema = services.ACTIONS[action].schema
    return next(validator for key, validator in schema.items() if str(key) == name)


def _refuses(validator: Any, value: object) -> bool:
    try:
        vol.Schema(validator)(value)
    except vol.Invalid:
        return True
    return False


@pytest.mark.parametrize(
    ("action", "field", "limit"),
    [
        ("countdown_lock", "seconds", contract.COUNTDOWN_SECONDS),
        ("set_countdown_lock", "seconds", contract.COUNTDOWN_SECONDS),
        ("set_lock_user", "user_number", contract.USER_NUMBER),
        ("clear_lock_user", "user_number", contract.USER_NUMBER),
        ("set_lock_password", "user_number", contract.USER_NUMBER),
        ("enroll_credential", "user_number", contract.USER_NUMBER),
        ("create_temporary_password", "max_uses", contract.VISITOR_USES),
        ("get_events", "limit", contract.EVENTS_PAGE),
    ],
)
def test_action_schemas_use_the_limits(
    action: str, field: str, limit: contract.Limit
) -> None:
    """Action schemas accept the bounds and refuse one past each (0 uses: unlimited)."""
    validator = _field(action, field)
    assert not _refuses(validator, limit.minimum)
    assert not _refuses(validator, limit.maximum)
    assert _refuses(validator, limit.maximum + 1)
    below = limit.minimum - 1
    assert _refuses(validator, below) is not (
        field == "max_uses" and below == service_handlers.UNLIMITED_USES
    )

    described = yaml.safe_load(SERVICES_YAML.read_text())[action]["fields"][field]
    selected = described["selector"]["number"]
    low = service_handlers.UNLIMITED_USES if field == "max_uses" else limit.minimum
    assert (selected["min"], selected["max"]) == (low, limit.maximum)


@pytest.mark.parametrize(
    "action", ["create_temporary_password", "create_bluetooth_key", "set_lock_user"]
)
def test_names_use_the_limit(action: str) -> None:
    """A name of 1 to NAME_LENGTH characters."""
    validator = _field(action, "name")
    assert not _refuses(validator, "x" * contract.NAME_LENGTH.maximum)
    assert _refuses(validator, "x" * (contract.NAME_LENGTH.maximum + 1))
    assert _refuses(validator, "")


def test_password_uses_the_pattern() -> None:
    """The action takes the lock's password shape (L-25: 6 to 10 digits)."""
    validator = _field("set_lock_password", "password")
    low, high = contract.PASSWORD_LENGTH.minimum, contract.PASSWORD_LENGTH.maximum
    for length, refused in (
        (low - 1, True),
        (low, False),
        (high, False),
        (high + 1, True),
    ):
        assert _refuses(validator, "7" * length) is refused, length
    assert _refuses(validator, "12a456")
    assert re.fullmatch(contract.PASSWORD_PATTERN, "7" * low)


def test_countdown_number_uses_the_limit() -> None:
    """The countdown delay entity is bounded like the setting."""
    description = number.COUNTDOWN_SECONDS
    assert (description.native_min_value, description.native_max_value) == (
        contract.COUNTDOWN_SECONDS.minimum,
        contract.COUNTDOWN_SECONDS.maximum,
    )


def test_ended_visitors_are_listed_as_long_as_the_lock_keeps_them() -> None:
    """The visitor rows' refresh uses the retention docs/api.md gives and the edge keeps."""
    from ezlock_edge.core.visitors import RETENTION

    assert contract.ENDED_VISITOR_RETENTION == RETENTION
    api = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    assert f"forgets it {RETENTION.days} days after it ended" in api
