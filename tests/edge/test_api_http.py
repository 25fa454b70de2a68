"""The API's HTTP layer (``ezlock_edge.http``, h11 + wsproto) as a hostile client meets it.

Every test writes bytes to the real edge driver over TLS on loopback and reads what comes
back, record by record where it matters. Each one fails on a naive server: one that
parses a body as the next request, waits for a body it will refuse, answers pipelined
requests out of order, keeps a half-sent request forever, or writes one TLS record per
WebSocket message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import json

import pytest
from wsproto.events import BytesMessage, CloseConnection, Ping, Pong, TextMessage

from ezlock_edge.api import ws as ws_module
from ezlock_edge.core.events import Event
from ezlock_edge.http import server as http_server
from tests.support.lock import pass_time
from tests.support.waiting import WAIT, eventually

from .api_support import ApiClient
from .http_support import Peers, WsPeer, request


@pytest.fixture
async def peers(api: ApiClient) -> AsyncIterator[Peers]:
    opened = Peers(api.edge.port)
    yield opened
    await opened.close()


async def test_pipelined_requests_are_answered_in_order_on_one_connection(
    api: ApiClient,
    peers: Peers,
) -> None:
    peer = await peers.http()
    peer.send(
        request("GET", "/state", token=api.token)
        + request("GET", "/settings", token=api.token)
        + request("GET", "/nothing", token=api.token)
    )
    status, _, state = await peer.json_answer()
    assert (status, "bolt" in state) == (200, True)
    status, _, settings = await peer.json_answer()
    assert (status, "remote_unlock_enabled" in settings) == (200, True)
    status, _, missing = await peer.json_answer()
    assert (status, missing["error"]) == (404, "not_found")
    # Kept alive: the same connection serves the next one.
    peer.send(request("GET", "/state", token=api.token))
    assert (await peer.json_answer())[0] == 200
    assert api.edge.open_connections == 1


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        # A bare LF ends a line: h11 takes it, a proxy in front may not.
        (b"GET /api/v1/state HTTP/1.1\nHost: 127.0.0.1\n{auth}\n\n", b"without CR"),
        (b"GET /api/v1/state HTTP/1.1\r\nHost: 127.0.0.1\n{auth}\r\n\r\n", b"CR"),
        (b"GET /api/v1/state HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n\n", b"CR"),
        # An obsolete line folding: h11 joins it to the header before, a proxy may
        # take it for a header of its own (or for the end of the head).
        (
            (
                b"GET /api/v1/state HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"X-Note: a\r\n folded\r\n{auth}\r\n\r\n"
            ),
            b"folding",
        ),
        (
            (
                b"GET /api/v1/state HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"X-Note: a\r\n\tTransfer-Encoding: chunked\r\n{auth}\r\n\r\n"
            ),
            b"folding",
        ),
    ],
)
async def test_a_head_that_parsers_read_differently_is_refused(
    api: ApiClient, peers: Peers, head: bytes, reason: bytes
) -> None:
    """Bare LF line ends and obsolete line folding: 400 and closed (RFC 9112 2.2, 5.2).

    Also as the second of two pipelined requests, and split across reads (down to a
    byte each: the head is searched once, from where the last read ended); the same
    request with CRLF and no folding is answered (the first one here).
    """
    auth = b"Authorization: Bearer " + str(api.token).encode()
    good = request("GET", "/state", token=api.token)
    bad = head.replace(b"{auth}", auth)
    peer = await peers.http()
    peer.send(good + bad)
    assert (await peer.json_answer())[0] == 200
    status, _, body = await peer.answer()
    assert (status, reason in body) == (400, True), body
    assert await peer.closed()
    for step in (7, 1):  # the end of a line in one read, its CR or LF in the next
        peer = await peers.http()
        for at in range(0, len(bad), step):
            peer.send(bad[at : at + step])
        status, _, body = await peer.answer()
        assert (status, reason in body) == (400, True), body
        assert await peer.closed()
    peer = await peers.http()
    for at in range(len(good)):  # and the good one, a byte at a time, is answered
        peer.send(good[at : at + 1])
    assert (await peer.json_answer())[0] == 200


async def test_the_path_is_the_path(api: ApiClient, peers: Peers) -> None:
    """``//host/path`` is a path (no route), not a host and a path; absolute form works."""
    bearer = f"Authorization: Bearer {api.token}\r\n\r\n".encode()
    peer = await peers.http()
    peer.send(b"GET //attacker/api/v1/state HTTP/1.1\r\nHost: x\r\n" + bearer)
    status, _, missing = await peer.json_answer()
    assert (status, missing["error"]) == (404, "not_found")
    other = await peers.http()
    other.send(b"GET https://lock/api/v1/state?x=1 HTTP/1.1\r\nHost: x\r\n" + bearer)
    assert (await other.json_answer())[0] == 200


