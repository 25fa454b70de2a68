"""Issue #11.2: ``require_pin_for_remote`` (Matter's RequirePINforRemoteOperation).

With it on, remote unlock and every admin change carry the PIN of a lock admin in the
``X-Ezlock-PIN`` header; the lock checks it, and wrong PINs count towards the same
security lockout as wrong entries at the keypad (L-42).
"""

from __future__ import annotations

from typing import Any

from ezlock_edge.api.routes import PIN_HEADER
from ezlock_edge.core.lockout import FAILURE_LIMIT
from tests.support.lock import ADMIN_PASSWORD, pass_time
from tests.support.waiting import eventually

from .api_support import ApiClient, enroll_finger

WRONG = "135792"


def _pin(pin: str) -> dict[str, str]:
    return {PIN_HEADER: pin}


async def _pin_required(api: ApiClient) -> None:
    reply = await api.call(
        "PATCH",
        "/settings",
        {"require_pin_for_remote": True, "remote_unlock_enabled": True},
    )
    assert reply.status == 200, reply.body
    assert reply.body["require_pin_for_remote"] is True


async def _events_since(api: ApiClient, since: int) -> list[dict[str, Any]]:
    body = (await api.call("GET", f"/events?since={since}&limit=1000")).body
    events: list[dict[str, Any]] = body["events"]
    return events


async def test_admin_changes_need_an_admins_pin(api: ApiClient) -> None:
    assert (await api.call("GET", "/settings")).body["require_pin_for_remote"] is False
    await _pin_required(api)
    since = (await api.call("GET", "/events")).body["last_seq"]
    change = {"volume": 1}
    reply = await api.call("PATCH", "/settings", change)
    assert (reply.status, reply.body["error"]) == (403, "pin_required")
    reply = await api.call("PATCH", "/settings", change, headers=_pin(WRONG))
    assert (reply.status, reply.body["error"]) == (403, "invalid_pin")
    reply = await api.call(
        "POST", "/users", {"name": "Guest"}, headers=_pin(ADMIN_PASSWORD)
    )
    assert reply.status == 201, reply.body
    # A PIN hidden in a longer entry opens the keypad (L-41), not the API.
    padded = "9" + ADMIN_PASSWORD + "9"
    reply = await api.call("PATCH", "/settings", change, headers=_pin(padded))
    assert reply.body["error"] == "invalid_pin"
    reply = await api.call("PATCH", "/settings", change, headers=_pin(ADMIN_PASSWORD))
    assert reply.status == 200
    # Reading needs no PIN.
    assert (await api.call("GET", "/users")).status == 200
    failed = [
        e for e in await _events_since(api, since) if e["type"] == "remote_pin_failed"
    ]
    assert [(e["action"], e["reason"]) for e in failed] == [
        ("PATCH /api/v1/settings", "wrong_pin")
    ]
    await pass_time(api.edge, 60)  # the identical second one, collapsed (issue #11.4)
    failed = [
        e for e in await _events_since(api, since) if e["type"] == "remote_pin_failed"
    ]
    assert [e.get("repeated") for e in failed] == [None, 1]
    assert all(e["by_client"]["name"] == "Home Assistant" for e in failed)
    # Switching it off is an admin change like any other.
    reply = await api.call("PATCH", "/settings", {"require_pin_for_remote": False})
    assert reply.body["error"] == "pin_required"


async def test_remote_unlock_needs_the_pin(api: ApiClient) -> None:
    await _pin_required(api)
    since = (await api.call("GET", "/events")).body["last_seq"]
    reply = await api.call("POST", "/unlock")
    assert (reply.status, reply.body["error"]) == (403, "pin_required")
    reply = await api.call("POST", "/unlock", headers=_pin(WRONG))
    assert (reply.status, reply.body["error"]) == (403, "invalid_pin")
    assert (
        await api.call("POST", "/unlock", headers=_pin(ADMIN_PASSWORD))
    ).status == 202
    outcomes = [
        (e["type"], e.get("reason"))
        for e in await _events_since(api, since)
        if e["type"] in {"unlocked", "unlock_failed"}
    ]
    assert outcomes == [("unlock_failed", "wrong_pin"), ("unlocked", None)]


