"""The simulator's UARTs: real ptys the driver opens with serialx, noise, unplug/replug."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
import random

import pytest
import serialx

from ezlock_edge.sim.noise import LineNoise
from ezlock_edge.sim.port import VirtualPort
from tests.support.waiting import WAIT


@pytest.fixture
async def port(tmp_path: Path) -> AsyncIterator[VirtualPort]:
    port = VirtualPort(tmp_path / "mcu", LineNoise(random.Random(7)))
    port.plug()
    yield port
    port.unplug()


async def _open(path: Path) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await serialx.open_serial_connection(str(path), baudrate=115200)


async def test_bytes_cross_the_pty_both_ways(port: VirtualPort) -> None:
    received = asyncio.Queue[bytes]()
    port.on_receive = received.put_nowait
    reader, writer = await _open(port.path)
    writer.write(b"\xa5\x5a\x00\x01")
    await writer.drain()
    port.write(b"\xef\x01\xff")
    assert await asyncio.wait_for(reader.readexactly(3), WAIT) == b"\xef\x01\xff"
    data = b""
    async with asyncio.timeout(WAIT):
        while data != b"\xa5\x5a\x00\x01":
            data += await received.get()
    writer.close()


async def test_unplug_fails_the_open_port_and_replug_keeps_the_path(
    port: VirtualPort,
) -> None:
    """A USB adapter pulled out: reads fail, the path vanishes, then comes back."""
    path = port.path
    reader, writer = await _open(path)
    port.unplug()
    assert not port.plugged
    assert not path.exists()
    with pytest.raises(OSError) as failed:
        await asyncio.wait_for(reader.read(10), WAIT)
    assert not isinstance(failed.value, TimeoutError)  # an OSError too: it failed
    writer.close()
    with pytest.raises(OSError):
        await _open(path)

    port.plug()
    assert port.path == path
    assert path.exists()
    reader, writer = await _open(path)
    port.write(b"back")
    assert await asyncio.wait_for(reader.readexactly(4), WAIT) == b"back"
    writer.close()


async def test_a_driver_that_does_not_read_never_blocks_the_simulator(
    port: VirtualPort,
) -> None:
    for _ in range(100):
        port.write(bytes(4096))  # 400 KiB into a pty nobody reads
    reader, writer = await _open(port.path)  # opening flushes stale input
    port.write(b"fresh")
    data = b""
    async with asyncio.timeout(WAIT):
        while not data.endswith(b"fresh"):
            data += await reader.read(65536)
    writer.close()


def test_noise_damages_about_the_chosen_share_of_bytes() -> None:
    noise = LineNoise(random.Random(1))
    data = bytes(range(256)) * 40
    assert noise.apply(data) == data  # rate 0: a clean line
    noise.rate = 0.2
    damaged = noise.apply(data)
    assert damaged != data
    stats = noise.stats
    assert 0.15 * len(data) < stats.total < 0.25 * len(data)
    assert stats.flipped and stats.dropped and stats.duplicated
    assert len(damaged) == len(data) - stats.dropped + stats.duplicated


def test_noise_is_reproducible_from_its_seed() -> None:
    first, second = LineNoise(random.Random(3)), LineNoise(random.Random(3))
    first.rate = second.rate = 0.3
    assert first.apply(b"x" * 500) == second.apply(b"x" * 500)


def test_noise_rate_outside_0_1_is_refused() -> None:
    with pytest.raises(ValueError):
        LineNoise(random.Random()).rate = 1.5
