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

from ezlock_edge.clock import ManualClock
from ezlock_edge.devices.fingerprint import FingerprintDevice
from ezlock_edge.devices.models import FingerMatch
from ezlock_edge.framing.ef01 import (
    Ef01Packet,
    Instruction,
    SearchResult,
    decode_index_table,
    decode_u16,
)
from ezlock_edge.vocabulary.errors import (
    DeviceRejected,
    DuplicateTemplate,
    SlotOccupied,
)
from tests.support.waiting import eventually

from .peer_support import HexPeer, HexPeerFactory
from .sim_support import expand

H = "EF 01 FF FF FF FF"  # header, default address (chapter IV)
GEN_IMG = f"{H} 01 00 03 01 00 05"  # p. 17
IMG2TZ_1 = f"{H} 01 00 04 02 01 00 08"  # p. 19 GenChar, buffer 1
IMG2TZ_2 = f"{H} 01 00 04 02 02 00 09"
REG_MODEL = f"{H} 01 00 03 05 00 09"  # p. 19
SEARCH_ALL = f"{H} 01 00 08 04 01 00 00 00 32 00 40"  # p. 24: buffer 1, pages 0..49
READ_INDEX_0 = f"{H} 01 00 04 1F 00 00 24"  # p. 14, index page 0
READ_SYS_PARA = f"{H} 01 00 03 0F 00 13"  # p. 13
# p. 31: security level 3, pages 0..49, no key steps, one try (summed: 0071H).
AUTO_IDENTIFY = f"{H} 01 00 08 32 03 00 32 00 01 00 71"
CANCEL = f"{H} 01 00 03 30 00 34"  # p. 25
# p. 13: status, system id, library size (u16), security level, address (u32), packet
# size code, baud N. An R503 (200 pages, C8H) and a module of 1000 (03E8H, R307-style).
SYS_PARA_200 = f"{H} 07 00 13 00 0000 0000 00C8 0003 FFFFFFFF 0002 0006 04 E9"
SYS_PARA_1000 = f"{H} 07 00 13 00 0000 0000 03E8 0003 FFFFFFFF 0002 0006 05 0C"
STORE_7 = f"{H} 01 00 06 06 01 00 07 00 15"  # p. 21: buffer 1 into page 7
DELETE_7 = f"{H} 01 00 07 0C 00 07 00 01 00 1C"  # p. 22: page 7, one template
EMPTY = f"{H} 01 00 03 0D 00 11"  # p. 23
ACK_OK = f"{H} 07 00 03 00 00 0A"
ACK_NO_FINGER = f"{H} 07 00 03 02 00 0C"  # p. 17: 02H can't detect finger
FOUND_7 = f"{H} 07 00 07 00 00 07 00 8E 00 A3"  # p. 24: page 7, score 142
NOT_FOUND = f"{H} 07 00 07 09 00 00 00 00 00 17"  # p. 24: 09H, page and score 0
REFUSED = f"{H} 07 00 03 01 00 0B"  # 01H, no data: a package not received well
INDEX_EMPTY = f"{H} 07 00 23 00 (32 x 00) 00 2A"
INDEX_0_1_7 = f"{H} 07 00 23 00 83 (31 x 00) 00 AD"  # p. 14: T[0] bits 0, 1, 7
# Pages 0, 1, 7 and 150 (T[18] bit 6): a template beyond the lock's 50 pages.
INDEX_0_1_7_150 = f"{H} 07 00 23 00 83 (17 x 00) 40 (13 x 00) 00 ED"


@pytest.fixture
async def module(hex_peer: HexPeerFactory) -> HexPeer:
    return hex_peer("fingerprint")


@pytest.fixture
async def device(module: HexPeer) -> AsyncIterator[FingerprintDevice]:
    device = await FingerprintDevice.open(module.path)
    yield device
    await device.close()


@pytest.fixture
async def still_device(module: HexPeer) -> AsyncIterator[FingerprintDevice]:
    """Open a device on a clock that stands still: no wait of its runs out under load."""
    device = await FingerprintDevice.open(module.path, clock=ManualClock())
    yield device
    await device.close()


async def test_identify_with_one_auto_identify(
    module: HexPeer, device: FingerprintDevice
) -> None:
    # p. 31 AutoIdentify at the module's security level (ReadSysPara, p. 13: 3), pages
    # 0..49 (32H), key steps 0 (only the last acknowledge, p. 32), one try; the
    # acknowledge is step 03 "search" with the page and the score, or 09H.
    found = asyncio.create_task(device.identify(timeout=10))
    await module.answer(READ_SYS_PARA, SYS_PARA_200)
    await module.answer(AUTO_IDENTIFY, f"{H} 07 00 08 00 03 0007 008E 00 A7")
    assert await found == FingerMatch(slot=7, score=142)
    unknown = asyncio.create_task(device.identify(timeout=10))
    await module.answer(AUTO_IDENTIFY, f"{H} 07 00 08 09 03 0000 0000 00 1B")
    assert await unknown is None
    assert module.unread() == b""


