"""The API as an attacker on the LAN meets it: bytes and frames written by hand.

Nothing here goes through a client library or our own HTTP/WebSocket code: requests are
bytes on a TLS socket (the standard library's ``ssl``), WebSocket frames are built from
RFC 6455 section 5.2 below. Each test is a finding of the red team against
``ezlock_edge.http`` and fails on the server as it was before its fix:

- a client that sends but never reads must not make the lock hold its answers without
  bound (HTTP pipelining, WebSocket pings, WebSocket requests): reading pauses instead;
- a message in countless tiny fragments is bounded like a large one;
- a request with both ``Content-Length`` and ``Transfer-Encoding`` is refused and the
  connection closed (RFC 9112 6.1), so nothing can be smuggled behind it;
- what a client sends is never echoed raw into an error body or a log line (a bearer
  token in a malformed header, a line feed in the path forging an audit line).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import json
import logging
import os
from pathlib import Path
import socket
import ssl
import struct
import sys

import pytest

from ezlock_edge.api.errors import ApiError
from ezlock_edge.api.routes import PIN_HEADER
from ezlock_edge.app import EdgeApp
from ezlock_edge.clock import ManualClock
from ezlock_edge.http.connection import HttpConnection, HttpLimits
from ezlock_edge.http.messages import Response
from ezlock_edge.http.request import Request
from ezlock_edge.http.server import serve
from ezlock_edge.sim.http import start_http
from ezlock_edge.sim.lock import SimulatedLock
from tests.support.lock import ADMIN_PASSWORD, open_pairing
from tests.support.waiting import WAIT, eventually

from .api_support import ApiClient

# A server that keeps answering a client that reads nothing holds more than this.
HOLD_LIMIT = 1024 * 1024
# Give up (and fail) after sending this much without either happening.
SEND_LIMIT = 64 * 1024 * 1024

type Stop = Callable[[EdgeApp], bool]

OP_CONTINUATION, OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x8, 0x9, 0xA


def frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    """Build one masked client frame (RFC 6455 5.2: a client MUST mask)."""
    first = (0x80 if fin else 0x00) | opcode
    size = len(payload)
    if size < 126:
        head = bytes([first, 0x80 | size])
    elif size < 1 << 16:
        head = bytes([first, 0x80 | 126]) + struct.pack("!H", size)
    else:
        head = bytes([first, 0x80 | 127]) + struct.pack("!Q", size)
    key = os.urandom(4)
    masked = bytes(byte ^ key[i % 4] for i, byte in enumerate(payload))
    return head + key + masked


def upgrade_request(token: str, *, version: str = "1.1") -> bytes:
    """Return the bytes of a WebSocket upgrade request (RFC 6455 4.1)."""
    return (
        f"GET /api/v1/ws HTTP/{version}\r\nHost: ezlock\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()


class RawPeer:
    """One TLS connection to the API, spoken to in raw bytes."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Wrap an open connection."""
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int, *, small_buffers: bool = False) -> RawPeer:
        """Connect to ``127.0.0.1:port``; ``small_buffers``: tiny kernel buffers."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if small_buffers:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        reader, writer = await asyncio.open_connection(
            sock=sock, ssl=context, server_hostname="ezlock"
        )
        return cls(reader, writer)

    def send(self, data: bytes) -> None:
        """Send raw bytes."""
        self.writer.write(data)

    async def answer(self) -> tuple[int, dict[str, str], bytes]:
        """Read one ``Content-Length`` framed answer."""
        async with asyncio.timeout(WAIT):
            head = await self.reader.readuntil(b"\r\n\r\n")
            status_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
            headers = {}
            for line in lines:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
            body = await self.reader.readexactly(int(headers["content-length"]))
        return int(status_line.split()[1]), headers, body

    async def rest(self) -> bytes:
        """Read until the server closes the connection."""
        async with asyncio.timeout(WAIT):
            return await self.reader.read()

    async def upgrade(self, token: str) -> None:
        """Open the push channel (RFC 6455 4.1) and read the 101."""
        self.send(upgrade_request(token))
        async with asyncio.timeout(WAIT):
            head = await self.reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 "), head

    async def frame(self) -> tuple[int, bytes]:
        """Read one server frame (unmasked, RFC 6455 5.1): opcode, payload."""
        async with asyncio.timeout(WAIT):
            first, second = await self.reader.readexactly(2)
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
            return first & 0x0F, await self.reader.readexactly(size)

    def abort(self) -> None:
        """Drop the connection (a peer with full buffers cannot close cleanly)."""
        self.writer.transport.abort()


@pytest.fixture
async def raw_peers(api: ApiClient) -> AsyncIterator[list[RawPeer]]:
    opened: list[RawPeer] = []
    yield opened
    for peer in opened:
        peer.abort()


def live(edge: EdgeApp) -> list[HttpConnection]:
    """Return the API's open HTTP connections (the server's side of the peers)."""
    api = edge._api
    assert api is not None
    connections = api._connections
    assert connections is not None
    return list(connections.live)


def held_by_server(edge: EdgeApp) -> int:
    """Bytes the API has written but its clients have not taken, all connections."""
    return sum(
        connection._writer.buffered
        for connection in live(edge)
        if connection._writer is not None
    )


def waits_for_the_client(edge: EdgeApp) -> bool:
    """Whether a connection waits for its client to take an answer before the next."""
    return any(
        connection._writer is not None and connection._writer._resumed is not None
        for connection in live(edge)
    )


def reads_nothing_from_a_peer_that_reads_nothing(edge: EdgeApp) -> bool:
    """Whether a WebSocket stopped reading while its peer takes nothing."""
    return any(
        connection._websocket is not None
        and connection._writer is not None
        and connection._writer.paused
        and connection._transport is not None
        and not connection._transport.is_reading()
        for connection in live(edge)
    )


async def flood(edge: EdgeApp, peer: RawPeer, unit: bytes, stopped: Stop) -> None:
    """Send ``unit`` again and again, reading nothing, until the server stops on it.

    Fails if the server instead holds more than :data:`HOLD_LIMIT` of answers, or
    reads :data:`SEND_LIMIT` bytes and never stops.
    """
    written = 0
    async with asyncio.timeout(WAIT):
        while not stopped(edge):
            held = held_by_server(edge)
            assert held <= HOLD_LIMIT, f"the server holds {held} bytes of answers"
            unsent = peer.writer.transport.get_write_buffer_size()
            assert written - unsent < SEND_LIMIT, (
                "the server read it all, never stopped"
            )
            if unsent < len(unit):  # no more than the kernel takes: it is what counts
                peer.send(unit)
                written += len(unit)
            await asyncio.sleep(0)  # a yield: the server runs between two writes
    held = held_by_server(edge)
    assert held <= HOLD_LIMIT, f"the server holds {held} bytes of answers"


async def test_pipelined_requests_of_a_client_that_never_reads_are_not_all_answered_into_memory(
    api: ApiClient, raw_peers: list[RawPeer]
) -> None:
    """Each answer waits for the client to take the last (aiohttp drained at write_eof)."""
    peer = await RawPeer.connect(api.edge.port, small_buffers=True)
    raw_peers.append(peer)
    auth = f"Authorization: Bearer {api.token}\r\n"
    peer.send(f"GET /api/v1/state HTTP/1.1\r\nHost: ezlock\r\n{auth}\r\n".encode())
    assert (await peer.answer())[0] == 200  # the connection is a paired client's now
    # 60 bytes asking for the 50 kB OpenAPI document each.
    request = b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: ezlock\r\n\r\n"
    await flood(api.edge, peer, request * 20, waits_for_the_client)


@pytest.mark.parametrize(
    "unit",
    [
        pytest.param(frame(OP_PING, b"p" * 125) * 50, id="ping-frames"),
        pytest.param(frame(OP_TEXT, b'{"type": "ping"}') * 200, id="ping-messages"),
        pytest.param(frame(OP_TEXT, b'{"type": "nonsense"}') * 200, id="bad-messages"),
    ],
)
async def test_a_websocket_peer_that_never_reads_cannot_make_the_lock_buffer_its_answers(
    api: ApiClient, raw_peers: list[RawPeer], unit: bytes
) -> None:
    peer = await RawPeer.connect(api.edge.port, small_buffers=True)
    raw_peers.append(peer)
    await peer.upgrade(api.token or "")
    await flood(api.edge, peer, unit, reads_nothing_from_a_peer_that_reads_nothing)


async def test_a_message_in_many_tiny_fragments_is_held_compactly(
    api: ApiClient, raw_peers: list[RawPeer]
) -> None:
    """Empty and one-byte continuation frames cost the lock their bytes, not an object."""
    peer = await RawPeer.connect(api.edge.port)
    raw_peers.append(peer)
    await peer.upgrade(api.token or "")
    assert (await peer.frame())[0] == OP_TEXT  # auth_ok
    peer.send(frame(OP_TEXT, b'{"type": ', fin=False))
    peer.send(frame(OP_CONTINUATION, b"", fin=False) * 20_000)
    peer.send(frame(OP_CONTINUATION, b" ", fin=False) * 20_000)
    # A ping between fragments is allowed (RFC 6455 5.4): its pong says all came in.
    peer.send(frame(OP_PING, b"mark"))
    assert await peer.frame() == (OP_PONG, b"mark")
    # What the lock holds of the message is about its 20,009 bytes (it was 40,001
    # list entries of 8 bytes each, one per fragment).
    held = [
        sys.getsizeof(connection._websocket._partial)
        for connection in live(api.edge)
        if connection._websocket is not None
    ]
    assert held and max(held) < 4 * 20_009, held
    # The message is whole and served once its last fragment comes.
    peer.send(frame(OP_CONTINUATION, b'"ping"}'))
    opcode, payload = await peer.frame()
    assert (opcode, json.loads(payload)) == (OP_TEXT, {"type": "pong"})


async def test_content_length_with_transfer_encoding_is_refused_and_the_connection_closed(
    api: ApiClient, raw_peers: list[RawPeer]
) -> None:
    """RFC 9112 6.1: such a request MUST NOT leave the connection open for another.

    A front end that frames by ``Content-Length`` would otherwise take the smuggled
    request below as part of the body, the lock as a request of its own.
    """
    peer = await RawPeer.connect(api.edge.port)
    raw_peers.append(peer)
    auth = f"Authorization: Bearer {api.token}\r\n"
    peer.send(
        f"POST /api/v1/lock HTTP/1.1\r\nHost: ezlock\r\n{auth}"
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        f"POST /api/v1/unlock HTTP/1.1\r\nHost: ezlock\r\n{auth}"
        "Content-Length: 0\r\n\r\n".encode()
    )
    status, headers, _ = await peer.answer()
    assert (status, headers.get("connection")) == (400, "close")
    assert await peer.rest() == b""  # the unlock behind it was never answered
    state = await api.call("GET", "/state")
    assert state.body["bolt"] == "locked"


async def test_a_malformed_header_is_not_echoed_into_the_answer_or_the_log(
    api: ApiClient, raw_peers: list[RawPeer], caplog: pytest.LogCaptureFixture
) -> None:
    """h11's reason quotes the offending line: that may be a bearer token."""
    caplog.set_level(logging.DEBUG)
    peer = await RawPeer.connect(api.edge.port)
    raw_peers.append(peer)
    secret = api.token or ""
    peer.send(
        f"GET /api/v1/state HTTP/1.1\r\nHost: ezlock\r\n"
        f"Authorization : Bearer {secret}\r\n\r\n".encode()
    )
    status, _, body = await peer.answer()
    assert status == 400
    assert json.loads(body)["error"] == "invalid_request"
    assert secret.encode() not in body
    assert b"bytearray" not in body
    assert not [r for r in caplog.records if secret in r.getMessage()]


