"""SerialPort: device paths and socket:// URLs, reconnection with backoff, link state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
import random

import pytest
import serialx

from ezlock_edge.sim.noise import LineNoise
from ezlock_edge.sim.port import VirtualPort
from ezlock_edge.transport import SerialPort
from ezlock_edge.vocabulary.errors import DeviceDisconnected
from ezlock_edge.vocabulary.link import LinkState

WAIT = 3.0
"""Seconds a test waits for a state change (never a pass condition)."""


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
        async with asyncio.timeout(WAIT):
            return await self.states.get()

    async def received(self, size: int) -> bytes:
        """Return the next ``size`` bytes received."""
        data = b""
        async with asyncio.timeout(WAIT):
            while len(data) < size:
                data += await self.data.get()
        return data


@pytest.fixture
async def uart(tmp_path: Path) -> AsyncIterator[VirtualPort]:
    """Plug a pty standing for a USB-serial adapter."""
    port = VirtualPort(tmp_path / "ttyUSB0", LineNoise(random.Random(0)))
    port.plug()
    yield port
    port.unplug()


async def test_device_path_unplug_and_replug(uart: VirtualPort) -> None:
    """Bytes flow both ways; an unplugged adapter is reported and reopened when back."""
    received = asyncio.Queue[bytes]()
    uart.on_receive = received.put_nowait
    port = SerialPort(str(uart.path), 115200, name="mcu")
    recorder = Recorder(port)
    await port.start()
    try:
        assert await recorder.state() is LinkState.CONNECTED
        port.write(b"\xa5\x5a")
        async with asyncio.timeout(WAIT):
            assert await received.get() == b"\xa5\x5a"
        uart.write(b"hello")
        assert await recorder.received(5) == b"hello"
        uart.unplug()
        assert await recorder.state() is LinkState.DISCONNECTED
        assert port.state is LinkState.DISCONNECTED
        with pytest.raises(DeviceDisconnected, match=r"mcu: port .* is not open"):
            port.write(b"x")
        uart.plug()
        assert await recorder.state() is LinkState.CONNECTED
        uart.write(b"again")
        assert await recorder.received(5) == b"again"
    finally:
        await port.close()
    assert port.state is LinkState.DISCONNECTED


async def test_missing_device_is_opened_when_it_appears(tmp_path: Path) -> None:
    """A module not plugged in at start is not an error; it connects when plugged."""
    uart = VirtualPort(tmp_path / "ttyUSB1", LineNoise(random.Random(0)))
    port = SerialPort(str(uart.path), 57600, name="fingerprint")
    recorder = Recorder(port)
    await port.start()
    try:
        assert port.state is LinkState.DISCONNECTED
        uart.plug()
        assert await recorder.state() is LinkState.CONNECTED
    finally:
        await port.close()
        uart.unplug()


async def test_socket_url_reconnects(unused_tcp_port: int) -> None:
    """socket://host:port (ser2net) works, and a dropped connection is re-established."""
    connections = asyncio.Queue[asyncio.StreamWriter]()

    async def accept(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        connections.put_nowait(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", unused_tcp_port)
    port = SerialPort(f"socket://127.0.0.1:{unused_tcp_port}", 115200, name="face")
    recorder = Recorder(port)
    await port.start()
    try:
        assert await recorder.state() is LinkState.CONNECTED
        async with asyncio.timeout(WAIT):
            first = await connections.get()
        first.write(b"\xef\xaa")
        assert await recorder.received(2) == b"\xef\xaa"
        first.close()
        assert await recorder.state() is LinkState.DISCONNECTED
        assert await recorder.state() is LinkState.CONNECTED
        async with asyncio.timeout(WAIT):
            second = await connections.get()
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
