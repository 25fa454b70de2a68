"""A server that breaks the API: the client fails clearly and never trusts the reply.

The real edge driver never sends these, so a small aiohttp server on loopback does:
replies that are not JSON, errors without the documented shape, and WebSocket
conversations that go wrong at each step.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web
import pytest

from custom_components.ezlock.client import (
    API_VERSION,
    EzlockApiError,
    EzlockAuthError,
    EzlockClient,
    EzlockConnectionError,
    EzlockError,
    EzlockProtocolError,
)

KEY: web.AppKey[Behaviour] = web.AppKey("behaviour")


@dataclass
class Behaviour:
    """What the server does next."""

    ws_status: int = 101
    first: str | bytes = ""
    then: tuple[str, ...] = ()


async def _info(request: web.Request) -> web.Response:
    return web.Response(text="<html>not an API</html>", content_type="text/html")


async def _state(request: web.Request) -> web.Response:
    return web.json_response(["not", "an", "error", "object"], status=500)


async def _settings(request: web.Request) -> web.Response:
    settings = {
        "countdown_lock_enabled": False,
        "countdown_lock_seconds": 30,
        "remote_unlock_enabled": False,
        "lockout_protection": True,
        "away_mode": False,
        "wifi_enabled": True,
        "door_direction": "right",
        "volume": "loud",
        "muted": False,
    }
    return web.json_response(settings)


async def _ws(request: web.Request) -> web.StreamResponse:
    behaviour = request.app[KEY]
    if behaviour.ws_status != 101:
        return web.Response(status=behaviour.ws_status)
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    # The token came in the upgrade's Authorization header: the server speaks first.
    if isinstance(behaviour.first, bytes):
        await ws.send_bytes(behaviour.first)
    else:
        await ws.send_str(behaviour.first)
    await ws.receive()  # the subscription, or the client's close
    for text in behaviour.then:
        await ws.send_str(text)
    await ws.close()
    return ws


@pytest.fixture
async def server() -> AsyncIterator[tuple[int, Behaviour]]:
    """Serve the misbehaving API on a free loopback port (plain HTTP)."""
    behaviour = Behaviour()
    app = web.Application()
    app[KEY] = behaviour
    app.router.add_get("/api/v1/info", _info)
    app.router.add_get("/api/v1/state", _state)
    app.router.add_get("/api/v1/settings", _settings)
    app.router.add_get("/api/v1/ws", _ws)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield runner.addresses[0][1], behaviour
    await runner.cleanup()


@pytest.fixture
async def client(
    server: tuple[int, Behaviour],
) -> AsyncIterator[EzlockClient]:
    """Return a plain-HTTP client for the misbehaving server."""
    async with aiohttp.ClientSession() as session:
        yield EzlockClient(session, "127.0.0.1", server[0], fingerprint=None, token="t")


async def test_reply_not_json(client: EzlockClient) -> None:
    """An HTML page where JSON belongs is a protocol error, not a crash."""
    with pytest.raises(EzlockProtocolError, match="no JSON"):
        await client.get_info()


async def test_error_without_shape(client: EzlockClient) -> None:
    """An error reply without ``error`` keeps its status, with the code ``unknown``."""
    with pytest.raises(EzlockApiError) as refused:
        await client.get_state()
    assert (refused.value.status, refused.value.code) == (500, "unknown")


async def test_reply_with_wrong_types(client: EzlockClient) -> None:
    """A settings object with a string volume names the field."""
    with pytest.raises(EzlockProtocolError, match=r"settings\.volume: expected an int"):
        await client.get_settings()


async def _listen(client: EzlockClient) -> EzlockError:
    with pytest.raises(EzlockError) as ended:
        await client.listen(None, lambda event: None, lambda state: None)
    return ended.value


AUTH_OK = f'{{"type": "auth_ok", "client_id": "c_1", "api_version": {API_VERSION}}}'


@pytest.mark.parametrize(
    ("first", "then", "expected", "match"),
    [
        ("not json", (), EzlockProtocolError, "not JSON"),
        ('{"type": "auth_invalid"}', (), EzlockProtocolError, "unexpected auth"),
        (b"\x00", (), EzlockConnectionError, "authenticating"),
        (
            AUTH_OK,
            ('{"type": "error", "message": "no"}', "{broken"),
            EzlockProtocolError,
            "not JSON",
        ),
        (AUTH_OK, ('{"type": "state", "state": {}}',), EzlockProtocolError, "state"),
        (AUTH_OK, (), EzlockConnectionError, "streaming"),
        # Beyond aiohttp's 4 MiB message limit: the socket reports an error.
        (AUTH_OK, ("x" * (5 << 20),), EzlockConnectionError, "WebSocket error"),
    ],
)
async def test_stream_goes_wrong(
    client: EzlockClient,
    server: tuple[int, Behaviour],
    first: str | bytes,
    then: tuple[str, ...],
    expected: type[EzlockError],
    match: str,
) -> None:
    """Each way a conversation can break ends the stream with what broke it."""
    behaviour = server[1]
    behaviour.first, behaviour.then = first, then
    ended = await _listen(client)
    assert type(ended) is expected
    assert match in str(ended)


@pytest.mark.parametrize(
    ("status", "expected"), [(401, EzlockAuthError), (503, EzlockConnectionError)]
)
async def test_handshake_refused(
    client: EzlockClient,
    server: tuple[int, Behaviour],
    status: int,
    expected: type[EzlockError],
) -> None:
    """A refused upgrade: 401 means pair again, anything else means retry."""
    server[1].ws_status = status
    assert type(await _listen(client)) is expected