async def test_identify_on_a_module_without_auto_identify(
    module: HexPeer, device: FingerprintDevice
) -> None:
    # An instruction the module does not have is answered 01H (an R30x's manual), as
    # is a package damaged on the way (p. 10): sent once more, then, refused again,
    # GenImg polled until the finger is there (p. 17), Img2Tz (p. 19), Search (p. 24),
    # and from then on only that way.
    found = asyncio.create_task(device.identify(timeout=10))
    await module.answer(READ_SYS_PARA, SYS_PARA_1000)
    await module.answer(AUTO_IDENTIFY, REFUSED)
    await module.answer(AUTO_IDENTIFY, REFUSED)
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


async def test_a_damaged_auto_identify_is_sent_again(
    module: HexPeer, still_device: FingerprintDevice
) -> None:
    device = still_device
    # A module with AutoIdentify answers a command package that noise damaged with a
    # bare 01H ("error when receiving data package", p. 10): the same command goes once
    # more at once and decides; the module is not taken for one without it.
    found = asyncio.create_task(device.identify(timeout=10))
    await module.answer(READ_SYS_PARA, SYS_PARA_200)
    await module.answer(AUTO_IDENTIFY, REFUSED)
    await module.answer(AUTO_IDENTIFY, f"{H} 07 00 08 00 03 0007 008E 00 A7")
    assert await found == FingerMatch(slot=7, score=142)
    again = asyncio.create_task(device.identify(timeout=10))
    await module.answer(AUTO_IDENTIFY, f"{H} 07 00 08 09 03 0000 0000 00 1B")
    assert await again is None
    assert module.unread() == b""


async def test_an_unsupported_auto_identify_is_not_sent_again(
    module: HexPeer, still_device: FingerprintDevice
) -> None:
    device = still_device
    # FCH says the command is not supported, whatever noise does: the classic way at
    # once, and from then on.
    found = asyncio.create_task(device.identify(timeout=10))
    await module.answer(READ_SYS_PARA, SYS_PARA_1000)
    await module.answer(AUTO_IDENTIFY, f"{H} 07 00 03 FC 01 06")
    await module.answer(GEN_IMG, ACK_OK)
    await module.answer(IMG2TZ_1, ACK_OK)
    await module.answer(SEARCH_ALL, FOUND_7)
    assert await found == FingerMatch(slot=7, score=142)
    again = asyncio.create_task(device.identify(timeout=10))
    await module.answer(GEN_IMG, ACK_OK)
    await module.answer(IMG2TZ_1, ACK_OK)
    await module.answer(SEARCH_ALL, NOT_FOUND)
    assert await again is None


async def test_identify_when_auto_identify_is_not_answered(module: HexPeer) -> None:
    # No acknowledge within the second the driver waits (the command or its answer
    # lost, no finger captured): Cancel at once (p. 25: the only command a running
    # AutoIdentify hears; its acknowledge has no data, AutoIdentify's always has step,
    # page and score, p. 31, so a late one is not taken for it), then the classic way
    # within the same identify timeout, while a finger whose answer was lost rests on
    # the reader.
    clock = ManualClock()
    device = await FingerprintDevice.open(module.path, clock=clock)
    try:
        found = asyncio.create_task(device.identify(timeout=10))
        await module.answer(READ_SYS_PARA, SYS_PARA_200)
        await module.expect(AUTO_IDENTIFY)
        await eventually(lambda: bool(clock.pending()), "the wait for the answer")
        clock.advance(1.0)
        await module.answer(CANCEL, ACK_OK)
        await module.answer(GEN_IMG, ACK_OK)
        await module.answer(IMG2TZ_1, ACK_OK)
        await module.answer(SEARCH_ALL, FOUND_7)
        assert await found == FingerMatch(slot=7, score=142)
        # The module has AutoIdentify (it knew Cancel): the next finger is one again.
        again = asyncio.create_task(device.identify(timeout=10))
        await module.answer(AUTO_IDENTIFY, f"{H} 07 00 08 09 03 0000 0000 00 1B")
        assert await again is None
    finally:
        await device.close()