async def test_a_line_feed_in_the_path_cannot_forge_a_log_line(
    api: ApiClient, raw_peers: list[RawPeer], caplog: pytest.LogCaptureFixture
) -> None:
    """The request log is the audit trail: a path's ``%0A`` stays encoded."""
    caplog.set_level(logging.DEBUG, logger="ezlock_edge")
    peer = await RawPeer.connect(api.edge.port)
    raw_peers.append(peer)
    forged = "%0A2026-12-01T20:00:00.000+00:00%20INFO%20ezlock_edge.api.server:%20x"
    peer.send(
        f"POST /api/v1/{forged} HTTP/1.1\r\nHost: ezlock\r\n"
        "Content-Length: 0\r\n\r\n".encode()
    )
    assert (await peer.answer())[0] == 404
    lines = [
        r.getMessage() for r in caplog.records if r.name == "ezlock_edge.api.server"
    ]
    assert any("-> 404" in line for line in lines), lines
    assert not [line for line in lines if "\n" in line or "\r" in line], lines


async def test_a_websocket_upgrade_over_http_1_0_is_refused(
    api: ApiClient, raw_peers: list[RawPeer]
) -> None:
    """RFC 6455 4.1: the upgrade request's HTTP version MUST be at least 1.1."""
    peer = await RawPeer.connect(api.edge.port)
    raw_peers.append(peer)
    peer.send(upgrade_request(api.token or "", version="1.0"))
    status, _, body = await peer.answer()
    assert (status, json.loads(body)["error"]) == (400, "invalid_request")


