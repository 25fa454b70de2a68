"""Raw clients for the API's HTTP layer: bytes on a socket, TLS records counted.

The tests of ``ezlock_edge.http`` talk to the real edge driver as a hostile or unusual
client would (pipelining, malformed heads, huge bodies, half-sent requests), so they
write bytes themselves instead of going through a well-behaved client library. TLS is
done with the standard library's ``SSLObject`` over a plain socket, so that the test
sees every TLS record the server sends (one ``transport.write`` is one record).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import socket
import ssl
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Event,
    Message,
    Ping,
    Pong,
    Request,
    TextMessage,
)

from tests.support.waiting import WAIT

APPLICATION_DATA = 23  # TLS record content type (RFC 8446 5.1)


class TlsPeer:
    """A TLS client whose records are counted as they arrive from the server."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Speak TLS over an open TCP connection."""
        self._reader = reader
        self._writer = writer
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing)
        self._raw = b""
        self.records: list[int] = []
        """The content type of every complete record received, in order."""
        self.eof = False

    @classmethod
    async def connect(cls, port: int, *, buffers: int | None = None) -> TlsPeer:
        """Connect to ``127.0.0.1:port`` and complete the handshake.

        ``buffers``: the socket's kernel buffers (``SO_SNDBUF``, ``SO_RCVBUF``), small
        so that a test reaches the server's own limits quickly.
        """
        sock = socket.socket()
        if buffers is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffers)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffers)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        except BaseException:
            sock.close()
            raise
        peer = cls(*await asyncio.open_connection(sock=sock))
        while True:
            try:
                peer._tls.do_handshake()
            except ssl.SSLWantReadError:
                peer._flush()
                await peer._receive()
                continue
            peer._flush()
            return peer

    @property
    def unsent(self) -> int:
        """Bytes written that the kernel has not taken (the server does not read)."""
        return self._writer.transport.get_write_buffer_size()

    @property
    def application_records(self) -> int:
        """How many application-data records have arrived."""
        return self.records.count(APPLICATION_DATA)

    def arrives_while_the_loop_is_held(self, within: float) -> bool:
        """Whether bytes from the server reach the socket within ``within`` seconds.

        Waits blocking, so this process's loop (and a server in it) does not run
        meanwhile: what arrives was written before the wait began.
        """
        sock = self._writer.transport.get_extra_info("socket")
        readable, _, _ = select.select([sock], [], [], within)
        return bool(readable)

    def send(self, data: bytes) -> None:
        """Encrypt and send ``data``."""
        self._tls.write(data)
        self._flush()

    async def read(self) -> bytes:
        """Return the next decrypted bytes; b"" once the server closed."""
        while True:
            try:
                return self._tls.read(65536)
            except ssl.SSLWantReadError:
                if self.eof:
                    return b""
                await self._receive()
            except ssl.SSLZeroReturnError, ssl.SSLEOFError:
                return b""  # closed, with or without close_notify

    def close(self) -> None:
        """Drop the TCP connection."""
        self._writer.close()

    async def wait_closed(self) -> None:
        """Drop the connection (unsent bytes too) and wait until the socket is released."""
        self._writer.transport.abort()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()

    def _flush(self) -> None:
        if pending := self._outgoing.read():
            self._writer.write(pending)

    async def _receive(self) -> None:
        try:
            async with asyncio.timeout(WAIT):
                data = await self._reader.read(65536)
        except ConnectionResetError:
            data = b""  # dropped (the listener aborts at its deadline)
        self._take(data)

    def take_while_the_loop_is_held(self, within: float) -> bool:
        """Take what reaches the socket within ``within`` seconds, the loop held.

        Reads the socket itself, blocking (what arrives was written before the wait
        began); False once nothing came.
        """
        sock = self._writer.transport.get_extra_info("socket")
        readable, _, _ = select.select([sock], [], [], within)
        if not readable:
            return False
        self._take(os.read(sock.fileno(), 65536))
        return True

    def decrypted(self) -> bytes:
        """Return what the records taken so far hold and was not read yet."""
        data = b""
        with contextlib.suppress(ssl.SSLWantReadError):
            while chunk := self._tls.read(65536):
                data += chunk
        return data

    def _take(self, data: bytes) -> None:
        if not data:
            self.eof = True
            self._incoming.write_eof()
            return
        self._raw += data
        while len(self._raw) >= 5:
            length = int.from_bytes(self._raw[3:5])
            if len(self._raw) < 5 + length:
                break
            self.records.append(self._raw[0])
            self._raw = self._raw[5 + length :]
        self._incoming.write(data)


