"""The OpenAPI document names exactly the real routes and the fields they accept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol

from ezlock_edge.api import schemas
from ezlock_edge.api.openapi import SCHEMAS
from ezlock_edge.api.routes import PREFIX, ROUTES
from ezlock_edge.api.server import create_router
from ezlock_edge.clock import ManualClock
from ezlock_edge.core.models import ClientRole
from tests.support.lock import create_first_admin, sim_of

from .api_support import ApiClient, client_for, pair, running_edge


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[ApiClient]:
    clock = ManualClock()
    async with running_edge(tmp_path, clock) as edge, client_for(edge) as client:
        yield client


async def test_document_lists_exactly_the_served_routes(client: ApiClient) -> None:
    reply = await client.call("GET", "/openapi.json")
    assert reply.status == 200
    document = reply.body
    assert document["openapi"] == "3.1.0"
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert documented == set(create_router().routes())
    # Each one is served: over the socket, without a token, no route is "not found"
    # or "method not allowed" (a protected one answers 401 before anything else).
    placeholders = {
        "{number}": "1",
        "{id}": "x1",
        "{credential_type}": "fingerprint",
    }
    for method, template in documented:
        path = template
        for placeholder, value in placeholders.items():
            path = path.replace(placeholder, value)
        reply = await client.call(method, path.removeprefix(PREFIX), token="")
        assert reply.status not in {404, 405} or reply.body["error"] not in {
            "not_found",
            "method_not_allowed",
        }, (method, path)
    missing = await client.call("GET", "/not_a_route", token="")
    assert (missing.status, missing.body["error"]) == (404, "not_found")


async def test_document_names_the_role_of_every_route(client: ApiClient) -> None:
    """Issue #11.2: each operation's security names the least role it needs."""
    document = (await client.call("GET", "/openapi.json")).body
    for route in ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        if route.role is None:
            assert operation["security"] == [], route.path
        else:
            assert operation["security"] == [{"bearer": [route.role.value]}]
            assert operation["x-ezlock-role"] == route.role.value
            assert ("403" in operation["responses"]) is (
                route.role is ClientRole.ADMIN
            ), (route.method, route.path)
    operate = {
        (route.method, route.path.removeprefix(PREFIX))
        for route in ROUTES
        if route.role is ClientRole.OPERATE
    }
    assert operate == {
        ("GET", "/state"),
        ("GET", "/events"),
        ("GET", "/settings"),
        ("POST", "/lock"),
        ("POST", "/unlock"),
        ("POST", "/countdown_lock"),
        ("GET", "/ws"),
        # L-13: every client may view the door (docs/security.md, The camera).
        ("GET", "/camera/snapshot"),
        ("GET", "/camera/stream"),
        ("GET", "/camera/snapshots/{id}"),
    }


def _keys(schema: Any) -> set[str]:
    if isinstance(schema, vol.All):
        schema = schema.validators[0]
    return {str(key) for key in schema.schema}


@pytest.mark.parametrize(
    ("validator", "component"),
    [
        (schemas.PAIR, "PairRequest"),
        (schemas.COUNTDOWN_LOCK, "CountdownLock"),
        (schemas.SETTINGS_PATCH, "SettingsPatch"),
        (schemas.USER_CREATE, "UserCreate"),
        (schemas.USER_PATCH, "UserPatch"),
        (schemas.PASSWORD, "Password"),
        (schemas.ENROLLMENT, "EnrollmentRequest"),
        (schemas.CREDENTIAL_PATCH, "CredentialPatch"),
        (schemas.TEMPORARY_PASSWORD_CREATE, "TemporaryPasswordCreate"),
        (schemas.BLUETOOTH_KEY_CREATE, "BluetoothKeyCreate"),
        (schemas.EMPTY, "Empty"),
        (schemas.CLIENT_CREATE, "ClientCreate"),
    ],
)
def test_request_schemas_match_the_document(validator: Any, component: str) -> None:
    assert _keys(validator) == set(SCHEMAS[component]["properties"])


async def test_settings_and_state_match_the_lock(client: ApiClient) -> None:
    """The documented objects have exactly the fields the lock core sends."""
    state = client.edge.core.state.as_dict()
    assert set(state) == set(SCHEMAS["State"]["properties"])
    settings = client.edge.core.get_settings().as_dict()
    assert set(settings) == set(SCHEMAS["Settings"]["properties"])
    assert set(settings) == _keys(schemas.SETTINGS_PATCH)


async def test_replies_have_exactly_the_documented_fields(tmp_path: Path) -> None:
    """Each object the API returns has the fields its schema documents, no more."""
    clock = ManualClock()
    async with running_edge(tmp_path, clock) as edge, client_for(edge) as api:
        await create_first_admin(sim_of(edge))
        await pair(api)
        until = (clock.now() + timedelta(days=1)).isoformat()
        replies = {
            "Info": (await api.call("GET", "/info")).body,
            "State": (await api.call("GET", "/state")).body,
            "Settings": (await api.call("GET", "/settings")).body,
            "User": (await api.call("POST", "/users", {"name": "Bob"})).body,
            "Credential": (
                await api.call("PUT", "/users/2/password", {"password": "583920"})
            ).body,
            "Enrollment": (
                await api.call("POST", "/users/2/enrollments", {"type": "face"})
            ).body,
            "TemporaryPassword": (
                await api.call(
                    "POST", "/temporary_passwords", {"name": "V", "valid_until": until}
                )
            ).body,
            "BluetoothKey": (
                await api.call(
                    "POST", "/bluetooth_keys", {"name": "V", "valid_until": until}
                )
            ).body,
            "Client": (await api.call("GET", "/clients")).body["clients"][0],
            "Events": (await api.call("GET", "/events")).body,
            "CountdownStarted": (
                await api.call("POST", "/countdown_lock", {"seconds": 5})
            ).body,
        }
    for name, body in replies.items():
        assert set(body) == set(SCHEMAS[name]["properties"]), name