async def test_no_secret_reaches_a_log_line_even_at_debug(
    api: ApiClient, raw_peers: list[RawPeer], caplog: pytest.LogCaptureFixture
) -> None:
    """Pairing code, bearer tokens, a PIN and a password, sent well and badly."""
    caplog.set_level(logging.DEBUG)
    code = await open_pairing(api.edge)
    reply = await api.call(
        "POST", "/pair", {"client_name": "second", "verification_code": code}
    )
    assert reply.status == 201, reply.body
    second = str(reply.body["token"])
    reply = await api.call(
        "PATCH",
        "/settings",
        {"require_pin_for_remote": True, "remote_unlock_enabled": True},
    )
    assert reply.status == 200, reply.body
    pin = {PIN_HEADER: ADMIN_PASSWORD}
    assert (await api.call("POST", "/unlock", headers=pin)).status == 202
    assert (await api.call("POST", "/unlock", headers={PIN_HEADER: "135791"})).status
    password = "926153"
    reply = await api.call(
        "PUT", "/users/1/password", {"password": password}, headers=pin
    )
    assert reply.status in {200, 201}, reply.body
    # The same secrets in requests that do not parse or do not authenticate.
    for raw in (
        f"GET /api/v1/state HTTP/1.1\r\nHost: x\r\nAuthorization : Bearer {second}",
        (
            f"GET /api/v1/state?token={second} HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {second}x"
        ),
        f"POST /api/v1/unlock HTTP/1.1\r\nHost: x\r\nX-Ezlock-PIN {ADMIN_PASSWORD}",
        f"POST /api/v1/pair HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{code}",
    ):
        peer = await RawPeer.connect(api.edge.port)
        raw_peers.append(peer)
        peer.send(raw.encode() + b"\r\n\r\n")
        assert (await peer.answer())[0] >= 400
    logged = "\n".join(
        f"{record.getMessage()} {record.__dict__}" for record in caplog.records
    )
    assert "POST /api/v1/pair -> 201" in logged  # the log was captured
    for secret in (code, api.token or "", second, ADMIN_PASSWORD, password):
        assert secret not in logged