async def test_an_unread_body_is_not_taken_for_the_next_request(
    api: ApiClient,
    peers: Peers,
) -> None:
    """A body on a route that reads none is skipped, whatever it looks like."""
    smuggled = request("DELETE", "/clients/c_nope", token=api.token)
    peer = await peers.http()
    peer.send(
        request("GET", "/state", token=api.token, body=smuggled)
        + request("GET", "/settings", token=api.token)
    )
    assert (await peer.json_answer())[0] == 200
    status, _, settings = await peer.json_answer()
    assert (status, "remote_unlock_enabled" in settings) == (200, True)


async def test_malformed_requests_get_a_json_400_and_the_connection_closes(
    api: ApiClient,
    peers: Peers,
) -> None:
    for garbage in (
        b"GARBAGE\r\n\r\n",
        b"GET /api/v1/info HTTP/1.1\r\nHost: x\r\nBad header\r\n\r\n",
        b"GET /api/v1/info HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"GET /api/v1/info HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        (
            b"POST /api/v1/pair HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        ),
        b"GET /api/v1/info HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    ):
        peer = await peers.http()
        peer.send(garbage)
        status, headers, body = await peer.json_answer()
        assert (status, body["error"]) == (400, "invalid_request"), garbage
        assert headers["connection"] == "close"
        assert await peer.closed()


async def test_an_oversized_head_is_refused(api: ApiClient, peers: Peers) -> None:
    peer = await peers.http()
    peer.send(request("GET", "/state", headers={"X-Padding": "a" * 20_000}))
    status, _, body = await peer.json_answer()
    assert (status, body["error"]) == (431, "headers_too_large")
    assert await peer.closed()


async def test_a_declared_oversized_body_is_refused_before_it_is_sent(
    api: ApiClient,
    peers: Peers,
) -> None:
    """The answer comes on the head alone: the server does not wait for 10 MB."""
    peer = await peers.http()
    head = request("PATCH", "/settings", token=api.token, body=b"")
    peer.send(head.replace(b"Content-Length: 0", b"Content-Length: 10000000"))
    status, headers, body = await peer.json_answer()
    assert (status, body["error"]) == (413, "payload_too_large")
    assert headers["connection"] == "close"


async def test_a_chunked_oversized_body_is_refused(
    api: ApiClient, peers: Peers
) -> None:
    peer = await peers.http()
    chunk = b"x" * 16_384
    peer.send(
        b"PATCH /api/v1/settings HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {api.token}\r\n".encode()
        + b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
        + (b"4000\r\n" + chunk + b"\r\n") * 5
    )
    status, _, body = await peer.json_answer()
    assert (status, body["error"]) == (413, "payload_too_large")


async def test_a_half_sent_request_is_closed_at_the_deadline(
    api: ApiClient, peers: Peers
) -> None:
    """Slowloris: a head that never ends keeps no slot past the listener's deadline."""
    edge = api.edge
    peer = await peers.http()
    peer.send(b"GET /api/v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    await eventually(lambda: edge.open_connections == 1, "the slow one is open")
    for _ in range(4):
        peer.send(b"a")  # a byte now and then does not buy time
        await pass_time(edge, 1)
    assert edge.open_connections == 1
    await pass_time(edge, 1)
    assert await peer.closed()
    await eventually(lambda: edge.open_connections == 0, "its slot is free")


async def test_stopping_the_server_leaves_no_connection_behind(
    api: ApiClient, peers: Peers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the API server's stop returns, every connection's task has ended.

    One connection in each state a stop can find it in: idle between requests, half
    a head sent, half a body sent, a WebSocket whose client never answers the close
    frame, and one its client has just dropped.
    """
    # Loop time, both: keep them short.
    monkeypatch.setattr(ws_module, "CLOSE_TIMEOUT", 0.2)
    monkeypatch.setattr(http_server, "SHUTDOWN_TIMEOUT", 0.5)
    token = str(api.token)
    idle = await peers.http()
    idle.send(request("GET", "/state", token=token))
    assert (await idle.json_answer())[0] == 200
    (await peers.http()).send(b"GET /api/v1/state HTTP/1.1\r\nHost: x\r\n")
    body = request("PATCH", "/settings", token=token, body=b'{"volume": 1}')
    (await peers.http()).send(body[:-5])
    deaf = await peers.ws(token)
    assert (await deaf.message())["type"] == "auth_ok"
    gone = await peers.ws(token)
    assert (await gone.message())["type"] == "auth_ok"
    await eventually(lambda: api.edge.open_connections == 5, "five connections")
    await gone.tls.wait_closed()
    server = api.edge._api
    assert server is not None
    await server.stop()
    left = [
        task
        for task in asyncio.all_tasks()
        if task.get_coro().__qualname__ == "HttpConnection._serve"  # type: ignore[union-attr]
    ]
    assert left == []


async def test_failed_tls_handshakes_leave_the_server_serving(api: ApiClient) -> None:
    edge = api.edge
    for hello in (
        b"GET / HTTP/1.1\r\n\r\n",
        b"\x16\x03\x01\x00\x05hello",
        b"\x00" * 64,
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", edge.port)
        writer.write(hello)
        # The server answers with a TLS alert at most, then closes (not at a deadline).
        with contextlib.suppress(ConnectionResetError):
            async with asyncio.timeout(WAIT):
                while await reader.read(4096):
                    pass
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    await eventually(lambda: edge.open_connections == 0, "every failed one closed")
    assert (await api.call("GET", "/state")).status == 200


async def test_an_upgrade_that_is_not_one_is_a_400(
    api: ApiClient, peers: Peers
) -> None:
    """No 101 for a request that does not offer the switch properly."""
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    for version, headers in (
        ("1.0", {"Upgrade": "websocket", "Connection": "Upgrade"}),
        ("1.1", {"Upgrade": "websocket", "Connection": "keep-alive"}),
        ("1.1", {"Upgrade": "websocket", "Connection": "Upgrade", "X-No": "version"}),
    ):
        peer = await peers.http()
        headers |= {"Sec-WebSocket-Key": key}
        if "X-No" not in headers:
            headers["Sec-WebSocket-Version"] = "13"
        raw = request("GET", "/ws", token=api.token, headers=headers)
        peer.send(raw.replace(b"HTTP/1.1", f"HTTP/{version}".encode(), 1))
        status, head, raw_body = await peer.answer()
        assert status == 400, (headers, head, raw_body)
        assert json.loads(raw_body)["error"] == "invalid_request"


async def test_websocket_ping_close_and_bounds(api: ApiClient, peers: Peers) -> None:
    ws = await peers.ws(str(api.token))
    assert (await ws.message())["type"] == "auth_ok"
    ws.send(Ping(payload=b"are you there"))
    assert await ws.event() == Pong(payload=b"are you there")
    ws.send(BytesMessage(data=b"\x00\x01"))
    reply = await ws.message()
    assert (reply["type"], reply["error"]) == ("error", "invalid_message")
    ws.send(CloseConnection(code=1000, reason="bye"))
    close = await ws.close_event()
    assert close.code == 1000
    assert await ws.tls.read() == b""  # the server closes the TCP connection
    # A message over 64 KiB closes the socket with 1009, it is not buffered.
    big = await peers.ws(str(api.token))
    assert (await big.message())["type"] == "auth_ok"
    big.send(TextMessage(data=json.dumps({"type": "ping", "pad": "x" * 70_000})))
    assert (await big.close_event()).code == 1009


async def test_a_client_that_pings_and_never_reads_is_no_longer_read(
    api: ApiClient, peers: Peers
) -> None:
    """Every ping gets a pong, but not into a buffer without end.

    Once the client takes nothing, the server stops reading it (TCP pushes back to the
    client). A naive server keeps reading and queueing pongs: everything the client
    sends drains, and the server holds megabytes of pongs nobody reads.
    """
    ws = await peers.ws(str(api.token), buffers=4096)
    assert (await ws.message())["type"] == "auth_ok"
    server = api.edge._api
    assert server is not None and server._connections is not None
    (connection,) = server._connections.live
    transport = connection._transport
    assert transport is not None
    ws.tls.send(ws.ping_frame(b"p" * 125) * 64_000)  # 8.3 MB of pings
    await eventually(
        lambda: not transport.is_reading() or ws.tls.unsent == 0,
        "the server stops reading, or has read everything",
    )
    assert transport.get_write_buffer_size() < 1024 * 1024
    assert ws.tls.unsent > 0  # the rest waits on the client's side
    # The server still serves everyone else.
    assert (await api.call("GET", "/state")).status == 200


async def _subscribed(api: ApiClient, peers: Peers) -> WsPeer:
    ws = await peers.ws(str(api.token))
    assert (await ws.message())["type"] == "auth_ok"
    ws.send_json({"type": "subscribe", "since": None})
    while (await ws.message())["type"] != "state":
        pass
    return ws


async def test_a_lone_event_is_written_as_it_is_announced(
    api: ApiClient, peers: Peers
) -> None:
    """Nothing waits before it: the event's frame is written by its announcement.

    Not a loop turn later (a writer task's wake-up, behind whatever else the turn made
    ready, such as the next batch's fsync; issue #18). The test holds the driver's loop
    from the announcement on (a blocking wait on the client's socket): the bytes can
    only arrive if the announcement itself wrote them.
    """
    ws = await _subscribed(api, peers)
    assert not ws.tls.arrives_while_the_loop_is_held(0)
    event = api.edge.core.events.append("doorbell")
    assert ws.tls.arrives_while_the_loop_is_held(WAIT)
    while (message := await ws.message())["type"] != "event":
        pass
    assert message["seq"] == event.seq


async def test_what_one_sync_announces_goes_out_in_one_tls_record(
    api: ApiClient,
    peers: Peers,
) -> None:
    """Five events of one group commit: one TLS record once the last is announced.

    The credential path makes its bolt reports and its ``unlocked`` durable with one
    sync; they leave together as soon as the sync's announcements are done, not the
    first alone and the others at the end of the loop turn (two records before; a
    syscall and a record per message saved, and none of them waits; issue #18).
    Events made durable by syncs of their own leave one by one, as each is.
    """
    ws = await _subscribed(api, peers)
    before = ws.tls.application_records
    events = api.edge.core.events
    async with api.edge.core._store.group_commit():
        first = events.append("doorbell").seq
        for _ in range(4):
            events.append("doorbell")
    await _events(ws, list(range(first, first + 5)))
    assert ws.tls.application_records - before == 1
    before = ws.tls.application_records
    for _ in range(2):  # each its own durable transaction, synced at once
        events.append("doorbell")
    await _events(ws, [first + 5, first + 6])
    assert ws.tls.application_records - before == 2


async def test_what_one_sync_announces_is_written_before_other_ready_work(
    api: ApiClient,
    peers: Peers,
) -> None:
    """The events of a sync are on the wire before the loop runs what it has ready.

    As on the credential path, where the bolt's next report is read while the disk
    syncs and its batch waits, ready, ahead of the end of the loop turn (0.3 ms; issue
    #18). Here a callback is made ready as the first event is announced; it holds the
    loop and reads the socket: all three events have arrived by then (before, only the
    first: the others waited for the turn's end, behind it).
    """
    loop = asyncio.get_running_loop()
    events = api.edge.core.events
    arrived: list[list[int]] = []
    ws: WsPeer | None = None

    def ready_work() -> None:
        assert ws is not None
        arrived.append(ws.seqs_while_the_loop_is_held(3))

    def first_announced(event: Event) -> None:
        if not arrived and event.type == "doorbell":
            arrived.append([])  # once
            loop.call_soon(ready_work)

    # Subscribed before the session: its callback is ready ahead of the session's.
    unsubscribe = events.subscribe(first_announced)
    try:
        ws = await _subscribed(api, peers)
        async with api.edge.core._store.group_commit():
            first = events.append("doorbell").seq
            events.append("doorbell")
            events.append("doorbell")
        await eventually(lambda: len(arrived) == 2, "the ready work ran")
    finally:
        unsubscribe()
    assert arrived[1] == [first, first + 1, first + 2]


async def _events(ws: WsPeer, seqs: list[int]) -> None:
    seen: list[int] = []
    while len(seen) < len(seqs):
        message = await ws.message()
        if message["type"] == "event":
            seen.append(message["seq"])
    assert seen == seqs


async def test_an_answer_closes_what_the_client_does_not_keep_alive(
    api: ApiClient, peers: Peers
) -> None:
    """``Connection: close`` and HTTP/1.0 (no keep-alive in h11): answered, then closed.

    The answer's head is formatted by the connection, not by h11's events (issue #18):
    what h11 added to it, the connection adds.
    """
    for extra, version in ((b"Connection: close\r\n", b"1.1"), (b"", b"1.0")):
        peer = await peers.http()
        peer.send(
            b"GET /api/v1/state HTTP/" + version + b"\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Bearer "
            + str(api.token).encode()
            + b"\r\n"
            + extra
            + b"\r\n"
        )
        status, headers, state = await peer.json_answer()
        assert (status, headers["connection"], "bolt" in state) == (200, "close", True)
        assert await peer.closed()


async def test_an_answer_to_head_has_no_body_and_the_next_answer_follows(
    api: ApiClient, peers: Peers
) -> None:
    """HEAD on a GET route: GET's status and head, no body; the pipelined next one is whole.

    RFC 9110 9.3.2 (a general-purpose server supports GET and HEAD); it was a 405.
    """
    peer = await peers.http()
    peer.send(request("GET", "/state", token=api.token))  # a trusted connection
    status, get_headers, _ = await peer.answer()
    assert status == 200
    peer.send(
        request("HEAD", "/state", token=api.token)
        + request("GET", "/state", token=api.token)
    )
    status, headers, body = await peer.answer(head_only=True)
    assert (status, body) == (200, b"")
    assert headers["content-type"] == get_headers["content-type"]
    assert headers["content-length"] == get_headers["content-length"]
    status, _, state = await peer.json_answer()
    assert (status, "bolt" in state) == (200, True)
    # Without a token HEAD is refused as GET is.
    peer.send(request("HEAD", "/state"))
    status, _, body = await peer.answer(head_only=True)
    assert (status, body) == (401, b"")


async def test_head_is_refused_where_the_answer_is_a_stream_or_a_websocket(
    api: ApiClient, peers: Peers
) -> None:
    """``/ws`` and the camera's stream answer over time: HEAD there is a 405 naming GET.

    And a route without GET (``POST /unlock``) does not offer HEAD in its ``Allow``.
    """
    for path, allow in (
        ("/ws", "GET"),
        ("/camera/stream", "GET"),
        ("/unlock", "POST"),
    ):
        peer = await peers.http()
        peer.send(request("HEAD", path, token=api.token))
        status, headers, _ = await peer.answer(head_only=True)
        assert (status, headers["allow"]) == (405, allow), path
    peer = await peers.http()
    peer.send(request("OPTIONS", "/state", token=api.token))
    status, headers, _ = await peer.json_answer()
    assert (status, headers["allow"]) == (405, "GET,HEAD")


async def test_tls_record_counting_sees_separate_writes(
    api: ApiClient, peers: Peers
) -> None:
    """The counter itself: answers to requests sent one at a time are records apart."""
    peer = await peers.http()
    peer.send(request("GET", "/state", token=api.token))
    assert (await peer.json_answer())[0] == 200  # after TLS 1.3's session tickets
    before = peer.tls.application_records
    for _ in range(3):
        peer.send(request("GET", "/state", token=api.token))
        assert (await peer.json_answer())[0] == 200
    assert peer.tls.application_records - before == 3
