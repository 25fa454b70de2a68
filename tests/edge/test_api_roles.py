"""Issue #11.2: client roles (Matter's Administer and Operate) and who made each change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ezlock_edge.api.routes import PREFIX, ROUTES
from ezlock_edge.clock import ManualClock
from ezlock_edge.core.models import ClientRole
from tests.support.lock import create_first_admin, sim_of

from .api_support import NO_BODY, ApiClient, client_for, pair, running_edge

ADMIN_ROUTES = [
    (route.method, route.path.removeprefix(PREFIX))
    for route in ROUTES
    if route.role is ClientRole.ADMIN
]


@pytest.fixture
async def tablet(api: ApiClient) -> AsyncIterator[ApiClient]:
    """Give a wall tablet an ``operate`` client, created by the admin (HA)."""
    reply = await api.call(
        "POST", "/clients", {"client_name": "Wall tablet", "role": "operate"}
    )
    assert reply.status == 201, reply.body
    assert reply.body["role"] == "operate"
    async with client_for(api.edge) as client:
        client.token = reply.body["token"]
        yield client


async def _events(api: ApiClient, kind: str) -> list[dict[str, Any]]:
    body = (await api.call("GET", "/events?since=0&limit=1000")).body
    return [event for event in body["events"] if event["type"] == kind]


async def test_an_admin_creates_an_operate_client(
    api: ApiClient, tablet: ApiClient
) -> None:
    clients = {
        c["name"]: c for c in (await api.call("GET", "/clients")).body["clients"]
    }
    assert {name: c["role"] for name, c in clients.items()} == {
        "Home Assistant": "admin",
        "Wall tablet": "operate",
    }
    me = clients["Home Assistant"]
    [added] = await _events(api, "client_added")
    assert added["client_id"] == clients["Wall tablet"]["client_id"]
    assert added["role"] == "operate"
    # The client that made the change has its own field: never mistaken for the
    # client the event is about.
    assert added["by_client"] == {"id": me["client_id"], "name": "Home Assistant"}
    [paired] = [e for e in await _events(api, "pairing") if e["status"] == "paired"]
    assert paired["role"] == "admin"
    assert "by_client" not in paired  # the window pairs, no client made it


async def test_admins_pair_at_the_lock_only(api: ApiClient, tablet: ApiClient) -> None:
    """A stolen admin token cannot mint admins; an operate token cannot mint anything."""
    reply = await api.call("POST", "/clients", {"client_name": "x", "role": "admin"})
    assert (reply.status, reply.body["error"]) == (400, "invalid_request")
    reply = await tablet.call(
        "POST", "/clients", {"client_name": "x", "role": "operate"}
    )
    assert (reply.status, reply.body["error"]) == (403, "forbidden")
    assert len((await api.call("GET", "/clients")).body["clients"]) == 2


async def test_operate_reads_and_operates(api: ApiClient, tablet: ApiClient) -> None:
    for path in ("/state", "/events", "/settings"):
        assert (await tablet.call("GET", path)).status == 200, path
    assert (await tablet.call("POST", "/lock")).status == 202
    assert (await tablet.call("POST", "/countdown_lock", {"seconds": 30})).status == 202
    reply = await tablet.call("POST", "/unlock")
    assert (reply.status, reply.body["error"]) == (409, "remote_unlock_disabled")
    await api.call("PATCH", "/settings", {"remote_unlock_enabled": True})
    assert (await tablet.call("POST", "/unlock")).status == 202
    [unlocked] = [e for e in await _events(api, "unlocked") if e["method"] == "remote"]
    [tablet_id] = [
        c["client_id"]
        for c in (await api.call("GET", "/clients")).body["clients"]
        if c["name"] == "Wall tablet"
    ]
    assert unlocked["by_client"] == {"id": tablet_id, "name": "Wall tablet"}
    ws = await tablet.ws()
    assert (await ws.receive_json())["type"] == "auth_ok"
    await ws.close()


async def test_operate_changes_nothing_about_who_can_open(
    api: ApiClient, tablet: ApiClient
) -> None:
    """Every admin route answers 403 forbidden to an operate client, and changes nothing."""
    await api.call("POST", "/users", {"name": "Guest"})
    before = (await api.call("GET", "/events")).body["last_seq"]
    settings = (await api.call("GET", "/settings")).body
    assert len(ADMIN_ROUTES) == 24
    for method, template in ADMIN_ROUTES:
        path = (
            template.replace("{number}", "1")
            .replace("{id}", "x")
            .replace("{credential_type}", "fingerprint")
        )
        body = NO_BODY if method in {"GET", "DELETE"} else {}
        reply = await tablet.call(method, path, body)
        assert (reply.status, reply.body["error"]) == (403, "forbidden"), (method, path)
    assert (await api.call("GET", "/events")).body["last_seq"] == before
    assert (await api.call("GET", "/settings")).body == settings


async def test_every_admin_change_names_its_client(api: ApiClient) -> None:
    """``by_client`` on settings, users, credentials, visitors, clients and lockout."""
    [me] = [c["client_id"] for c in (await api.call("GET", "/clients")).body["clients"]]
    by = {"id": me, "name": "Home Assistant"}
    since = (await api.call("GET", "/events")).body["last_seq"]
    await api.call("PATCH", "/settings", {"volume": 1})
    user = (await api.call("POST", "/users", {"name": "Guest"})).body["number"]
    await api.call("PATCH", f"/users/{user}", {"name": "Guest 2"})
    credential = (
        await api.call("PUT", f"/users/{user}/password", {"password": "86420135"})
    ).body["id"]
    await api.call("PATCH", f"/credentials/{credential}", {"duress": True})
    await api.call("DELETE", f"/credentials/{credential}")
    code = await api.call(
        "POST",
        "/temporary_passwords",
        {"name": "Cleaner", "valid_until": "2026-01-02T00:00:00+00:00"},
    )
    await api.call("DELETE", f"/temporary_passwords/{code.body['id']}")
    key = await api.call(
        "POST",
        "/bluetooth_keys",
        {"name": "Phone", "valid_until": "2026-01-02T00:00:00+00:00"},
    )
    await api.call("DELETE", f"/bluetooth_keys/{key.body['id']}")
    await api.call("DELETE", f"/users/{user}")
    other = await api.call("POST", "/clients", {"client_name": "T", "role": "operate"})
    await api.call("DELETE", f"/clients/{other.body['client_id']}")
    body = (await api.call("GET", f"/events?since={since}&limit=1000")).body
    changes: list[dict[str, Any]] = body["events"]
    assert {event["type"] for event in changes} >= {
        "settings_changed",
        "user_added",
        "user_updated",
        "user_deleted",
        "credential_added",
        "credential_deleted",
        "temporary_password_created",
        "temporary_password_revoked",
        "bluetooth_key_created",
        "bluetooth_key_revoked",
        "client_added",
        "client_revoked",
    }
    assert [e["type"] for e in changes if e.get("by_client") != by] == []
    [revoked] = [e for e in changes if e["type"] == "client_revoked"]
    assert revoked["client_id"] == other.body["client_id"]


async def test_a_change_at_the_lock_names_no_client(api: ApiClient) -> None:
    since = (await api.call("GET", "/events")).body["last_seq"]
    await sim_of(api.edge).keypad(["doorbell"])
    while not (
        events := (await api.call("GET", f"/events?since={since}")).body["events"]
    ):
        pass
    assert "by_client" not in events[0]


async def test_l26_no_security_settings_before_the_first_admin(tmp_path: Path) -> None:
    """A client paired on a fresh lock cannot open it up before its owner exists."""
    async with running_edge(tmp_path, ManualClock()) as edge, client_for(edge) as api:
        await pair(api)
        for change in (
            {"remote_unlock_enabled": True},
            {"lockout_protection": False},
            {"require_pin_for_remote": True},
        ):
            reply = await api.call("PATCH", "/settings", change)
            assert (reply.status, reply.body["error"]) == (403, "admin_required")
        assert (await api.call("PATCH", "/settings", {"volume": 1})).status == 200
        await create_first_admin(sim_of(edge))
        reply = await api.call("PATCH", "/settings", {"remote_unlock_enabled": True})
        assert reply.status == 200
