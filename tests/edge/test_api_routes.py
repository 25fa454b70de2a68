"""Every route of /api/v1 against the real edge driver on simulated hardware.

Happy path and each documented error, as a client sees them over pinned HTTPS.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.models import CredentialType, Settings
from tests.support.lock import ADMIN_PASSWORD, pass_time
from tests.support.waiting import eventually

from .api_support import ApiClient, client_for, pair, running_edge


def _iso(clock: ManualClock, **delta: float) -> str:
    return (clock.now() + timedelta(**delta)).isoformat()


async def test_info_needs_no_token(api: ApiClient) -> None:
    reply = await api.call("GET", "/info", token="")
    assert reply.status == 200
    assert api.edge.sim is not None
    label = await api.edge.sim.label()
    assert reply.body == {
        "serial": label["serial"],
        "model": label["model"],
        "firmware": api.edge.core.info.firmware,
        "api_version": 1,
        "pairing_open": False,
        "tls_fingerprint": api.edge.tls_fingerprint,
        "name": None,
        "time_zone": api.edge.core.time_zone.key,
    }
    # The verification code (L-64) never leaves the lock through the API.
    assert label["verification_code"] not in str(reply.body)


async def test_state_has_every_documented_field(api: ApiClient) -> None:
    reply = await api.call("GET", "/state")
    assert reply.status == 200
    state = reply.body
    assert state["admin_exists"] is True
    assert state["users"] == {"count": 1}
    assert state["credentials"]["password"] == {"count": 1, "capacity": 50}
    assert state["devices"] == {
        "mcu": "connected",
        "fingerprint": "connected",
        "face": "connected",
        "palm": "connected",
    }
    assert state["remote_unlock_enabled"] is False
    assert state["last_seq"] == api.edge.core.events.last_seq


async def test_lock_moves_the_bolt(api: ApiClient) -> None:
    """L-01: a remote lock throws the bolt and is recorded with its source."""
    reply = await api.call("POST", "/lock")
    assert (reply.status, reply.body) == (202, {})
    await _travel(api, "locked")
    events = (await api.call("GET", "/events")).body["events"]
    assert any(
        event["type"] == "locked" and event["source"] == "remote" for event in events
    )


async def _travel(api: ApiClient, bolt: str) -> None:
    async def moved() -> bool:
        await pass_time(api.edge, 0.1)
        return bool(api.edge.core.state.as_dict()["bolt"] == bolt)

    await eventually(moved, f"bolt {bolt}")


async def test_unlock_only_when_enabled(api: ApiClient) -> None:
    """L-43: remote unlock is refused until enabled in the settings."""
    reply = await api.call("POST", "/unlock", {})
    assert reply.status == 409
    assert reply.body["error"] == "remote_unlock_disabled"
    assert set(reply.body) <= {"error", "message", "fields"}
    patched = await api.call("PATCH", "/settings", {"remote_unlock_enabled": True})
    assert patched.status == 200
    assert patched.body["remote_unlock_enabled"] is True
    reply = await api.call("POST", "/unlock")
    assert reply.status == 202
    await _travel(api, "unlocked")
    events = (await api.call("GET", "/events")).body["events"]
    assert any(
        event["type"] == "unlocked" and event["method"] == "remote" for event in events
    )


async def test_unlock_refused_during_lockout(api: ApiClient) -> None:
    """L-42: five wrong passwords lock the keypad and remote unlock with it."""
    await api.call("PATCH", "/settings", {"remote_unlock_enabled": True})
    sim = api.edge.sim
    assert sim is not None
    for _ in range(5):
        await sim.keypad([*"97531864", "confirm"])
    await eventually(lambda: api.edge.core.state.lockout_until is not None, "lockout")
    reply = await api.call("POST", "/unlock")
    assert (reply.status, reply.body["error"]) == (409, "locked_out")
    assert (await api.call("GET", "/state")).body["lockout_active"] is True
    cleared = await api.call("POST", "/lockout/clear")
    assert cleared.status == 204
    assert (await api.call("GET", "/state")).body["lockout_active"] is False


async def test_countdown_lock(api: ApiClient, clock: ManualClock) -> None:
    """L-45: a one-shot countdown locks after N seconds."""
    reply = await api.call("POST", "/countdown_lock", {"seconds": 30})
    assert reply.status == 202
    assert reply.body == {"lock_at": _iso(clock, seconds=30)}
    state = (await api.call("GET", "/state")).body
    assert state["countdown_lock_at"] == reply.body["lock_at"]
    await pass_time(api.edge, 30)
    await _travel(api, "locked")
    for bad in ({"seconds": 4}, {"seconds": 301}, {"seconds": "30"}, {}):
        refused = await api.call("POST", "/countdown_lock", bad)
        assert (refused.status, refused.body["error"]) == (400, "invalid_request")
        assert "seconds" in refused.body["fields"]


async def test_settings(api: ApiClient) -> None:
    settings = (await api.call("GET", "/settings")).body
    assert settings["countdown_lock_seconds"] == 30
    reply = await api.call(
        "PATCH",
        "/settings",
        {
            "countdown_lock_enabled": True,
            "countdown_lock_seconds": 45,
            "door_direction": "left",
            "volume": 0,
            "wifi_enabled": False,
        },
    )
    assert reply.status == 200
    assert reply.body == settings | {
        "countdown_lock_enabled": True,
        "countdown_lock_seconds": 45,
        "door_direction": "left",
        "volume": 0,
        "wifi_enabled": False,
    }
    state = (await api.call("GET", "/state")).body
    assert (state["door_direction"], state["wifi_rssi"]) == ("left", None)
    for bad, field in [
        ({}, None),
        ({"volume": 4}, "volume"),
        ({"away_mode": "yes"}, "away_mode"),
        ({"door_direction": "up"}, "door_direction"),
        ({"colour": "red"}, "colour"),
    ]:
        refused = await api.call("PATCH", "/settings", bad)
        assert (refused.status, refused.body["error"]) == (400, "invalid_request")
        if field:
            assert field in refused.body["fields"]


async def test_users(api: ApiClient, clock: ManualClock) -> None:
    """L-20, L-21, L-27, L-28: add, read, change, delete users."""
    listed = (await api.call("GET", "/users")).body["users"]
    assert [(user["number"], user["role"]) for user in listed] == [(1, "admin")]
    created = await api.call(
        "POST",
        "/users",
        {"name": "Bob", "valid_from": _iso(clock), "valid_until": _iso(clock, days=7)},
    )
    assert created.status == 201
    bob = created.body
    assert (bob["number"], bob["name"], bob["role"]) == (2, "Bob", "user")
    assert bob["credentials"] == []
    assert (await api.call("GET", "/users/2")).body == bob
    patched = await api.call(
        "PATCH", "/users/2", {"name": "Robert", "valid_until": None}
    )
    assert patched.status == 200
    assert (patched.body["name"], patched.body["valid_until"]) == ("Robert", None)
    assert (await api.call("DELETE", "/users/2")).status == 204
    missing = await api.call("GET", "/users/2")
    assert (missing.status, missing.body["error"]) == (404, "user_not_found")
    assert (await api.call("DELETE", "/users/2")).body["error"] == "user_not_found"
    assert (await api.call("PATCH", "/users/9", {"name": "X"})).status == 404
    last = await api.call("DELETE", "/users/1")
    assert (last.status, last.body["error"]) == (409, "last_admin")
    demote = await api.call("PATCH", "/users/1", {"role": "user"})
    assert (demote.status, demote.body["error"]) == (409, "last_admin")
    backwards = await api.call(
        "POST",
        "/users",
        {"name": "Eve", "valid_from": _iso(clock, days=2), "valid_until": _iso(clock)},
    )
    assert (backwards.status, backwards.body["error"]) == (400, "invalid_validity")
    for path in ("/users/0", "/users/1000", "/users/abc", "/users/-1"):
        refused = await api.call("GET", path)
        assert (refused.status, refused.body["fields"]) == (
            400,
            {"number": refused.body["fields"]["number"]},
        )
    for bad in ({}, {"name": ""}, {"name": "B", "role": "root"}, {"name": 7}):
        assert (await api.call("POST", "/users", bad)).status == 400


async def test_password_policy(api: ApiClient) -> None:
    """L-25: the broken rule is named; a good password becomes a credential."""
    await api.call("POST", "/users", {"name": "Bob"})
    for password, rule in [
        ("123456", "sequential"),
        ("111111", "repeated"),
        ("12345", "length"),
        ("12ab56", "digits_only"),
    ]:
        reply = await api.call("PUT", "/users/2/password", {"password": password})
        assert (reply.status, reply.body["error"]) == (400, "password_policy")
        assert reply.body["fields"] == {"password": rule}
    reply = await api.call("PUT", "/users/2/password", {"password": "583920"})
    assert reply.status == 200
    assert reply.body["type"] == "password"
    assert reply.body["user"] == {"number": 2, "name": "Bob"}
    assert "583920" not in str(await api.call("GET", "/users/2"))
    missing = await api.call("PUT", "/users/7/password", {"password": "583920"})
    assert (missing.status, missing.body["error"]) == (404, "user_not_found")


async def test_credentials_and_duress(api: ApiClient) -> None:
    """L-29: any credential can be made the duress one; credentials can be deleted."""
    listed = (await api.call("GET", "/credentials")).body["credentials"]
    assert [(c["type"], c["user"]["number"]) for c in listed] == [("password", 1)]
    credential_id = listed[0]["id"]
    assert (await api.call("GET", "/credentials?user=1")).body["credentials"] == listed
    unknown = await api.call("GET", "/credentials?user=2")
    assert (unknown.status, unknown.body["error"]) == (404, "user_not_found")
    assert (await api.call("GET", "/credentials?user=x")).status == 400
    reply = await api.call("PATCH", f"/credentials/{credential_id}", {"duress": True})
    assert (reply.status, reply.body["duress"]) == (200, True)
    assert (await api.call("PATCH", f"/credentials/{credential_id}", {})).status == 400
    missing = await api.call("PATCH", "/credentials/cr_nope", {"duress": True})
    assert (missing.status, missing.body["error"]) == (404, "credential_not_found")
    # The last admin's only credential stays (L-27, issue #11.3); another user's goes.
    last = await api.call("DELETE", f"/credentials/{credential_id}")
    assert (last.status, last.body["error"]) == (409, "last_admin")
    guest = (await api.call("POST", "/users", {"name": "Guest"})).body["number"]
    other = await api.call("PUT", f"/users/{guest}/password", {"password": "86420135"})
    assert (await api.call("DELETE", f"/credentials/{other.body['id']}")).status == 204
    gone = await api.call("DELETE", f"/credentials/{other.body['id']}")
    assert (gone.status, gone.body["error"]) == (404, "credential_not_found")


async def test_fingerprint_enrollment_at_the_lock(api: ApiClient) -> None:
    """L-09: enrollment starts from the API, the finger is presented at the lock."""
    reply = await api.call("POST", "/users/1/enrollments", {"type": "fingerprint"})
    assert reply.status == 202
    assert reply.body["credential_type"] == "fingerprint"
    assert reply.body["user"] == {"number": 1, "name": reply.body["user"]["name"]}
    steps = reply.body["steps"]
    busy = await api.call("POST", "/users/1/enrollments", {"type": "face"})
    assert (busy.status, busy.body["error"]) == (409, "enrollment_busy")
    sim = api.edge.sim
    assert sim is not None
    core = api.edge.core
    for step in range(steps):

        def reached(step: int = step) -> bool:
            return _enrollment_steps(api) >= step

        await eventually(reached, f"step {step}")
        await sim.finger("alice-left-thumb")
    await eventually(
        lambda: core.state.credentials.get(_kind("fingerprint"), 0) == 1, "enrolled"
    )
    for bad in ({"type": "password"}, {"type": "iris"}, {}):
        assert (await api.call("POST", "/users/1/enrollments", bad)).status == 400
    assert (
        await api.call("POST", "/users/5/enrollments", {"type": "palm"})
    ).status == 404


def _enrollment_steps(api: ApiClient) -> int:
    events = api.edge.core.events.query(since=0, limit=1000)
    return sum(1 for event in events if event.type == "enrollment")


def _kind(name: str) -> CredentialType:
    return CredentialType(name)


async def test_temporary_passwords(api: ApiClient, clock: ManualClock) -> None:
    """L-30: the code is shown once, then only listed without it; revocable."""
    reply = await api.call(
        "POST",
        "/temporary_passwords",
        {"name": "Cleaner", "valid_until": _iso(clock, hours=4)},
    )
    assert reply.status == 201
    created = reply.body
    assert created["code"].isdigit()
    assert (created["max_uses"], created["uses"]) == (1, 0)
    listed = (await api.call("GET", "/temporary_passwords")).body
    assert listed == {
        "temporary_passwords": [{k: v for k, v in created.items() if k != "code"}]
    }
    assert (await api.call("GET", "/state")).body["temporary_passwords"] == 1
    path = f"/temporary_passwords/{created['id']}"
    # Revoked: never usable again, still listed with its status until deleted again.
    await pass_time(api.edge, 60)
    assert (await api.call("DELETE", path)).status == 204
    [revoked] = (await api.call("GET", "/temporary_passwords")).body[
        "temporary_passwords"
    ]
    assert (revoked["status"], revoked["revoked_at"]) == ("revoked", _iso(clock))
    assert (await api.call("GET", "/state")).body["temporary_passwords"] == 0
    assert (await api.call("DELETE", path)).status == 204
    assert (await api.call("GET", "/temporary_passwords")).body == {
        "temporary_passwords": []
    }
    gone = await api.call("DELETE", path)
    assert (gone.status, gone.body["error"]) == (404, "temporary_password_not_found")
    for bad in (
        {"name": "X"},
        {"name": "X", "valid_until": "tomorrow"},
        {"name": "X", "valid_until": _iso(clock, hours=1), "max_uses": 0},
        {"name": "X", "valid_until": _iso(clock, hours=1), "code": "123456"},
    ):
        assert (await api.call("POST", "/temporary_passwords", bad)).status == 400
    unlimited = await api.call(
        "POST",
        "/temporary_passwords",
        {"name": "Nanny", "valid_until": _iso(clock, days=1), "max_uses": None},
    )
    assert (unlimited.status, unlimited.body["max_uses"]) == (201, None)


async def test_bluetooth_keys(api: ApiClient, clock: ManualClock) -> None:
    """L-31: a key is shown once, listed without it, revocable."""
    reply = await api.call(
        "POST", "/bluetooth_keys", {"name": "Guest", "valid_until": _iso(clock, days=2)}
    )
    assert reply.status == 201
    created = reply.body
    assert created["key"]
    listed = (await api.call("GET", "/bluetooth_keys")).body["bluetooth_keys"]
    assert listed == [{k: v for k, v in created.items() if k != "key"}]
    path = f"/bluetooth_keys/{created['id']}"
    assert (await api.call("DELETE", path)).status == 204
    [revoked] = (await api.call("GET", "/bluetooth_keys")).body["bluetooth_keys"]
    assert (revoked["status"], revoked["revoked_at"]) == ("revoked", _iso(clock))
    assert (await api.call("DELETE", path)).status == 204
    assert (await api.call("GET", "/bluetooth_keys")).body["bluetooth_keys"] == []
    gone = await api.call("DELETE", path)
    assert (gone.status, gone.body["error"]) == (404, "bluetooth_key_not_found")
    refused = await api.call("POST", "/bluetooth_keys", {"name": "Guest"})
    assert refused.body["fields"] == {"valid_until": "required key not provided"}


async def test_events_paging(api: ApiClient) -> None:
    """L-66: history by seq, oldest first, with the newest seq for paging."""
    sim = api.edge.sim
    assert sim is not None
    for _ in range(3):
        await sim.keypad(["doorbell"])
    await eventually(
        lambda: (
            sum(e.type == "doorbell" for e in api.edge.core.events.query(0, 1000)) == 3
        ),
        "doorbells",
    )
    everything = (await api.call("GET", "/events?limit=1000")).body
    seqs = [event["seq"] for event in everything["events"]]
    assert seqs == sorted(seqs)
    assert everything["last_seq"] == seqs[-1]
    page = (await api.call("GET", f"/events?since={seqs[-3]}&limit=1")).body
    assert [event["seq"] for event in page["events"]] == [seqs[-2]]
    assert page["events"][0]["type"] == "doorbell"
    for bad in ("since=-1", "limit=0", "limit=1001", "since=x", "since=1&since=2"):
        refused = await api.call("GET", f"/events?{bad}")
        assert (refused.status, refused.body["error"]) == (400, "invalid_request")
    # Secrets never appear in the history.
    assert ADMIN_PASSWORD not in str(everything)


async def test_clients_list_and_revoke(api: ApiClient) -> None:
    clients = (await api.call("GET", "/clients")).body["clients"]
    assert len(clients) == 1
    assert clients[0]["name"] == "Home Assistant"
    assert set(clients[0]) == {"client_id", "name", "role", "created", "last_seen"}
    assert clients[0]["role"] == "admin"
    missing = await api.call("DELETE", "/clients/c_nope")
    assert (missing.status, missing.body["error"]) == (404, "client_not_found")
    assert (
        await api.call("DELETE", f"/clients/{clients[0]['client_id']}")
    ).status == 204
    after = await api.call("GET", "/clients")
    assert (after.status, after.body["error"]) == (401, "unauthorized")


async def test_unknown_route_and_method(api: ApiClient) -> None:
    missing = await api.call("GET", "/nothing")
    assert (missing.status, missing.body["error"]) == (404, "not_found")
    wrong = await api.call("DELETE", "/state")
    assert (wrong.status, wrong.body["error"]) == (405, "method_not_allowed")
    assert "GET" in wrong.headers["Allow"]


async def test_malformed_bodies(api: ApiClient) -> None:
    for raw, error in [
        (b"{", "invalid_json"),
        (b"[1, 2]", "invalid_request"),
        (b'{"remote_unlock_enabled": NaN}', "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        (b"[" * 60_000, "invalid_json"),
    ]:
        reply = await api.call("PATCH", "/settings", raw=raw)
        assert (reply.status, reply.body["error"]) == (400, error)
    too_big = await api.call("PATCH", "/settings", raw=b" " * 70_000)
    assert (too_big.status, too_big.body["error"]) == (413, "payload_too_large")
    required = await api.call("PATCH", "/settings")
    assert (required.status, required.body["error"]) == (400, "invalid_json")


async def test_no_admin_yet(tmp_path: Path) -> None:
    """L-26: until the first admin exists, managing the lock is refused."""
    async with running_edge(tmp_path, ManualClock()) as edge, client_for(edge) as api:
        await pair(api)
        reply = await api.call("POST", "/users", {"name": "Bob"})
        assert (reply.status, reply.body["error"]) == (403, "admin_required")
        state = (await api.call("GET", "/state")).body
        assert state["admin_exists"] is False


async def test_a_bug_is_a_generic_500(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever breaks inside, the client gets the JSON error shape, never a trace."""

    def broken() -> Settings:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.edge.core, "get_settings", broken)
    reply = await api.call("GET", "/settings")
    assert reply.status == 500
    assert reply.body == {
        "error": "internal_error",
        "message": "Internal error, see the log",
    }
