"""SerialPort: device paths and socket:// URLs, reconnection with backoff, link state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import fcntl
import os
from pathlib import Path
import random

import pytest
import serialx

from ezlock_edge.clock import ManualClock
from ezlock_edge.sim.noise import LineNoise
from ezlock_edge.sim.port import VirtualPort
from ezlock_edge.transport import READ_SIZE, SerialPort
from ezlock_edge.vocabulary.errors import DeviceDisconnected
from ezlock_edge.vocabulary.link import LinkState
from tests.support.waiting import eventually, settled


class Recorder:
    """A port's received bytes and state changes."""

    def __init__(self, port: SerialPort) -> None:
        """Listen to ``port``."""
        self.data = asyncio.Queue[bytes]()
        self.states = asyncio.Queue[LinkState]()
        port.set_receiver(self.data.put_nowait)
        port.add_state_listener(self.states.put_nowait)

    async def state(self) -> LinkState:
        """Return the next state change."""
        return await settled(self.states.get(), "a state change")

    async def received(self, size: int) -> bytes:
        """Return the next ``size`` bytes received."""
        data = b""
        while len(data) < size:
            data += await settled(self.data.get(), f"{size} bytes")
        return data


async def reopen_wait(clock: ManualClock) -> float:
    """Return how long the port waits before its next attempt to reopen."""

    def waiting() -> bool:
        return len(clock.pending()) == 1

    await eventually(waiting, "the port waiting to reopen")
    [delay] = clock.pending()
    return delay


@pytest.fixture
async def uart(tmp_path: Path) -> AsyncIterator[VirtualPort]:
    """Plug a pty standing for a USB-serial adapter."""
    port = VirtualPort(tmp_path / "ttyUSB0", LineNoise(random.Random(0)))
    port.plug()
    yield port
    port.unplug()


async def test_device_path_unplug_and_replug(
    uart: VirtualPort, clock: ManualClock
) -> None:
    """Bytes flow both ways; an unplugged adapter is reported and reopened when back."""
    received = asyncio.Queue[bytes]()
    uart.on_receive = received.put_nowait
    port = SerialPort(str(uart.path), 115200, name="mcu", clock=clock)
    recorder = Recorder(port)
    await port.start()
    try:
        assert await recorder.state() is LinkState.CONNECTED
        port.write(b"\xa5\x5a")
        assert await settled(received.get(), "the bytes written") == b"\xa5\x5a"
        uart.write(b"hello")
        assert await recorder.received(5) == b"hello"
        uart.unplug()
        assert await recorder.state() is LinkState.DISCONNECTED
        assert port.state is LinkState.DISCONNECTED
        with pytest.raises(DeviceDisconnected, match=r"mcu: port .* is not open"):
            port.write(b"x")
        uart.plug()
        clock.advance(await reopen_wait(clock))
        assert await recorder.state() is LinkState.CONNECTED
        uart.write(b"again")
        assert await recorder.received(5) == b"again"
    finally:
        await port.close()
    assert port.state is LinkState.DISCONNECTED


async def test_a_device_is_read_a_few_kilobytes_at_a_time(
    uart: VirtualPort, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each read asks for READ_SIZE bytes, not serialx's 256 KiB (an mmap per read)."""
    asked: list[int] = []
    read = os.read

    def spy(fd: int, size: int) -> bytes:
        data = read(fd, size)
        if data == b"frame":  # the port's read, not another descriptor's
            asked.append(size)
        return data

    port = SerialPort(str(uart.path), 115200, name="mcu", clock=clock)
    recorder = Recorder(port)
    await port.start()
    try:
        assert await recorder.state() is LinkState.CONNECTED
        monkeypatch.setattr(os, "read", spy)
        uart.write(b"frame")
        assert await recorder.received(5) == b"frame"
    finally:
        await port.close()
    assert asked == [READ_SIZE]


async def test_a_closed_port_is_free_at_once(
    uart: VirtualPort, clock: ManualClock
) -> None:
    """Once close() returns, the device is closed: another opener finds it free.

    serialx takes an exclusive lock on the device and closes it in a task of its own;
    a driver restarted in the same process (or another program) must not find the
    port still taken.
    """
    port = SerialPort(str(uart.path), 115200, name="face", clock=clock)
    await port.start()
    await port.close()
    descriptor = os.open(uart.path, os.O_RDWR | os.O_NOCTTY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as serialx locks it
    finally:
        os.close(descriptor)


async def test_missing_device_is_opened_when_it_appears(
    tmp_path: Path, clock: ManualClock
) -> None:
    """A module not plugged in at start is not an error; it connects when plugged.

    Attempts back off: 0.05 s after the first, doubling up to 2 s between two.
    """
    uart = VirtualPort(tmp_path / "ttyUSB1", LineNoise(random.Random(0)))
    port = SerialPort(str(uart.path), 57600, name="fingerprint", clock=clock)
    recorder = Recorder(port)
    await port.start()
    try:
        assert port.state is LinkState.DISCONNECTED
        waits = []
        for _ in range(8):
            waits.append(await reopen_wait(clock))
            clock.advance(waits[-1])
        assert waits == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0])
        wait = await reopen_wait(clock)
        uart.plug()
        clock.advance(wait)
        assert await recorder.state() is LinkState.CONNECTED
    finally:
        await port.close()
        uart.unplug()


async def test_socket_url_reconnects(unused_tcp_port: int, clock: ManualClock) -> None:
    """socket://host:port (ser2net) works, and a dropped connection is re-established."""
    connections = asyncio.Queue[asyncio.StreamWriter]()

    async def accept(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        connections.put_nowait(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", unused_tcp_port)
    url = f"socket://127.0.0.1:{unused_tcp_port}"
    port = SerialPort(url, 115200, name="face", clock=clock)
    recorder = Recorder(port)
    await port.start()
    try:
        assert await recorder.state() is LinkState.CONNECTED
        first = await settled(connections.get(), "the first connection")
        first.write(b"\xef\xaa")
        assert await recorder.received(2) == b"\xef\xaa"
        first.close()
        assert await recorder.state() is LinkState.DISCONNECTED
        clock.advance(await reopen_wait(clock))
        assert await recorder.state() is LinkState.CONNECTED
        second = await settled(connections.get(), "the second connection")
        second.write(b"ok")
        assert await recorder.received(2) == b"ok"
        second.close()
    finally:
        await port.close()
        server.close()


async def test_unknown_url_scheme_fails_at_start() -> None:
    """A URL no serial backend understands is a configuration error, not a retry loop."""
    port = SerialPort("nonsense://device", 115200, name="palm")
    with pytest.raises(serialx.SerialException):
        await port.start()
