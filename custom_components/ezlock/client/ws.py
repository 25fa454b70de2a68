"""The edge driver's push connection (docs/api.md, WebSocket): events, then state.

One connection authenticates with the token, subscribes from the last handled seq, and
hands every event and every state to the caller's callbacks until it ends; how it ended
is the exception it raises.
"""

from __future__ import annotations

from collections.abc import Callable
import contextlib
import json
import logging
from typing import Final, NoReturn

import aiohttp
from yarl import URL

from ._http import transport_errors
from ._reader import Reader
from .contract import API_VERSION
from .errors import (
    EzlockAuthError,
    EzlockConnectionError,
    EzlockError,
    EzlockIncompatibleError,
    EzlockProtocolError,
)
from .events import LockEvent, parse_event
from .state import LockState

_LOGGER = logging.getLogger(__name__)

_AUTH_TIMEOUT: Final = 10.0
# The server pings every 20 s; our own pings catch a half-open connection it cannot see.
_HEARTBEAT: Final = 30.0
_CLOSE_UNAUTHORIZED: Final = 4001
_CLOSING: Final = frozenset(
    {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED}
)


def _closed(close_code: int | None, when: str) -> EzlockError:
    if close_code == _CLOSE_UNAUTHORIZED:
        return EzlockAuthError(401, "unauthorized", f"closed while {when}")
    return EzlockConnectionError(f"closed while {when} (code {close_code})")


def _message(data: str) -> Reader:
    try:
        return Reader(json.loads(data), "message")
    except ValueError:
        raise EzlockProtocolError(f"not JSON: {data[:80]!r}") from None


def _check_auth(reply: aiohttp.WSMessage) -> None:
    """Accept only ``auth_ok`` in the API version this client speaks."""
    message = _message(reply.data)
    if message.text("type") != "auth_ok":
        raise EzlockProtocolError(f"unexpected auth reply {reply.data!r}")
    if (version := message.integer("api_version")) != API_VERSION:
        raise EzlockIncompatibleError(version, API_VERSION)


type Received = LockEvent | LockState | None


def _parse(data: str) -> Received:
    """Read one message: an event, a state, or None (nothing for the caller).

    Only :class:`~.errors.EzlockProtocolError` comes out of here: the caller's
    callbacks run afterwards, outside, so their failures are never taken for the
    connection's.
    """
    message = _message(data)
    kind = message.text("type")
    if kind == "event":
        return parse_event(message.data.get("event"))
    if kind == "state":
        return LockState.from_json(message.data.get("state"))
    if kind == "error":
        _LOGGER.debug("Edge driver refused a message: %s", message.data.get("message"))
    return None


async def stream(
    session: aiohttp.ClientSession,
    url: URL,
    *,
    ssl: aiohttp.Fingerprint | bool,
    token: str,
    since: int | None,
    on_event: Callable[[LockEvent], None],
    on_state: Callable[[LockState], None],
) -> NoReturn:
    """Stream until the connection ends; raise what ended it.

    :class:`~.errors.EzlockAuthError` (token revoked: pair again),
    :class:`~.errors.EzlockFingerprintError` (another certificate),
    :class:`~.errors.EzlockIncompatibleError` (another API version) or
    :class:`~.errors.EzlockConnectionError` (retry later).
    """
    with transport_errors("WebSocket"):
        try:
            ws = await session.ws_connect(
                url,
                ssl=ssl,
                headers={"Authorization": f"Bearer {token}"},
                heartbeat=_HEARTBEAT,
                timeout=aiohttp.ClientWSTimeout(ws_close=5),
            )
        except aiohttp.WSServerHandshakeError as err:
            if err.status == 401:
                raise EzlockAuthError(401, "unauthorized", str(err)) from err
            raise EzlockConnectionError(f"WebSocket handshake: {err!r}") from err
    try:
        with transport_errors("WebSocket"):
            reply = await ws.receive(timeout=_AUTH_TIMEOUT)
            if reply.type is not aiohttp.WSMsgType.TEXT:
                raise _closed(ws.close_code, "authenticating")
            _check_auth(reply)
            await ws.send_json({"type": "subscribe", "since": since})
        while True:
            with transport_errors("WebSocket"):
                message = await ws.receive()
            if message.type is aiohttp.WSMsgType.TEXT:
                received = _parse(message.data)
            elif message.type is aiohttp.WSMsgType.ERROR:
                raise EzlockConnectionError(f"WebSocket error: {ws.exception()!r}")
            elif message.type in _CLOSING:
                raise _closed(ws.close_code, "streaming")
            else:
                continue  # binary, ping and pong frames carry nothing for the caller
            # The callbacks, outside the translation of transport errors: a
            # TimeoutError of theirs is their failure, not a lost connection.
            if isinstance(received, LockState):
                on_state(received)
            elif received is not None:
                on_event(received)
    finally:
        # Closing must not replace what ended the stream (the caller's to judge).
        with contextlib.suppress(aiohttp.ClientError, OSError):
            await ws.close()
