"""Issue #11.3 (L-27): the last admin who can open the menu really stays."""

from __future__ import annotations

from .api_support import ApiClient

PAST = "2025-12-31T00:00:00+00:00"  # the tests' clock starts at 2026-01-01
FUTURE = "2026-02-01T00:00:00+00:00"


async def _only_credential(api: ApiClient, number: int) -> str:
    credentials = (await api.call("GET", f"/credentials?user={number}")).body
    [credential] = credentials["credentials"]
    credential_id: str = credential["id"]
    return credential_id


async def test_the_last_admin_keeps_a_validity_that_admits_now(api: ApiClient) -> None:
    for change in ({"valid_until": PAST}, {"valid_from": FUTURE}):
        reply = await api.call("PATCH", "/users/1", change)
        assert (reply.status, reply.body["error"]) == (409, "last_admin"), change
    # A validity that still admits now is fine.
    reply = await api.call("PATCH", "/users/1", {"valid_until": FUTURE})
    assert reply.status == 200, reply.body


async def test_the_last_admin_keeps_a_credential(api: ApiClient) -> None:
    credential = await _only_credential(api, 1)
    reply = await api.call("DELETE", f"/credentials/{credential}")
    assert (reply.status, reply.body["error"]) == (409, "last_admin")
    assert await _only_credential(api, 1) == credential


async def test_with_another_usable_admin_both_are_allowed(api: ApiClient) -> None:
    second = (await api.call("POST", "/users", {"name": "Bob", "role": "admin"})).body
    # An admin without a credential cannot open the menu: not yet another admin.
    reply = await api.call("PATCH", "/users/1", {"valid_until": PAST})
    assert reply.body["error"] == "last_admin"
    reply = await api.call(
        "PUT", f"/users/{second['number']}/password", {"password": "86420135"}
    )
    assert reply.status == 200, reply.body
    credential = await _only_credential(api, 1)
    assert (await api.call("DELETE", f"/credentials/{credential}")).status == 204
    assert (await api.call("PATCH", "/users/1", {"valid_until": PAST})).status == 200
    # Now Bob is the last one.
    reply = await api.call(
        "PATCH", f"/users/{second['number']}", {"valid_from": FUTURE}
    )
    assert reply.body["error"] == "last_admin"


WEEKDAYS_9_TO_5 = [
    {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "until": "17:00"}
]


async def test_the_last_admin_keeps_no_schedule(api: ApiClient) -> None:
    """L-27 with L-20: a schedule would shut the last admin out of the menu at night.

    A schedule limits when a person's credentials open the door and the menu; the last
    admin must be able to open the menu at any time, so the lock refuses one on them
    until another admin without a schedule (and with a credential) exists.
    """
    reply = await api.call("PATCH", "/users/1", {"schedule": WEEKDAYS_9_TO_5})
    assert (reply.status, reply.body["error"]) == (409, "last_admin")
    assert (await api.call("GET", "/users/1")).body["schedule"] is None
    # Clearing it, renaming or a validity that admits now stay allowed.
    changes: list[dict[str, object]] = [
        {"schedule": []},
        {"schedule": None},
        {"name": "Alice"},
    ]
    for change in changes:
        reply = await api.call("PATCH", "/users/1", change)
        assert reply.status == 200, (change, reply.body)

    second = (await api.call("POST", "/users", {"name": "Bob", "role": "admin"})).body
    number = second["number"]
    # Bob has no credential yet: he cannot open the menu, so Alice is still the last.
    reply = await api.call("PATCH", "/users/1", {"schedule": WEEKDAYS_9_TO_5})
    assert reply.body["error"] == "last_admin"
    reply = await api.call("PUT", f"/users/{number}/password", {"password": "86420135"})
    assert reply.status == 200, reply.body
    # With Bob at any time, Alice may have a schedule; then Bob is the last one.
    reply = await api.call("PATCH", "/users/1", {"schedule": WEEKDAYS_9_TO_5})
    assert reply.status == 200, reply.body
    assert reply.body["schedule"] == WEEKDAYS_9_TO_5
    reply = await api.call("PATCH", f"/users/{number}", {"schedule": WEEKDAYS_9_TO_5})
    assert (reply.status, reply.body["error"]) == (409, "last_admin")
    # A person who is not an admin takes a schedule whatever the admins have.
    reply = await api.call(
        "POST", "/users", {"name": "Carol", "schedule": WEEKDAYS_9_TO_5}
    )
    assert reply.status == 201, reply.body
