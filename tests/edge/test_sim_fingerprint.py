"""The virtual fingerprint module over its pty, byte for byte through the EF01 codec."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.framing.ef01 import (
    ConfirmationCode,
    DeleteParams,
    Ef01Packet,
    Ef01Parser,
    Instruction,
    PacketId,
    SearchParams,
    SearchResult,
    StoreParams,
    decode_index_table,
    decode_u16,
    encode_u8,
)
from ezlock_edge.sim.fingerprint import LIBRARY_PAGES
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.sim.presence import FINGER_DWELL
from ezlock_edge.sim.templates import CAPACITY

from .sim_support import RawLink

ALL = SearchParams(buffer=1, start=0, count=CAPACITY).encode()


@pytest.fixture
async def lock(tmp_path: Path) -> AsyncIterator[SimulatedLock]:
    lock = SimulatedLock(seed=2, state_dir=tmp_path / "state")
    await lock.start()
    yield lock
    await lock.stop()


@pytest.fixture
async def module(lock: SimulatedLock) -> AsyncIterator[RawLink[Ef01Packet]]:
    link = await RawLink.open(lock.ports["fingerprint"], Ef01Parser())
    yield link
    link.close()


async def command(
    link: RawLink[Ef01Packet], instruction: Instruction, params: bytes = b""
) -> Ef01Packet:
    """Send one command packet and return the module's ACK packet."""
    await link.send(Ef01Packet.command(instruction, params).encode())
    ack = await link.frame()
    assert ack.pid is PacketId.ACK
    return ack


async def capture(
    lock: SimulatedLock, link: RawLink[Ef01Packet], finger: str, buffer: int
) -> None:
    """Lay ``finger`` on the reader once and extract it into ``buffer``."""
    await lock.finger(finger)
    assert (await command(link, Instruction.GEN_IMG)).code is ConfirmationCode.OK
    ack = await command(link, Instruction.IMG2TZ, encode_u8(buffer))
    assert ack.code is ConfirmationCode.OK


async def enroll(
    lock: SimulatedLock, link: RawLink[Ef01Packet], finger: str, page: int
) -> None:
    """Four presentations, merge, store in ``page``."""
    for buffer in range(1, 5):
        await capture(lock, link, finger, buffer)
    assert (await command(link, Instruction.REG_MODEL)).code is ConfirmationCode.OK
    store = StoreParams(buffer=1, page=page).encode()
    assert (await command(link, Instruction.STORE, store)).code is ConfirmationCode.OK


async def test_no_finger_until_one_is_laid_on_the_reader(
    lock: SimulatedLock, module: RawLink[Ef01Packet]
) -> None:
    assert (await command(module, Instruction.GEN_IMG)).code is (
        ConfirmationCode.NO_FINGER
    )
    assert (await command(module, Instruction.IMG2TZ, encode_u8(1))).code is (
        ConfirmationCode.NO_IMAGE  # nothing captured yet (manual: 15H)
    )
    await lock.finger("alice-left-thumb")
    assert (await command(module, Instruction.GEN_IMG)).code is ConfirmationCode.OK
    # One presentation is one capture: the finger has been lifted.
    assert (await command(module, Instruction.GEN_IMG)).code is (
        ConfirmationCode.NO_FINGER
    )
    # Two quick presentations are two captures, in order.
    await lock.finger("alice-left-thumb")
    await lock.finger("alice-left-thumb")
    codes = [(await command(module, Instruction.GEN_IMG)).code for _ in range(3)]
    assert codes == [
        ConfirmationCode.OK,
        ConfirmationCode.OK,
        ConfirmationCode.NO_FINGER,
    ]


async def test_a_finger_not_captured_in_time_is_gone(
    clock: ManualClock, tmp_path: Path
) -> None:
    """A finger rests FINGER_DWELL seconds of the lock's time, then it is gone."""
    lock = SimulatedLock(clock=clock, state_dir=tmp_path)
    await lock.start()
    link = await RawLink.open(lock.ports["fingerprint"], Ef01Parser())
    try:
        await lock.finger("alice-left-thumb")
        await lock.finger("alice-left-thumb")
        clock.advance(FINGER_DWELL)
        assert (await command(link, Instruction.GEN_IMG)).code is ConfirmationCode.OK
        clock.advance(0.001)  # longer than the dwell: the person walked away
        assert (await command(link, Instruction.GEN_IMG)).code is (
            ConfirmationCode.NO_FINGER
        )
    finally:
        link.close()
        await lock.stop()


