"""Who may call what: the auth matrix, revocation and the slow-down of token guessing."""

from __future__ import annotations

import aiohttp
import pytest

from ezlock_edge.api.routes import PREFIX, ROUTES
from tests.support.lock import pass_time
from tests.support.waiting import WAIT

from .api_support import NO_BODY, ApiClient, client_for, pair

PROTECTED = [
    (
        method,
        path.removeprefix(PREFIX)
        .replace("{number}", "1")
        .replace("{id}", "x")
        .replace("{credential_type}", "fingerprint"),
    )
    for method, path, _, role in ROUTES
    if role is not None  # /ws too (issue #11.8)
]


@pytest.fixture
async def revoked_token(api: ApiClient) -> str:
    async with client_for(api.edge) as other:
        client_id = await pair(other, "Old tablet")
        assert other.token is not None
        assert (await api.call("DELETE", f"/clients/{client_id}")).status == 204
        return other.token


async def test_every_protected_route_needs_a_valid_token(
    api: ApiClient, revoked_token: str
) -> None:
    """Two bad tokens a route (a missing one is no guess), then a good one forgives.

    Never three in a row, so no route is answered 429 instead of 401 and the lock's
    time need not pass (a block would last until it had).
    """
    assert len(PROTECTED) == 34
    wrong = "A" * 43
    for method, path in PROTECTED:
        body = NO_BODY if method in {"GET", "DELETE"} else {}
        for token, label in (
            ("", "none"),
            (wrong, "wrong"),
            (revoked_token, "revoked"),
        ):
            reply = await api.call(method, path, body, token=token)
            assert reply.status == 401, (method, path, label, reply.body)
            assert reply.body["error"] == "unauthorized"
        if path == "/camera/stream":  # never ends: test_camera.py reads it
            assert (await api.call("GET", "/state")).status == 200  # forgives
            continue
        reply = await api.call(method, path, body)
        assert reply.status not in {401, 403, 429}, (method, path, reply.body)
        assert reply.status < 500, (method, path, reply.body)


async def test_open_routes_need_no_token(api: ApiClient) -> None:
    for path in ("/info", "/openapi.json"):
        assert (await api.call("GET", path, token="")).status == 200
    closed = await api.call(
        "POST", "/pair", {"client_name": "x", "verification_code": "x"}, token=""
    )
    assert (closed.status, closed.body["error"]) == (403, "pairing_closed")


async def test_malformed_authorization_header(api: ApiClient) -> None:
    for header in ("Basic dXNlcjpwdw==", "Bearer", "Bearer ", "token"):
        reply = await api.call("GET", "/state", headers={"Authorization": header})
        assert (reply.status, reply.body["error"]) == (401, "unauthorized")


async def test_repeated_bad_tokens_are_slowed_down(api: ApiClient) -> None:
    for _ in range(3):
        assert (await api.call("GET", "/state", token="B" * 43)).status == 401
    blocked = await api.call("GET", "/state")
    assert (blocked.status, blocked.body["error"]) == (429, "too_many_attempts")
    assert blocked.headers["Retry-After"] == "1"
    await pass_time(api.edge, 1)
    assert (await api.call("GET", "/state", token="B" * 43)).status == 401
    assert (await api.call("GET", "/state")).headers["Retry-After"] == "2"
    await pass_time(api.edge, 2)
    # A good token is accepted once the block ends, and forgives the address.
    assert (await api.call("GET", "/state")).status == 200
    assert (await api.call("GET", "/state", token="B" * 43)).status == 401
    assert (await api.call("GET", "/state")).status == 200


async def test_missing_tokens_are_not_counted_as_guesses(api: ApiClient) -> None:
    for _ in range(10):
        assert (await api.call("GET", "/state", token="")).status == 401
    assert (await api.call("GET", "/state")).status == 200


async def test_websocket_refuses_bad_tokens(api: ApiClient, revoked_token: str) -> None:
    for token in ("C" * 43, revoked_token):
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await api.ws(token)
        assert err.value.status == 401


async def test_last_seen_is_recorded(api: ApiClient) -> None:
    first = (await api.call("GET", "/clients")).body["clients"][0]["last_seen"]
    assert first is not None
    await pass_time(api.edge, 120)
    second = (await api.call("GET", "/clients")).body["clients"][0]["last_seen"]
    assert second > first


async def test_websocket_is_throttled_too(api: ApiClient) -> None:
    for _ in range(2):
        assert (await api.call("GET", "/state", token="E" * 43)).status == 401
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await api.ws(token="E" * 43)
    assert err.value.status == 401
    # The third bad token blocked the address: even a good token waits now.
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await api.ws()
    assert err.value.status == 429
    await pass_time(api.edge, 1)
    ws = await api.ws()
    assert (await ws.receive_json(timeout=WAIT))["type"] == "auth_ok"
    await ws.close()