async def test_bad_tokens_from_one_ipv6_prefix_are_slowed_down_as_one_address(
    api: ApiClient,
) -> None:
    """A host picks any address in its /64: rotating through them must not reset the count.

    The listener already counts a /64 as one address; loopback has one IPv6 address,
    so the addresses are handed to the running API's authentication directly.
    """
    server = api.edge._api
    assert server is not None
    context = server.context
    for host in (1, 2, 3):
        with pytest.raises(ApiError) as refused:
            context.authenticate(f"2001:db8:1:2::{host:x}", "not-a-token")
        assert refused.value.status == 401
    with pytest.raises(ApiError) as refused:
        context.authenticate("2001:db8:1:2:ffff::99", "not-a-token")
    assert (refused.value.status, refused.value.code) == (429, "too_many_attempts")
    # Another prefix is another address.
    with pytest.raises(ApiError) as refused:
        context.authenticate("2001:db8:1:3::1", "not-a-token")
    assert refused.value.status == 401


async def test_two_authorization_headers_are_refused(
    api: ApiClient, raw_peers: list[RawPeer]
) -> None:
    """Which one counts would be a guess (a proxy may take the last): neither does."""
    peer = await RawPeer.connect(api.edge.port)
    raw_peers.append(peer)
    peer.send(
        f"GET /api/v1/state HTTP/1.1\r\nHost: ezlock\r\n"
        f"Authorization: Bearer {api.token}\r\n"
        "Authorization: Bearer someone-elses\r\n\r\n".encode()
    )
    status, _, body = await peer.answer()
    assert (status, json.loads(body)["error"]) == (401, "unauthorized")


