"""The fingerprint (EF01) and face / palm (EF AA) links against scripted pty peers.

One command at a time, answered or retried a bounded number of times; packets for
another address, late answers and unsolicited NOTEs never answer a command.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import logging

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.framing.ef01 import (
    ConfirmationCode,
    Ef01Packet,
    Ef01Parser,
    Instruction,
    PacketId,
)
from ezlock_edge.framing.efaa import (
    EfaaFrame,
    EfaaParser,
    MsgId,
    Note,
    NoteId,
    Reply,
    Result,
    VerifyParams,
)
from ezlock_edge.protocol.ef01 import (
    TIMEOUT as EF01_TIMEOUT,
    TRIES as EF01_TRIES,
    Ef01Link,
)
from ezlock_edge.protocol.efaa import REPLY_MARGIN, EfaaLink
from ezlock_edge.transport import SerialPort
from ezlock_edge.vocabulary.errors import DeviceRejected, DeviceTimeout
from tests.support.waiting import eventually

from .peer_support import PeerFactory, ScriptedPeer


@pytest.fixture
async def finger_peer(pty_peer: PeerFactory) -> ScriptedPeer[Ef01Packet]:
    """Script the fingerprint module's end of a pty."""
    return pty_peer("fingerprint", Ef01Parser())


@pytest.fixture
async def face_peer(pty_peer: PeerFactory) -> ScriptedPeer[EfaaFrame]:
    """Script the face module's end of a pty."""
    return pty_peer("face", EfaaParser())


@pytest.fixture
async def finger_link(
    finger_peer: ScriptedPeer[Ef01Packet], clock: ManualClock
) -> AsyncIterator[Ef01Link]:
    """Open the fingerprint link, with its documented timeouts, on the test's clock."""
    port = SerialPort(
        str(finger_peer.port.path), 57600, name="fingerprint", clock=clock
    )
    await port.start()
    yield Ef01Link(port)
    await port.close()


@pytest.fixture
async def face_link(
    face_peer: ScriptedPeer[EfaaFrame], clock: ManualClock
) -> AsyncIterator[EfaaLink]:
    """Open the face link, with its documented timeouts, on the test's clock."""
    port = SerialPort(str(face_peer.port.path), 115200, name="face", clock=clock)
    await port.start()
    yield EfaaLink(port)
    await port.close()


async def test_silent_fingerprint_module(
    finger_peer: ScriptedPeer[Ef01Packet], finger_link: Ef01Link, clock: ManualClock
) -> None:
    """No acknowledgement: the command is sent again each timeout, 3 times in all."""
    task = asyncio.create_task(finger_link.command(Instruction.TEMPLATE_NUM))
    sent = [await finger_peer.next()]
    for _ in range(EF01_TRIES - 1):
        clock.advance(EF01_TIMEOUT)
        sent.append(await finger_peer.next())
    clock.advance(EF01_TIMEOUT)
    with pytest.raises(
        DeviceTimeout, match="did not answer TEMPLATE_NUM after 3 tries"
    ):
        await task
    assert [packet.instruction for packet in sent] == [Instruction.TEMPLATE_NUM] * 3
    assert finger_peer.sent() == []


async def test_fingerprint_answers_from_elsewhere_are_ignored(
    finger_peer: ScriptedPeer[Ef01Packet], finger_link: Ef01Link
) -> None:
    """Packets for another address or not ACKs do not answer; the real ACK does."""
    task = asyncio.create_task(finger_link.command(Instruction.TEMPLATE_NUM))
    await finger_peer.next()
    other = Ef01Packet(PacketId.ACK, b"\x00\x00\x09", address=0x12345678)
    finger_peer.send(other.encode())
    finger_peer.send(Ef01Packet(PacketId.DATA, b"\x00\x00\x09").encode())
    finger_peer.send(Ef01Packet.ack(ConfirmationCode.OK, b"\x00\x03").encode())
    assert await task == (ConfirmationCode.OK, b"\x00\x03")


