"""The fingerprint driver against the R503 manual's bytes, with no simulator in between.

A test plays the module on a pty as literal bytes (``HexPeer``): each request the driver
sends must be the manual's command package byte for byte, and each documented
acknowledge the test answers with must come out of the driver as its typed meaning.
Vectors: "R503/R503-M22 Fingerprint Module User Manual" (Hangzhou Grow, V1.4.1; page
numbers are the manual's) and the worked examples of docs/serial-protocol.md. The
manual prints the checksum of every parameterless command (GenImg 0005H, RegModel 0009H,
Empty 0011H, ...); those are copied, the others summed as chapter IV says.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ezlock_edge.devices.fingerprint import FingerprintDevice
from ezlock_edge.devices.models import FingerMatch
from ezlock_edge.vocabulary.errors import (
    DeviceRejected,
    DuplicateTemplate,
    SlotOccupied,
)

from .peer_support import HexPeer, HexPeerFactory

H = "EF 01 FF FF FF FF"  # header, default address (chapter IV)
GEN_IMG = f"{H} 01 00 03 01 00 05"  # p. 17
IMG2TZ_1 = f"{H} 01 00 04 02 01 00 08"  # p. 19 GenChar, buffer 1
IMG2TZ_2 = f"{H} 01 00 04 02 02 00 09"
REG_MODEL = f"{H} 01 00 03 05 00 09"  # p. 19
SEARCH_ALL = f"{H} 01 00 08 04 01 00 00 00 32 00 40"  # p. 24: buffer 1, pages 0..49
READ_INDEX_0 = f"{H} 01 00 04 1F 00 00 24"  # p. 14, index page 0
STORE_7 = f"{H} 01 00 06 06 01 00 07 00 15"  # p. 21: buffer 1 into page 7
DELETE_7 = f"{H} 01 00 07 0C 00 07 00 01 00 1C"  # p. 22: page 7, one template
EMPTY = f"{H} 01 00 03 0D 00 11"  # p. 23
ACK_OK = f"{H} 07 00 03 00 00 0A"
ACK_NO_FINGER = f"{H} 07 00 03 02 00 0C"  # p. 17: 02H can't detect finger
FOUND_7 = f"{H} 07 00 07 00 00 07 00 8E 00 A3"  # p. 24: page 7, score 142
NOT_FOUND = f"{H} 07 00 07 09 00 00 00 00 00 17"  # p. 24: 09H, page and score 0
INDEX_EMPTY = f"{H} 07 00 23 00 (32 x 00) 00 2A"
INDEX_0_1_7 = f"{H} 07 00 23 00 83 (31 x 00) 00 AD"  # p. 14: T[0] bits 0, 1, 7


@pytest.fixture
async def module(hex_peer: HexPeerFactory) -> HexPeer:
    return hex_peer("fingerprint")


@pytest.fixture
async def device(module: HexPeer) -> AsyncIterator[FingerprintDevice]:
    device = await FingerprintDevice.open(module.path)
    yield device
    await device.close()


async def test_identify_a_known_and_an_unknown_finger(
    module: HexPeer, device: FingerprintDevice
) -> None:
    found = asyncio.create_task(device.identify(timeout=10))
    await module.answer(GEN_IMG, ACK_NO_FINGER)  # polled until the finger is there
    await module.answer(GEN_IMG, ACK_OK)
    await module.answer(IMG2TZ_1, ACK_OK)
    await module.answer(SEARCH_ALL, FOUND_7)
    assert await found == FingerMatch(slot=7, score=142)
    unknown = asyncio.create_task(device.identify(timeout=10))
    await module.answer(GEN_IMG, ACK_OK)
    await module.answer(IMG2TZ_1, ACK_OK)
    await module.answer(SEARCH_ALL, NOT_FOUND)
    assert await unknown is None


async def test_the_power_on_byte_is_not_a_package(
    module: HexPeer, device: FingerprintDevice
) -> None:
    # p. 4 "Power-on delay time": the module sends 55 when it is ready; the driver
    # reads on to the acknowledge after it.
    found = asyncio.create_task(device.identify(timeout=10))
    await module.expect(GEN_IMG)
    module.send("55")
    module.send(ACK_OK)
    await module.answer(IMG2TZ_1, ACK_OK)
    await module.answer(SEARCH_ALL, FOUND_7)
    assert await found == FingerMatch(slot=7, score=142)


async def test_a_module_with_its_own_address_and_password(module: HexPeer) -> None:
    # p. 6 "Module password": a module whose password is set answers 21H "have to
    # verify password" until VfyPwd (p. 11) succeeds. p. 12 SetAdder: every package
    # carries the module's address; the checksum does not cover it.
    device = await FingerprintDevice.open(
        module.path, address=0x12345678, password=0x11223344
    )
    try:
        own = "EF 01 12 34 56 78"
        found = asyncio.create_task(device.identify(timeout=10))
        await module.answer(f"{own} 01 00 03 01 00 05", f"{own} 07 00 03 21 00 2B")
        await module.expect(f"{own} 01 00 07 13 11 22 33 44 00 C5")  # VfyPwd
        module.send(f"{H} 07 00 03 00 00 0A")  # another module's acknowledge: not ours
        module.send(f"{own} 07 00 03 00 00 0A")
        await module.answer(f"{own} 01 00 03 01 00 05", f"{own} 07 00 03 00 00 0A")
        await module.answer(f"{own} 01 00 04 02 01 00 08", f"{own} 07 00 03 00 00 0A")
        await module.answer(
            f"{own} 01 00 08 04 01 00 00 00 32 00 40", f"{own} {FOUND_7[18:]}"
        )
        assert await found == FingerMatch(slot=7, score=142)
        # p. 11: 13H "wrong password".
        refused = asyncio.create_task(device.slots())
        await module.answer(f"{own} 01 00 04 1F 00 00 24", f"{own} 07 00 03 21 00 2B")
        await module.answer(
            f"{own} 01 00 07 13 11 22 33 44 00 C5", f"{own} 07 00 03 13 00 1D"
        )
        with pytest.raises(DeviceRejected, match="password"):
            await refused
    finally:
        await device.close()


async def _captures(module: HexPeer) -> None:
    for img2tz in (IMG2TZ_1, IMG2TZ_2):
        await module.answer(GEN_IMG, ACK_OK)
        await module.answer(img2tz, ACK_OK)


async def test_enroll_into_a_free_page(
    module: HexPeer, device: FingerprintDevice
) -> None:
    steps: list[tuple[int, int]] = []

    async def progress(step: int, total: int) -> None:
        steps.append((step, total))

    enrolled = asyncio.create_task(device.enroll(7, 2, progress))
    await _captures(module)
    await module.answer(REG_MODEL, ACK_OK)
    await module.answer(SEARCH_ALL, NOT_FOUND)  # not enrolled yet (L-24)
    await module.answer(READ_INDEX_0, INDEX_EMPTY)  # page 7 is free
    await module.answer(STORE_7, ACK_OK)
    await enrolled
    assert steps == [(1, 2), (2, 2)]


async def test_enroll_refuses_a_duplicate_a_taken_page_and_two_fingers(
    module: HexPeer, device: FingerprintDevice
) -> None:
    duplicate = asyncio.create_task(device.enroll(9, 2))
    await _captures(module)
    await module.answer(REG_MODEL, ACK_OK)
    await module.answer(SEARCH_ALL, FOUND_7)
    with pytest.raises(DuplicateTemplate) as caught:
        await duplicate
    assert caught.value.existing_slot == 7
    # Page 7 holds a template another host stored: never overwritten (no Store sent).
    taken = asyncio.create_task(device.enroll(7, 2))
    await _captures(module)
    await module.answer(REG_MODEL, ACK_OK)
    await module.answer(SEARCH_ALL, NOT_FOUND)
    await module.answer(READ_INDEX_0, INDEX_0_1_7)
    with pytest.raises(SlotOccupied):
        await taken
    # p. 19 RegModel: 0AH "the character files don't belong to one finger".
    mixed = asyncio.create_task(device.enroll(7, 2))
    await _captures(module)
    await module.answer(REG_MODEL, f"{H} 07 00 03 0A 00 14")
    with pytest.raises(DeviceRejected, match="same finger"):
        await mixed
    assert module.unread() == b""


async def test_delete_list_and_empty(
    module: HexPeer, device: FingerprintDevice
) -> None:
    listed = asyncio.create_task(device.slots())
    await module.answer(READ_INDEX_0, INDEX_0_1_7)
    assert await listed == {0, 1, 7}
    deleted = asyncio.create_task(device.delete(7))
    await module.answer(DELETE_7, ACK_OK)
    await deleted
    failed = asyncio.create_task(device.delete(7))
    await module.answer(DELETE_7, f"{H} 07 00 03 10 00 1A")  # p. 22: 10H delete failed
    with pytest.raises(DeviceRejected, match="DELETE_FAIL"):
        await failed
    emptied = asyncio.create_task(device.delete_all())
    await module.answer(EMPTY, ACK_OK)
    await emptied