async def test_a_stranger_cannot_write_info_lines(
    api: ApiClient, raw_peers: list[RawPeer], caplog: pytest.LogCaptureFixture
) -> None:
    """Requests without a valid token are logged at DEBUG; a paired client's at INFO.

    Anyone on the LAN can send them, one per TLS handshake: at INFO they would crowd
    the paired clients' changes out of the journal (journald's rate limit drops them).
    """
    caplog.set_level(logging.DEBUG, logger="ezlock_edge.api.server")
    for raw in (
        "POST /api/v1/unlock HTTP/1.1\r\nHost: ezlock\r\nContent-Length: 0\r\n\r\n",
        "DELETE /api/v1/nowhere HTTP/1.1\r\nHost: ezlock\r\n\r\n",
        "PATCH /api/v1/state HTTP/1.1\r\nHost: ezlock\r\nContent-Length: 0\r\n\r\n",
    ):
        peer = await RawPeer.connect(api.edge.port)
        raw_peers.append(peer)
        peer.send(raw.encode())
        assert (await peer.answer())[0] in {401, 404, 405}
    assert (await api.call("POST", "/lock")).status == 202
    lines = [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.name == "ezlock_edge.api.server"
    ]
    assert [line for level, line in lines if level >= logging.INFO] == [
        "POST /api/v1/lock -> 202"
    ], lines
    assert len([line for level, line in lines if level == logging.DEBUG]) >= 3, lines


async def test_a_client_that_leaves_during_its_body_is_no_error_in_the_log(
    api: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Anyone may start a pairing request and hang up: no ERROR line, no traceback."""
    peer = await RawPeer.connect(api.edge.port)
    peer.send(
        b"POST /api/v1/pair HTTP/1.1\r\nHost: ezlock\r\n"
        b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"client'
    )
    await asyncio.sleep(0)  # a yield: the bytes leave before the connection does
    peer.abort()
    await eventually(lambda: api.edge.open_connections == 0, "the connection gone")
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert errors == []


async def test_a_body_that_stops_coming_is_answered_408_and_the_connection_closed() -> (
    None
):
    """A body stalled mid-way holds its connection for ``keep_alive``, not forever.

    The listener's deadline covers a stranger; this covers a paired client's
    connection (no deadline) and the simulator's (no listener).
    """

    async def echo(request: Request) -> Response:
        return Response(200, await request.read())

    server = await serve(
        echo, "127.0.0.1", 0, limits=HttpLimits(keep_alive=0.2, linger=0.2)
    )
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
        async with asyncio.timeout(WAIT):
            answer = await reader.read()  # until the server closes
        writer.close()
        await writer.wait_closed()
    finally:
        await server.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"connection: close" in answer.lower()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"1" * 5000, id="an-integer-of-5000-digits"),
        pytest.param(b"[" * 100_000, id="nesting-past-the-recursion-limit"),
    ],
)
async def test_the_simulators_surface_refuses_json_it_cannot_read_as_400(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    """json.loads raises ValueError / RecursionError here, not JSONDecodeError."""
    lock = SimulatedLock(clock=ManualClock(), seed=5, state_dir=tmp_path)
    await lock.start()
    server = await start_http(lock, "127.0.0.1", 0)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            b"POST /sim/v1/door HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        async with asyncio.timeout(WAIT):
            answer = await reader.read()
        writer.close()
        await writer.wait_closed()
    finally:
        await server.close()
        await lock.stop()
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
