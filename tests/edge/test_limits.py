"""One source of limits (core/limits.py): the OpenAPI document carries them, the API enforces them.

Clients (the Home Assistant integration among them) take their limits from the served
OpenAPI document, so the document must say exactly what the edge driver enforces.
"""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol

from ezlock_edge.api import schemas
from ezlock_edge.api.openapi import SCHEMAS
from ezlock_edge.api.routes import openapi_document
from ezlock_edge.core import limits
from ezlock_edge.core.limits import Limit

# (where in the document, the limit it must carry, the schema that enforces it, field)
_INTEGER_LIMITS: list[tuple[tuple[str, ...], Limit, Any, str]] = [
    (
        ("CountdownLock", "seconds"),
        limits.COUNTDOWN_SECONDS,
        schemas.COUNTDOWN_LOCK,
        "seconds",
    ),
    (
        ("SettingsPatch", "countdown_lock_seconds"),
        limits.COUNTDOWN_SECONDS,
        schemas.SETTINGS_PATCH,
        "countdown_lock_seconds",
    ),
    (("SettingsPatch", "volume"), limits.VOLUME, schemas.SETTINGS_PATCH, "volume"),
]


def _property(schema: str, field: str) -> dict[str, Any]:
    found: dict[str, Any] = SCHEMAS[schema]["properties"][field]
    if "anyOf" in found:
        found = next(s for s in found["anyOf"] if s.get("type") != "null")
    return found


@pytest.mark.parametrize(("where", "limit", "schema", "field"), _INTEGER_LIMITS)
def test_the_document_carries_each_limit_the_api_enforces(
    where: tuple[str, str], limit: Limit, schema: Any, field: str
) -> None:
    documented = _property(*where)
    assert (documented["minimum"], documented["maximum"]) == (
        limit.minimum,
        limit.maximum,
    )
    for good in (limit.minimum, limit.maximum):
        schema({field: good})
    for bad in (limit.minimum - 1, limit.maximum + 1):
        with pytest.raises(vol.Invalid):
            schema({field: bad})


def test_visitor_uses_user_numbers_names_and_passwords() -> None:
    uses = _property("TemporaryPasswordCreate", "max_uses")
    assert (uses["minimum"], uses["maximum"]) == (
        limits.VISITOR_USES.minimum,
        limits.VISITOR_USES.maximum,
    )
    number = _property("User", "number")
    assert (number["minimum"], number["maximum"]) == (
        limits.USER_NUMBER.minimum,
        limits.USER_NUMBER.maximum,
    )
    name = _property("UserCreate", "name")
    assert (name["minLength"], name["maxLength"]) == (
        limits.NAME_LENGTH.minimum,
        limits.NAME_LENGTH.maximum,
    )
    password = _property("Password", "password")
    assert (password["minLength"], password["maxLength"]) == (
        limits.PASSWORD_DIGITS.minimum,
        limits.PASSWORD_DIGITS.maximum,
    )
    schemas.USER_NUMBER(str(limits.USER_NUMBER.maximum))
    with pytest.raises(vol.Invalid):
        schemas.USER_NUMBER(str(limits.USER_NUMBER.maximum + 1))
    long_name = "x" * (limits.NAME_LENGTH.maximum + 1)
    with pytest.raises(vol.Invalid):
        schemas.USER_CREATE({"name": long_name})


def test_the_events_query_limit_and_its_default() -> None:
    [parameter] = [
        p
        for p in openapi_document()["paths"]["/api/v1/events"]["get"]["parameters"]
        if p["name"] == "limit"
    ]
    assert parameter["schema"] == {
        "type": "integer",
        "minimum": limits.EVENTS_PER_QUERY.minimum,
        "maximum": limits.EVENTS_PER_QUERY.maximum,
        "default": limits.EVENTS_PER_QUERY_DEFAULT,
    }