async def test_wrong_pins_lock_the_lock_out_like_the_keypad(api: ApiClient) -> None:
    """L-42: five wrong PINs start the lockout; then not even the right PIN works."""
    await _pin_required(api)
    for _ in range(FAILURE_LIMIT):
        reply = await api.call("PATCH", "/settings", {"volume": 1}, headers=_pin(WRONG))
        assert reply.body["error"] == "invalid_pin"
    state = (await api.call("GET", "/state")).body
    assert state["lockout_until"] is not None
    reply = await api.call("POST", "/unlock", headers=_pin(ADMIN_PASSWORD))
    assert (reply.status, reply.body["error"]) == (409, "locked_out")
    reply = await api.call(
        "PATCH", "/settings", {"volume": 1}, headers=_pin(ADMIN_PASSWORD)
    )
    assert (reply.status, reply.body["error"]) == (409, "locked_out")
    alarms = [
        e
        for e in await _events_since(api, 0)
        if e["type"] == "alarm" and e["alarm"] == "lockout"
    ]
    assert len(alarms) == 1


async def test_the_pin_needs_an_admin_with_a_password(api: ApiClient) -> None:
    """``409 no_admin_pin``: requiring a PIN no admin has would shut out every client.

    The first admin opens with a finger only (password deleted): switching the remote
    PIN on is refused and changes nothing, until an admin has a password again. While
    it is on, deleting, demoting or deleting the password of the last admin with a
    password is refused the same way.
    """
    await enroll_finger(api, "admin-right-index")
    credentials = (await api.call("GET", "/credentials?user=1")).body["credentials"]

    def of_type(kind: str) -> list[str]:
        return [c["id"] for c in credentials if c["type"] == kind]

    async def has_finger() -> bool:
        nonlocal credentials
        credentials = (await api.call("GET", "/credentials?user=1")).body["credentials"]
        return bool(of_type("fingerprint"))

    await eventually(has_finger, "the admin's fingerprint")
    (password,) = of_type("password")
    assert (await api.call("DELETE", f"/credentials/{password}")).status == 204

    reply = await api.call("PATCH", "/settings", {"require_pin_for_remote": True})
    assert (reply.status, reply.body["error"]) == (409, "no_admin_pin")
    assert (await api.call("GET", "/settings")).body["require_pin_for_remote"] is False
    # A password of a user who is no admin is not enough.
    guest = (await api.call("POST", "/users", {"name": "Guest"})).body["number"]
    reply = await api.call("PUT", f"/users/{guest}/password", {"password": WRONG})
    assert reply.status in (200, 201), reply.body
    reply = await api.call("PATCH", "/settings", {"require_pin_for_remote": True})
    assert (reply.status, reply.body["error"]) == (409, "no_admin_pin")

    reply = await api.call("PUT", "/users/1/password", {"password": ADMIN_PASSWORD})
    assert reply.status in (200, 201), reply.body
    await _pin_required(api)

    # While it is on, no change may leave the lock without an admin's password.
    pin = _pin(ADMIN_PASSWORD)
    admin_password = reply.body["id"]
    reply = await api.call("DELETE", f"/credentials/{admin_password}", headers=pin)
    assert (reply.status, reply.body["error"]) == (409, "no_admin_pin")
    reply = await api.call(
        "POST", "/users", {"name": "Bob", "role": "admin"}, headers=pin
    )
    bob = reply.body["number"]
    reply = await api.call("DELETE", "/users/1", headers=pin)  # Bob has no password
    assert (reply.status, reply.body["error"]) == (409, "no_admin_pin")
    bobs = "86420135"
    reply = await api.call(
        "PUT", f"/users/{bob}/password", {"password": bobs}, headers=pin
    )
    assert reply.status in (200, 201), reply.body
    reply = await api.call("DELETE", f"/credentials/{admin_password}", headers=pin)
    assert reply.status == 204, reply.body
    reply = await api.call(
        "PATCH", f"/users/{bob}", {"role": "user"}, headers=_pin(bobs)
    )
    assert (reply.status, reply.body["error"]) == (409, "no_admin_pin")
    users = (await api.call("GET", "/users")).body["users"]
    assert {u["number"]: u["role"] for u in users}[bob] == "admin"