async def test_a_late_auto_identify_answer_is_not_cancels(module: HexPeer) -> None:
    # AutoIdentify's acknowledge comes after the driver gave up on it (a busy host),
    # just before Cancel's: Cancel takes its own (no data), and its OK says nothing
    # more is coming (the module answers in order): GenImg goes at once.
    clock = ManualClock()
    device = await FingerprintDevice.open(module.path, clock=clock)
    try:
        found = asyncio.create_task(device.identify(timeout=10))
        await module.answer(READ_SYS_PARA, SYS_PARA_200)
        await module.expect(AUTO_IDENTIFY)
        await eventually(lambda: bool(clock.pending()), "the wait for the answer")
        clock.advance(1.0)
        await module.expect(CANCEL)
        module.send(f"{H} 07 00 08 00 03 0007 008E 00 A7")  # AutoIdentify's, late
        module.send(ACK_OK)  # Cancel's
        await module.answer(GEN_IMG, ACK_OK)
        await module.answer(IMG2TZ_1, ACK_OK)
        await module.answer(SEARCH_ALL, FOUND_7)
        assert await found == FingerMatch(slot=7, score=142)
    finally:
        await device.close()


async def test_a_bare_refusal_of_cancel_lets_the_line_go_quiet(module: HexPeer) -> None:
    # 01H for Cancel may be AutoIdentify's late refusal (a module without either,
    # answering a busy host late), with Cancel's own 01H still to come: the next
    # command waits for a quiet second, which drops it (not GenImg's answer). It may
    # as well be Cancel's package damaged on the way (p. 10): the next finger is
    # an AutoIdentify again, whose own answer says whether the module has it.
    clock = ManualClock()
    device = await FingerprintDevice.open(module.path, clock=clock)
    stray = len(bytes.fromhex(REFUSED))
    try:
        found = asyncio.create_task(device.identify(timeout=10))
        await module.answer(READ_SYS_PARA, SYS_PARA_200)
        await module.expect(AUTO_IDENTIFY)
        await eventually(lambda: bool(clock.pending()), "the wait for the answer")
        clock.advance(1.0)
        await module.expect(CANCEL)
        _, received = device.traffic
        module.send(REFUSED)  # AutoIdentify's, late
        module.send(REFUSED)  # Cancel's own, dropped
        await eventually(lambda: device.traffic[1] == received + 2 * stray, "both")
        assert module.unread() == b""  # GenImg waits for the line to be quiet
        clock.advance(1.0)
        await module.answer(GEN_IMG, ACK_OK)
        await module.answer(IMG2TZ_1, ACK_OK)
        await module.answer(SEARCH_ALL, FOUND_7)
        assert await found == FingerMatch(slot=7, score=142)
        again = asyncio.create_task(device.identify(timeout=10))
        await module.answer(AUTO_IDENTIFY, f"{H} 07 00 08 09 03 0000 0000 00 1B")
        assert await again is None
    finally:
        await device.close()


async def test_identify_on_an_empty_library(
    module: HexPeer, device: FingerprintDevice
) -> None:
    # p. 37: AutoIdentify on an empty library is refused at once (24H, step 00): GenImg
    # then tells whether a finger is there at all (a finger nobody enrolled is no match).
    unknown = asyncio.create_task(device.identify(timeout=10))
    await module.answer(READ_SYS_PARA, SYS_PARA_200)
    await module.answer(AUTO_IDENTIFY, f"{H} 07 00 08 24 00 0000 0000 00 33")
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
    await module.expect(READ_SYS_PARA)
    module.send("55")
    module.send(SYS_PARA_200)
    await module.answer(AUTO_IDENTIFY, f"{H} 07 00 08 00 03 0007 008E 00 A7")
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
        await module.answer(f"{own} 01 00 03 0F 00 13", f"{own} 07 00 03 21 00 2B")
        await module.expect(f"{own} 01 00 07 13 11 22 33 44 00 C5")  # VfyPwd
        module.send(f"{H} 07 00 03 00 00 0A")  # another module's acknowledge: not ours
        module.send(f"{own} 07 00 03 00 00 0A")
        await module.answer(f"{own} 01 00 03 0F 00 13", f"{own} {SYS_PARA_200[18:]}")
        await module.answer(
            f"{own} {AUTO_IDENTIFY[18:]}", f"{own} 07 00 08 00 03 0007 008E 00 A7"
        )
        assert await found == FingerMatch(slot=7, score=142)
        # p. 11: 13H "wrong password".
        refused = asyncio.create_task(device.slots())
        await module.answer(f"{own} 01 00 03 0F 00 13", f"{own} 07 00 03 21 00 2B")
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
    # The whole library (ReadSysPara's size), not only the lock's pages 0..49.
    listed = asyncio.create_task(device.slots())
    await module.answer(READ_SYS_PARA, SYS_PARA_200)
    await module.answer(READ_INDEX_0, INDEX_0_1_7_150)
    assert await listed == {0, 1, 7, 150}
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