class HttpPeer:
    """Raw HTTP/1.1 over TLS: write any bytes, read the answers one by one."""

    def __init__(self, tls: TlsPeer) -> None:
        """Speak over ``tls``."""
        self.tls = tls
        self._buffer = b""

    @classmethod
    async def connect(cls, port: int) -> HttpPeer:
        """Connect to the API on ``port``."""
        return cls(await TlsPeer.connect(port))

    def send(self, data: bytes) -> None:
        """Send raw bytes."""
        self.tls.send(data)

    async def closed(self) -> bool:
        """Whether the server closes the connection (nothing more comes)."""
        while not self._buffer:
            chunk = await self.tls.read()
            if not chunk:
                return True
            self._buffer += chunk
        return False

    async def answer(
        self, *, head_only: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        """Read one answer (``Content-Length`` framed): status, headers, body.

        ``head_only``: the answer to a HEAD request, whose body is not sent.
        """
        while b"\r\n\r\n" not in self._buffer:
            await self._more()
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        length = 0 if head_only else int(headers.get("content-length", "0"))
        while len(self._buffer) < length:
            await self._more()
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return int(status_line.split()[1]), headers, body

    async def json_answer(self) -> tuple[int, dict[str, str], Any]:
        """Read one answer with a JSON body."""
        status, headers, body = await self.answer()
        return status, headers, json.loads(body)

    async def _more(self) -> None:
        chunk = await self.tls.read()
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self._buffer += chunk


def request(
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """Build the bytes of one request to ``/api/v1{path}``."""
    lines = [f"{method} /api/v1{path} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
        lines.append("Content-Type: application/json")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


class WsPeer:
    """A WebSocket client over :class:`TlsPeer`, framed by wsproto's client side."""

    def __init__(self, tls: TlsPeer) -> None:
        """Speak over ``tls``."""
        self.tls = tls
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._events: list[Event] = []

    @classmethod
    async def upgrade(cls, tls: TlsPeer, token: str) -> WsPeer:
        """Open ``/api/v1/ws`` with ``token``; return once the server accepted."""
        peer = cls(tls)
        peer.tls.send(
            peer._ws.send(
                Request(
                    host="127.0.0.1",
                    target="/api/v1/ws",
                    extra_headers=[(b"authorization", f"Bearer {token}".encode())],
                )
            )
        )
        assert isinstance(await peer.event(), AcceptConnection)
        return peer

    def send(self, event: Event) -> None:
        """Send one event (a message, a ping, a close)."""
        self.tls.send(self._ws.send(event))

    def ping_frame(self, payload: bytes) -> bytes:
        """Return the bytes of one (masked) ping frame."""
        return self._ws.send(Ping(payload=payload))

    def send_json(self, message: Any) -> None:
        """Send one text message of JSON."""
        self.send(TextMessage(data=json.dumps(message)))

    async def event(self) -> Event:
        """Return the next event from the server (pings answered by the caller)."""
        while not self._events:
            data = await self.tls.read()
            self._ws.receive_data(data or None)
            self._events.extend(self._ws.events())
        return self._events.pop(0)

    async def message(self) -> dict[str, Any]:
        """Return the next JSON message (skipping pings and pongs)."""
        while True:
            event = await self.event()
            if isinstance(event, Ping | Pong):
                continue
            assert isinstance(event, Message), event
            assert event.message_finished
            data: dict[str, Any] = json.loads(event.data)
            return data

    def seqs_while_the_loop_is_held(self, count: int) -> list[int]:
        """Return the seqs of events that arrive with the loop held, until ``count`` did.

        Blocking (this process's loop, and a server in it, does not run meanwhile):
        what arrives was written before. Gives up once nothing more comes in WAIT.
        """
        seqs: list[int] = []
        while len(seqs) < count and self.tls.take_while_the_loop_is_held(WAIT):
            self._ws.receive_data(self.tls.decrypted())
            for event in self._ws.events():
                if isinstance(event, TextMessage):
                    message = json.loads(event.data)
                    if message["type"] == "event":
                        seqs.append(message["seq"])
        return seqs

    async def close_event(self) -> CloseConnection:
        """Read until the server's close frame."""
        while not isinstance(event := await self.event(), CloseConnection):
            pass
        return event

    def close(self) -> None:
        """Drop the connection."""
        self.tls.close()


class Peers:
    """Every raw peer a test opens, closed when it ends (whatever state they are in)."""

    def __init__(self, port: int) -> None:
        """Connect to the API on ``port``."""
        self._port = port
        self._open: list[TlsPeer] = []

    async def http(self) -> HttpPeer:
        """Open a raw HTTP peer."""
        peer = await HttpPeer.connect(self._port)
        self._open.append(peer.tls)
        return peer

    async def ws(self, token: str, *, buffers: int | None = None) -> WsPeer:
        """Open a WebSocket peer with ``token`` (``buffers``: see TlsPeer.connect)."""
        tls = await TlsPeer.connect(self._port, buffers=buffers)
        self._open.append(tls)
        return await WsPeer.upgrade(tls, token)

    async def close(self) -> None:
        """Close every peer."""
        for tls in self._open:
            await tls.wait_closed()
