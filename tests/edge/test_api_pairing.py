"""Pairing (L-65): only in the 3-minute window, with the label's code, once per window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ezlock_edge.api.auth import token_hash
from ezlock_edge.clock import ManualClock
from tests.support.lock import open_pairing, sim_of
from tests.support.waiting import eventually

from .api_support import ApiClient, client_for, running_edge


@pytest.fixture
async def client(tmp_path: Path, clock: ManualClock) -> AsyncIterator[ApiClient]:
    async with running_edge(tmp_path, clock) as edge, client_for(edge) as client:
        yield client


def _request(code: str, name: str = "Home Assistant") -> dict[str, str]:
    return {"client_name": name, "verification_code": code}


async def _pair(client: ApiClient, code: str) -> tuple[int, dict[str, str]]:
    reply = await client.call("POST", "/pair", _request(code))
    return reply.status, reply.body


async def test_outside_the_window(client: ApiClient) -> None:
    assert client.edge.sim is not None
    code = (await client.edge.sim.label())["verification_code"]
    assert (await client.call("GET", "/info")).body["pairing_open"] is False
    assert await _pair(client, code) == (
        403,
        {"error": "pairing_closed", "message": "The pairing window is closed"},
    )


async def test_pairing_gives_a_working_token_stored_only_as_hash(
    client: ApiClient, tmp_path: Path
) -> None:
    code = await open_pairing(client.edge)
    info = (await client.call("GET", "/info")).body
    assert info["pairing_open"] is True
    status, body = await _pair(client, code)
    assert status == 201
    assert set(body) == {"token", "client_id"}
    token = body["token"]
    assert (await client.call("GET", "/state", token=token)).status == 200
    # Only the hash is kept (and the window closed on success).
    database = _read_database(tmp_path)
    assert token.encode() not in database
    assert token_hash(token).encode() in database
    assert (await client.call("GET", "/info")).body["pairing_open"] is False
    types = [
        (event.type, event.data.get("status"))
        for event in client.edge.core.events.query(0, 100)
    ]
    assert ("pairing", "opened") in types
    assert ("pairing", "paired") in types
    assert token not in str(client.edge.core.events.query(0, 100))


def _read_database(data_dir: Path) -> bytes:
    return b"".join(path.read_bytes() for path in data_dir.glob("lock.db*"))


async def test_one_pairing_per_window(client: ApiClient) -> None:
    code = await open_pairing(client.edge)
    assert (await _pair(client, code))[0] == 201
    status, body = await _pair(client, code)
    assert (status, body["error"]) == (403, "pairing_closed")


async def test_wrong_codes_and_five_close_the_window(client: ApiClient) -> None:
    code = await open_pairing(client.edge)
    for _ in range(4):
        status, body = await _pair(client, "WRONG1")
        assert (status, body["error"]) == (401, "invalid_verification_code")
    assert (await client.call("GET", "/info")).body["pairing_open"] is True
    assert (await _pair(client, "WRONG1"))[1]["error"] == "invalid_verification_code"
    # The fifth wrong code closed the window: even the right code is refused now.
    assert (await client.call("GET", "/info")).body["pairing_open"] is False
    assert (await _pair(client, code))[1]["error"] == "pairing_closed"
    # A new window (another long press) starts a fresh count.
    code = await open_pairing(client.edge)
    assert (await _pair(client, code))[0] == 201


async def test_window_expires_after_three_minutes(client: ApiClient) -> None:
    code = await open_pairing(client.edge)
    state = (await client.call("GET", "/info")).body
    assert state["pairing_open"] is True
    # The lock's time passes as it would: the SET press acknowledged first, not resent
    # once a second for three minutes at once.
    lock = sim_of(client.edge)
    await lock.clock(advance=179)
    assert (await client.call("GET", "/info")).body["pairing_open"] is True
    await lock.clock(advance=1)
    await eventually(lambda: not client.edge.core.pairing_open, "window closed")
    assert (await _pair(client, code))[1]["error"] == "pairing_closed"


async def test_invalid_pairing_requests(client: ApiClient) -> None:
    await open_pairing(client.edge)
    for body, field in [
        ({"client_name": "HA"}, "verification_code"),
        ({"verification_code": "123"}, "client_name"),
        ({**_request("1"), "admin": True}, "admin"),
        (_request("1", name=""), "client_name"),
        ({"client_name": 1, "verification_code": "1"}, "client_name"),
    ]:
        reply = await client.call("POST", "/pair", body)
        assert (reply.status, reply.body["error"]) == (400, "invalid_request")
        assert field in reply.body["fields"]
    # Refused requests did not spend the window's wrong-code budget.
    assert (await client.call("GET", "/info")).body["pairing_open"] is True
