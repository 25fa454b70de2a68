"""The credential path with no lock in it: the processes and hops alone (``path_floor``).

``python -m benchmarks.skeleton simulator`` and ``... driver ...`` are the two child
processes of ``benchmarks/cases/path_floor.py``, which plays Home Assistant's part. Each
hop of a finger's way to Home Assistant is here, done by as little Python as does it,
and nothing else (no parsing, no decisions, no database):

1. the benchmark's HTTP request to the simulator (loopback TCP, keep-alive);
2. the simulator writes the MCU's event frame to a pty, the driver reads it;
3. a round trip to the fingerprint module on another pty (AutoIdentify's size);
4. one fsync of a WAL frame (a 24-byte header and a 4096-byte page) written in place;
5. a round trip to the MCU on its pty (UNLOCK and its answers);
6. a second WAL frame and fsync;
7. one WebSocket text message over TLS to the client process.

Each process prints one JSON line when it is ready and, on SIGTERM, writes the marks it
noted (``time.perf_counter_ns``, CLOCK_MONOTONIC, as ``benchmarks/trace.py``) to its
``--trace`` file.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections.abc import Callable
import hashlib
import json
import os
from pathlib import Path
import signal
import ssl
import sys
import tty

from . import trace

# The sizes of the real frames of a finger's unlock (docs/serial-protocol.md), near
# enough: at pty speed a few bytes more or less cost nothing measurable.
SENSOR_WAKE = 14  # the MCU's EVENT frame
MODULE_COMMAND = 19  # EF01 AutoIdentify
MODULE_ANSWER = 51  # its three answers (collected, features, found), one write
UNLOCK = 12  # the MCU REQUEST
UNLOCK_ANSWER = 36  # ACK, the bolt's report, the RESPONSE, one write
WS_MESSAGE = 300  # the "unlocked" event as JSON
WAL_FRAME = 24 + 4096
WAL_FRAMES = 1000  # SQLite's default autocheckpoint: the WAL is overwritten in place


def _raw_pty() -> tuple[int, str]:
    """Open a pty in raw mode (as a serial port is opened); its master and slave path.

    The slave stays open here too: a master whose slave is closed reads EIO.
    """
    master, slave = os.openpty()
    tty.setraw(slave)
    return master, os.ttyname(slave)


class _Reader:
    """Call ``done`` once ``size`` bytes came on ``fd`` (a pty read may be partial)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = b""

    def expect(self, size: int, done: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()

        def readable() -> None:
            self._buffer += os.read(self._fd, 4096)
            if len(self._buffer) >= size:
                self._buffer = self._buffer[size:]
                loop.remove_reader(self._fd)
                done()

        loop.add_reader(self._fd, readable)


async def _simulator() -> None:
    """Answer the press with an MCU event; answer the module's and the MCU's commands."""
    loop = asyncio.get_running_loop()
    mcu, mcu_path = _raw_pty()
    module, module_path = _raw_pty()
    mcu_reader, module_reader = _Reader(mcu), _Reader(module)

    def module_command() -> None:
        os.write(module, bytes(MODULE_ANSWER))
        module_reader.expect(MODULE_COMMAND, module_command)

    def unlock_request() -> None:
        os.write(mcu, bytes(UNLOCK_ANSWER))
        mcu_reader.expect(UNLOCK, unlock_request)

    module_reader.expect(MODULE_COMMAND, module_command)
    mcu_reader.expect(UNLOCK, unlock_request)

    class Http(asyncio.Protocol):
        """The simulator's control surface: a request in, the finger on the sensor."""

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            head, found, body = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                ),
                0,
            )
            if len(body) < length:
                return
            self.buffer = body[length:]
            trace.mark("sim_finger")
            os.write(mcu, bytes(SENSOR_WAKE))
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b'Content-Length: 12\r\n\r\n{"ok": true}'
            )

    server = await loop.create_server(Http, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _ready({"port": port, "mcu": mcu_path, "module": module_path})
    await _until_terminated()
    server.close()


async def _driver(mcu_path: str, module_path: str, cert: Path, data: Path) -> None:
    """Carry one finger from the MCU's event to the WebSocket client, hop by hop."""
    mcu = os.open(mcu_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    module = os.open(module_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    for fd in (mcu, module):
        tty.setraw(fd)
    wal = os.open(data / "skeleton.db-wal", os.O_RDWR | os.O_CREAT, 0o600)
    os.pwrite(wal, bytes(WAL_FRAME * WAL_FRAMES), 0)  # the WAL as it is once grown
    os.fsync(wal)
    frames = 0
    mcu_reader, module_reader = _Reader(mcu), _Reader(module)
    clients: list[asyncio.StreamWriter] = []
    message = bytes([0x81, 126]) + WS_MESSAGE.to_bytes(2) + b"x" * WS_MESSAGE

    def durable() -> None:
        nonlocal frames
        os.pwrite(wal, bytes(WAL_FRAME), WAL_FRAME * (frames % WAL_FRAMES))
        os.fsync(wal)
        frames += 1

    def woken() -> None:
        trace.mark("skeleton_event")
        os.write(module, bytes(MODULE_COMMAND))
        module_reader.expect(MODULE_ANSWER, identified)

    def identified() -> None:
        trace.mark("skeleton_identified")
        durable()
        trace.mark("skeleton_synced")
        os.write(mcu, bytes(UNLOCK))
        mcu_reader.expect(UNLOCK_ANSWER, unlocked)

    def unlocked() -> None:
        trace.mark("skeleton_unlocked")
        durable()
        trace.mark("skeleton_committed")
        for client in clients:
            client.write(message)
        mcu_reader.expect(SENSOR_WAKE, woken)

    mcu_reader.expect(SENSOR_WAKE, woken)

    async def accept(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        key = next(
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
            + websocket_accept(key)
            + b"\r\n\r\n"
        )
        clients.append(writer)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, cert.with_suffix(".key"))
    server = await asyncio.start_server(accept, "127.0.0.1", 0, ssl=context)
    _ready({"port": server.sockets[0].getsockname()[1]})
    await _until_terminated()
    server.close()


def websocket_accept(key: bytes) -> bytes:
    """Return the ``Sec-WebSocket-Accept`` that answers ``key`` (RFC 6455, 4.2.2)."""
    magic = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    return base64.b64encode(hashlib.sha1(key + magic, usedforsecurity=False).digest())


def _ready(what: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(what) + "\n")
    sys.stdout.flush()


async def _until_terminated() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


def main() -> None:
    """Parse the arguments and run one of the two processes until SIGTERM."""
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["simulator", "driver"])
    parser.add_argument("--trace", type=Path, required=True)
    parser.add_argument("--mcu")
    parser.add_argument("--module")
    parser.add_argument("--cert", type=Path, help="PEM; its key beside it, .key")
    parser.add_argument("--data", type=Path, help="the driver's WAL goes here")
    args = parser.parse_args()
    if args.role == "simulator":
        asyncio.run(_simulator())
    else:
        asyncio.run(_driver(args.mcu, args.module, args.cert, args.data))
    trace.save(args.trace)


if __name__ == "__main__":
    main()