async def test_a_library_of_four_index_pages(
    module: HexPeer, device: FingerprintDevice
) -> None:
    # p. 14 ReadIndexTable: index page 0 covers template pages 0..255, 1 256..511, 2
    # 512..767, 3 768..1023. A 1000-template library is read page by page: templates
    # in page 120 (T[15] bit 0 of index page 0) and 999 (T[28] bit 7 of index page 3).
    listed = asyncio.create_task(device.slots())
    await module.answer(READ_SYS_PARA, SYS_PARA_1000)
    await module.answer(READ_INDEX_0, f"{H} 07 00 23 00 (15 x 00) 01 (16 x 00) 00 2B")
    await module.answer(f"{H} 01 00 04 1F 01 00 25", INDEX_EMPTY)
    await module.answer(f"{H} 01 00 04 1F 02 00 26", INDEX_EMPTY)
    await module.answer(
        f"{H} 01 00 04 1F 03 00 27", f"{H} 07 00 23 00 (28 x 00) 80 (3 x 00) 00 AA"
    )
    assert await listed == {120, 999}
    assert module.unread() == b""


# Every instruction of the manual's instruction table (p. 9), as the driver's codec
# encodes it: the instruction, parameters in hex, and the command package after the
# header. Parameterless ones carry the checksum the manual prints; AuraLedConfig,
# AutoEnroll and AutoIdentify are the manual's own examples (pp. 28, 29, 32).
INSTRUCTIONS = [
    (Instruction.GEN_IMG, "", "01 00 03 01 00 05"),
    (Instruction.IMG2TZ, "01", "01 00 04 02 01 00 08"),
    (Instruction.MATCH, "", "01 00 03 03 00 07"),
    (Instruction.SEARCH, "01 0000 0032", "01 00 08 04 01 0000 0032 00 40"),
    (Instruction.REG_MODEL, "", "01 00 03 05 00 09"),
    (Instruction.STORE, "01 0007", "01 00 06 06 01 0007 00 15"),
    (Instruction.LOAD_CHAR, "02 0007", "01 00 06 07 02 0007 00 17"),
    (Instruction.UP_CHAR, "01", "01 00 04 08 01 00 0E"),
    (Instruction.DOWN_CHAR, "02", "01 00 04 09 02 00 10"),
    (Instruction.UP_IMAGE, "", "01 00 03 0A 00 0E"),
    (Instruction.DOWN_IMAGE, "", "01 00 03 0B 00 0F"),
    (Instruction.DELETE_CHAR, "0007 0001", "01 00 07 0C 0007 0001 00 1C"),
    (Instruction.EMPTY, "", "01 00 03 0D 00 11"),
    (Instruction.SET_SYS_PARA, "06 03", "01 00 05 0E 06 03 00 1D"),
    (Instruction.READ_SYS_PARA, "", "01 00 03 0F 00 13"),
    (Instruction.SET_PWD, "11223344", "01 00 07 12 11223344 00 C4"),
    (Instruction.VFY_PWD, "00000000", "01 00 07 13 00000000 00 1B"),
    (Instruction.GET_RANDOM_CODE, "", "01 00 03 14 00 18"),
    (Instruction.SET_ADDRESS, "12345678", "01 00 07 15 12345678 01 31"),
    (Instruction.READ_INF_PAGE, "", "01 00 03 16 00 1A"),
    (
        Instruction.WRITE_NOTEPAD,
        "00" + "01" * 32,
        "01 00 24 18 00" + " 01" * 32 + " 00 5D",
    ),
    (Instruction.READ_NOTEPAD, "00", "01 00 04 19 00 00 1E"),
    (Instruction.TEMPLATE_NUM, "", "01 00 03 1D 00 21"),
    (Instruction.READ_INDEX_TABLE, "00", "01 00 04 1F 00 00 24"),
    (Instruction.GET_IMAGE_EX, "", "01 00 03 28 00 2C"),
    (Instruction.CANCEL, "", "01 00 03 30 00 34"),
    (Instruction.AUTO_ENROLL, "C8 00 01 01 01", "01 00 08 31 C8 00 01 01 01 01 05"),
    (Instruction.AUTO_IDENTIFY, "03 00 C8 01 01", "01 00 08 32 03 00 C8 01 01 01 08"),
    (Instruction.AURA_LED_CONFIG, "01 50 06 00", "01 00 07 35 01 50 06 00 00 94"),
    (Instruction.CHECK_SENSOR, "", "01 00 03 36 00 3A"),
    (Instruction.GET_ALG_VER, "", "01 00 03 39 00 3D"),
    (Instruction.GET_FW_VER, "", "01 00 03 3A 00 3E"),
    (Instruction.READ_PROD_INFO, "", "01 00 03 3C 00 40"),
    (Instruction.SOFT_RESET, "", "01 00 03 3D 00 41"),
    (Instruction.HANDSHAKE, "", "01 00 03 40 00 44"),
]