async def test_enrolled_finger_is_found_and_others_never_match(
    lock: SimulatedLock, module: RawLink[Ef01Packet]
) -> None:
    """L-09: several captures, 1:N search with slot and score; unknown never matches."""
    await enroll(lock, module, "alice-left-thumb", page=3)
    count = await command(module, Instruction.TEMPLATE_NUM)
    assert decode_u16(count.body) == 1
    index = await command(module, Instruction.READ_INDEX_TABLE, encode_u8(0))
    assert decode_index_table(index.body, 0) == {3}

    await capture(lock, module, "alice-left-thumb", 1)
    hit = await command(module, Instruction.SEARCH, ALL)
    assert hit.code is ConfirmationCode.OK
    result = SearchResult.decode(hit.body)
    assert result.page == 3
    assert result.score > 50

    await capture(lock, module, "alice-right-index", 1)
    miss = await command(module, Instruction.SEARCH, ALL)
    assert miss.code is ConfirmationCode.NOT_FOUND

    outside = SearchParams(buffer=1, start=4, count=10).encode()
    await capture(lock, module, "alice-left-thumb", 1)
    assert (await command(module, Instruction.SEARCH, outside)).code is (
        ConfirmationCode.NOT_FOUND
    )


async def test_merging_captures_of_different_fingers_fails(
    lock: SimulatedLock, module: RawLink[Ef01Packet]
) -> None:
    await capture(lock, module, "alice-left-thumb", 1)
    await capture(lock, module, "bob-left-thumb", 2)
    assert (await command(module, Instruction.REG_MODEL)).code is (
        ConfirmationCode.ENROLL_MISMATCH
    )


async def test_a_finger_already_enrolled_is_found_at_the_first_capture(
    lock: SimulatedLock, module: RawLink[Ef01Packet]
) -> None:
    """L-24: the duplicate check the driver runs before enrolling finds the slot."""
    await enroll(lock, module, "alice-left-thumb", page=0)
    await capture(lock, module, "alice-left-thumb", 1)
    hit = await command(module, Instruction.SEARCH, ALL)
    assert SearchResult.decode(hit.body).page == 0


async def test_delete_and_empty(
    lock: SimulatedLock, module: RawLink[Ef01Packet]
) -> None:
    await enroll(lock, module, "alice-left-thumb", page=0)
    await enroll(lock, module, "bob-left-thumb", page=1)
    delete = DeleteParams(page=0, count=1).encode()
    assert (await command(module, Instruction.DELETE_CHAR, delete)).code is (
        ConfirmationCode.OK
    )
    await capture(lock, module, "alice-left-thumb", 1)
    assert (await command(module, Instruction.SEARCH, ALL)).code is (
        ConfirmationCode.NOT_FOUND
    )
    assert (await command(module, Instruction.EMPTY)).code is ConfirmationCode.OK
    assert decode_u16((await command(module, Instruction.TEMPLATE_NUM)).body) == 0


async def test_200_pages_and_bad_commands(
    lock: SimulatedLock, module: RawLink[Ef01Packet]
) -> None:
    """An R503's 200 pages (the lock uses 50, L-22); bad input gets a clear code."""
    await capture(lock, module, "alice-left-thumb", 1)
    last = StoreParams(buffer=1, page=LIBRARY_PAGES - 1).encode()
    assert (await command(module, Instruction.STORE, last)).code is ConfirmationCode.OK
    beyond = StoreParams(buffer=1, page=LIBRARY_PAGES).encode()
    assert (await command(module, Instruction.STORE, beyond)).code is (
        ConfirmationCode.BAD_LOCATION
    )
    unknown = Ef01Packet(PacketId.COMMAND, b"\x77").encode()
    other_module = Ef01Packet(PacketId.COMMAND, b"\x1d", address=0x12345678).encode()
    await module.send(b"\x00\xef\x01" + other_module + unknown)
    assert (await module.frame()).code is ConfirmationCode.PACKET_ERROR
    truncated = await command(module, Instruction.STORE, b"\x01")
    assert truncated.code is ConfirmationCode.PACKET_ERROR
    assert decode_u16((await command(module, Instruction.TEMPLATE_NUM)).body) == 1


async def test_templates_survive_a_simulator_restart(tmp_path: Path) -> None:
    """A module keeps its templates in flash: a restarted simulator still matches."""
    first = SimulatedLock(state_dir=tmp_path)
    await first.start()
    link = await RawLink.open(first.ports["fingerprint"], Ef01Parser())
    await enroll(first, link, "alice-left-thumb", page=7)
    link.close()
    await first.stop()

    again = SimulatedLock(state_dir=tmp_path)
    await again.start()
    link = await RawLink.open(again.ports["fingerprint"], Ef01Parser())
    try:
        await capture(again, link, "alice-left-thumb", 1)
        hit = await command(link, Instruction.SEARCH, ALL)
        assert SearchResult.decode(hit.body).page == 7
    finally:
        link.close()
        await again.stop()