async def test_a_late_answer_is_not_taken_for_the_next_command(
    finger_peer: ScriptedPeer[Ef01Packet],
    finger_link: Ef01Link,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An ACK that comes after its try was given up on does not answer the next command.

    A module's ACK does not name its instruction. GenImg's first try is answered
    late (a busy host): the second try takes that answer, and the second try's own
    answer, later still, must not become Search's (a fleet of 200 locks at load 13
    logged such late answers).
    """
    caplog.set_level(logging.DEBUG, "ezlock_edge.protocol.command")
    ok = Ef01Packet.ack(ConfirmationCode.OK).encode()
    capture = asyncio.create_task(finger_link.command(Instruction.GEN_IMG))
    await finger_peer.next()
    clock.advance(EF01_TIMEOUT)  # the first try's answer is late
    await finger_peer.next()
    finger_peer.send(ok)  # the first try's, taken for the second (the same command)
    assert await capture == (ConfirmationCode.OK, b"")
    search = asyncio.create_task(
        finger_link.command(Instruction.SEARCH, b"\x01\x00\x00\x00\x32")
    )
    await eventually(
        lambda: not finger_peer.frames.empty() or bool(clock.pending()),
        "the search sent, or a wait for a quiet line",
    )
    finger_peer.send(ok)  # the second try's answer, later still
    await eventually(
        lambda: search.done() or "ignored" in caplog.text, "the late answer handled"
    )
    assert not search.done()  # dropped, not taken for the search's answer
    clock.advance(EF01_TIMEOUT)  # the line stayed quiet
    assert (await finger_peer.next()).instruction is Instruction.SEARCH
    hit = Ef01Packet.ack(ConfirmationCode.OK, b"\x00\x07\x00\x64").encode()
    finger_peer.send(hit)
    assert await search == (ConfirmationCode.OK, b"\x00\x07\x00\x64")


async def test_unknown_confirmation_code_is_a_rejection(
    finger_peer: ScriptedPeer[Ef01Packet], finger_link: Ef01Link
) -> None:
    """An ACK with a code the driver does not know raises DeviceRejected."""
    task = asyncio.create_task(finger_link.command(Instruction.EMPTY))
    await finger_peer.next()
    finger_peer.send(Ef01Packet(PacketId.ACK, b"\xee").encode())
    with pytest.raises(DeviceRejected, match="confirmation code 0xEE"):
        await task


async def test_notes_do_not_answer_commands(
    face_peer: ScriptedPeer[EfaaFrame], face_link: EfaaLink
) -> None:
    """NOTEs may arrive at any time; replies to other commands are not answers."""
    task = asyncio.create_task(face_link.command(MsgId.GET_ALL_USERID))
    assert (await face_peer.next()).msg_id is MsgId.GET_ALL_USERID
    face_peer.send(Note(NoteId.READY).frame().encode())
    face_peer.send(Reply(MsgId.DEL_ALL, Result.SUCCESS).frame().encode())
    face_peer.send(
        Reply(MsgId.GET_ALL_USERID, Result.SUCCESS, b"\x00").frame().encode()
    )
    assert await task == Reply(MsgId.GET_ALL_USERID, Result.SUCCESS, b"\x00")


async def test_unanswered_verify_resets_the_module(
    face_peer: ScriptedPeer[EfaaFrame], face_link: EfaaLink, clock: ManualClock
) -> None:
    """VERIFY is sent once; no reply within its time and a margin: RESET, timeout."""
    task = asyncio.create_task(
        face_link.capture(MsgId.VERIFY, VerifyParams(3).encode(), 3)
    )
    assert (await face_peer.next()).msg_id is MsgId.VERIFY
    clock.advance(3 + REPLY_MARGIN)
    reset = await face_peer.next()
    assert reset.msg_id is MsgId.RESET
    face_peer.send(Reply(MsgId.RESET, Result.SUCCESS).frame().encode())
    with pytest.raises(DeviceTimeout, match="did not answer VERIFY after 1 tries"):
        await task
    assert face_peer.sent() == []


async def test_garbled_reply_is_a_rejection(
    face_peer: ScriptedPeer[EfaaFrame], face_link: EfaaLink
) -> None:
    """A REPLY with a result byte the driver does not know raises DeviceRejected."""
    task = asyncio.create_task(face_link.command(MsgId.DEL_ALL))
    await face_peer.next()
    face_peer.send(EfaaFrame(MsgId.REPLY, bytes((MsgId.DEL_ALL, 0x63))).encode())
    with pytest.raises(DeviceRejected, match="face module"):
        await task