@pytest.mark.parametrize(
    ("instruction", "params", "package"),
    INSTRUCTIONS,
    ids=[row[0].name for row in INSTRUCTIONS],
)
def test_every_instruction_encodes_as_the_manual_prints_it(
    instruction: Instruction, params: str, package: str
) -> None:
    wire = bytes.fromhex(expand(f"{H} {package}"))
    encoded = Ef01Packet.command(instruction, bytes.fromhex(params)).encode()
    assert encoded.hex(" ") == wire.hex(" ")
    decoded = Ef01Packet.decode(wire)
    assert (decoded.instruction, decoded.body) == (instruction, bytes.fromhex(params))


def test_the_manual_covers_every_instruction_the_driver_knows() -> None:
    assert {row[0] for row in INSTRUCTIONS} == set(Instruction) - {
        Instruction.HIGH_SPEED_SEARCH  # R30x manuals only; answered as Search
    }


# Confirmation codes, pp. 9-10: an acknowledge carrying each decodes to its meaning.
CODES = {
    0x00: "OK", 0x01: "PACKET_ERROR", 0x02: "NO_FINGER", 0x03: "IMAGE_FAIL",
    0x06: "IMAGE_MESSY", 0x07: "FEATURE_FAIL", 0x08: "NO_MATCH", 0x09: "NOT_FOUND",
    0x0A: "ENROLL_MISMATCH", 0x0B: "BAD_LOCATION", 0x0C: "READ_TEMPLATE_FAIL",
    0x0D: "UPLOAD_TEMPLATE_FAIL", 0x0E: "RECEIVE_FAIL", 0x0F: "UPLOAD_IMAGE_FAIL",
    0x10: "DELETE_FAIL", 0x11: "CLEAR_FAIL", 0x13: "WRONG_PASSWORD", 0x15: "NO_IMAGE",
    0x18: "FLASH_ERROR", 0x19: "UNDEFINED_ERROR", 0x1A: "BAD_REGISTER",
    0x1B: "BAD_REGISTER_CONFIG", 0x1C: "BAD_NOTEPAD_PAGE", 0x1D: "PORT_FAIL",
    0x1F: "LIBRARY_FULL", 0x20: "BAD_ADDRESS", 0x21: "MUST_VERIFY_PASSWORD",
    0x22: "TEMPLATE_EMPTY", 0x24: "LIBRARY_EMPTY", 0x26: "TIMEOUT",
    0x27: "ALREADY_EXISTS", 0x28: "FEATURES_CORRELATED", 0x29: "SENSOR_ABNORMAL",
    0xFC: "UNSUPPORTED_COMMAND", 0xFD: "HARDWARE_ERROR", 0xFE: "EXECUTION_FAILURE",
}  # fmt: skip


def test_every_confirmation_code_of_the_manual_is_understood() -> None:
    for code, name in CODES.items():
        total = 0x07 + 0x03 + code
        ack = bytes.fromhex(
            f"{H} 07 00 03 {code:02X} {total >> 8:02X} {total & 0xFF:02X}"
        )
        assert Ef01Packet.decode(ack).code.name == name


def test_acknowledge_data_decodes_into_its_meaning() -> None:
    def body(text: str) -> bytes:
        return Ef01Packet.decode(bytes.fromhex(expand(text))).body

    assert SearchResult.decode(body(FOUND_7)) == SearchResult(page=7, score=142)
    assert SearchResult.decode(body(NOT_FOUND)) == SearchResult(page=0, score=0)
    # p. 13 TempleteNum: 3 templates; p. 14 ReadIndexTable: pages 0, 1 and 7.
    assert decode_u16(body(f"{H} 07 00 05 00 00 03 00 0F")) == 3
    assert decode_index_table(body(INDEX_0_1_7), 0) == {0, 1, 7}
    # p. 23 Match: score 150.
    assert decode_u16(body(f"{H} 07 00 05 00 00 96 00 A2")) == 150
