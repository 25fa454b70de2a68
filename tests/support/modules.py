"""Another host at the lock's biometric modules, while no edge driver holds their ports.

A module set up elsewhere (or emptied elsewhere) is what the lock's template check is
for. These helpers do it the way that other host would: the modules' documented
commands over the simulated UART, framed here by hand (R503 manual chapter IV: the
checksum is the 16-bit sum of the package identifier, the length and the contents; the
FM22x host protocol: the XOR of the bytes after the sync word), not by the driver's or
the simulator's codecs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING

import serialx

from .waiting import WAIT

if TYPE_CHECKING:
    from ezlock_edge.sim.lock import SimulatedLock

_EF01 = bytes.fromhex("EF01FFFFFFFF")  # the R503's header at its default address
_ACK_OK = _EF01 + bytes.fromhex("07 0003 00 000A")


def _ef01_command(instruction: int, params: bytes = b"") -> bytes:
    body = bytes((instruction,)) + params
    length = len(body) + 2
    head = bytes((0x01, length >> 8, length & 0xFF))
    total = sum(head) + sum(body)
    return _EF01 + head + body + bytes((total >> 8 & 0xFF, total & 0xFF))


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> bytes:
    writer.write(request)
    await writer.drain()
    async with asyncio.timeout(WAIT):
        return await reader.readexactly(len(_ACK_OK))


async def store_finger_elsewhere(
    sim: SimulatedLock, finger: str, pages: Iterable[int]
) -> None:
    """Enroll ``finger`` into each of ``pages`` of the fingerprint module (R503).

    GenImg and GenChar twice, RegModel, then Store into every page: the module holds
    templates the lock never stored.
    """
    reader, writer = await serialx.open_serial_connection(
        str(sim.ports["fingerprint"]), baudrate=57600
    )
    try:
        for buffer in (1, 2):
            await sim.finger(finger)
            assert await _exchange(reader, writer, _ef01_command(0x01)) == _ACK_OK
            request = _ef01_command(0x02, bytes((buffer,)))
            assert await _exchange(reader, writer, request) == _ACK_OK
        assert await _exchange(reader, writer, _ef01_command(0x05)) == _ACK_OK
        for page in pages:
            request = _ef01_command(0x06, bytes((1, page >> 8, page & 0xFF)))
            assert await _exchange(reader, writer, request) == _ACK_OK
    finally:
        writer.close()
        await writer.wait_closed()  # the port is free again (serialx locks it)


async def empty_module_elsewhere(sim: SimulatedLock, link: str) -> None:
    """Delete every template of the face or palm module (FM22x DELALL, 21H)."""
    reader, writer = await serialx.open_serial_connection(
        str(sim.ports[link]), baudrate=115200
    )
    try:
        writer.write(bytes.fromhex("EFAA 21 0000 21"))
        await writer.drain()
        async with asyncio.timeout(WAIT):
            # REPLY (00), length 2, DELALL SUCCESS, parity.
            assert await reader.readexactly(8) == bytes.fromhex("EFAA 00 0002 2100 23")
    finally:
        writer.close()
        await writer.wait_closed()  # the port is free again (serialx locks it)


async def empty_fingerprints_elsewhere(sim: SimulatedLock) -> None:
    """Delete every template of the fingerprint module (R503 Empty, 0DH)."""
    reader, writer = await serialx.open_serial_connection(
        str(sim.ports["fingerprint"]), baudrate=57600
    )
    try:
        assert await _exchange(reader, writer, _ef01_command(0x0D)) == _ACK_OK
    finally:
        writer.close()
        await writer.wait_closed()  # the port is free again (serialx locks it)
