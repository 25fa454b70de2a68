"""Issue #11.4: no PIN oracle, no history wipe, through the real API."""

from __future__ import annotations

from typing import Any

from ezlock_edge.core.events import COLLAPSE_WINDOW
from tests.support.lock import ADMIN_PASSWORD, pass_time

from .api_support import ApiClient


async def _events_since(api: ApiClient, since: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = (
        await api.call("GET", f"/events?since={since}&limit=1000")
    ).body["events"]
    return events


async def test_password_writes_are_limited_and_duplicates_recorded(
    api: ApiClient,
) -> None:
    """Probing for the lock's PINs with duplicate_credential: 10 a minute, all on record."""
    guest = (await api.call("POST", "/users", {"name": "Guest"})).body["number"]
    since = (await api.call("GET", "/events")).body["last_seq"]
    for _ in range(10):
        reply = await api.call(
            "PUT", f"/users/{guest}/password", {"password": ADMIN_PASSWORD}
        )
        assert (reply.status, reply.body["error"]) == (409, "duplicate_credential")
    reply = await api.call("PUT", f"/users/{guest}/password", {"password": "86420135"})
    assert (reply.status, reply.body["error"]) == (429, "too_many_requests")
    assert 1 <= int(reply.headers["Retry-After"]) <= 60
    # Visitor codes share the limit's kind (their own count per route and client).
    refused = [
        e for e in await _events_since(api, since) if e["type"] == "credential_refused"
    ]
    assert len(refused) == 10
    assert {e["reason"] for e in refused} == {"duplicate"}
    assert all(e["user"]["number"] == guest and e["by_client"] for e in refused)
    await pass_time(api.edge, 60)
    reply = await api.call("PUT", f"/users/{guest}/password", {"password": "86420135"})
    assert reply.status == 200, reply.body


async def test_visitor_codes_are_limited_too(api: ApiClient) -> None:
    body = {"name": "Cleaner", "valid_until": "2026-01-02T00:00:00+00:00"}
    for _ in range(10):
        assert (await api.call("POST", "/temporary_passwords", body)).status == 201
    reply = await api.call("POST", "/temporary_passwords", body)
    assert (reply.status, reply.body["error"]) == (429, "too_many_requests")


async def test_a_flood_of_failed_remote_calls_is_two_events(api: ApiClient) -> None:
    """~1,700 refused unlocks a second used to roll the history over in a minute."""
    unlocked = await _events_since(api, 0)
    since = unlocked[-1]["seq"]
    for _ in range(300):
        reply = await api.call("POST", "/unlock")
        assert reply.body["error"] == "remote_unlock_disabled"
    events = await _events_since(api, since)
    assert [(e["type"], e.get("repeated")) for e in events] == [("unlock_failed", None)]
    await pass_time(api.edge, COLLAPSE_WINDOW)
    events = await _events_since(api, since)
    assert [(e["type"], e.get("repeated")) for e in events] == [
        ("unlock_failed", None),
        ("unlock_failed", 299),
    ]
    # What was there before the flood is all still there, unchanged.
    assert (await _events_since(api, 0))[: len(unlocked)] == unlocked
