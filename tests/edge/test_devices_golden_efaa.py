"""The face and palm drivers against the FM22x host protocol's bytes, no simulator between.

A test plays the module on a pty as literal bytes (``HexPeer``): what the driver sends
must be the documented frame byte for byte, and each documented reply must come out of
the driver as its typed meaning. Vectors: the worked examples of docs/serial-protocol.md
(section 3, written from the FM22x headers and ESPHome's ``hlk_fm22x``), and replies of
public module firmwares where they differ: FACE_ENROLLED with FFFF and the directions
(kzh92/cvi_test_projects, PusinLock ``fm_main.cpp``: ``Get_Reply_Enroll(
MR_FAILED4_FACEENROLLED, -1, ...)``) or with no data (XmSilicon's ``uart_connect.c``:
a failed ENROLL replies mid and result only), and a 100-user GET_ALL_USERID (203 bytes).
Parity bytes are the XOR of msg id, size and data (section 3, Frame).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ezlock_edge.devices.biometric import (
    FACE,
    PALM,
    BiometricDevice,
    Modality,
    ModuleStatus,
)
from ezlock_edge.devices.models import BiometricMatch
from ezlock_edge.framing.efaa import (
    Direction,
    EfaaFrame,
    EnrollParams,
    EnrollResult,
    MsgId,
    Note,
    NoteId,
    Reply,
    Result,
    VerifyParams,
    VerifyResult,
    decode_user,
    decode_user_list,
    decode_version,
    encode_user,
)
from ezlock_edge.vocabulary.errors import (
    CapacityFull,
    DeviceTimeout,
    DuplicateTemplate,
    LivenessFailed,
)

from .peer_support import HexPeer, HexPeerFactory
from .sim_support import expand

GET_STATUS = "EF AA 11 00 00 11"
STANDBY = "EF AA 00 00 03 11 00 00 12"
READY = "EF AA 01 00 01 00 00"  # NOTE READY, sent at power-on
FACE_STATE = "EF AA 01 00 11 01 (16 x 00) 11"  # NOTE FACE_STATE: normal, position 0
RESET = "EF AA 10 00 00 10"
RESET_DONE = "EF AA 00 00 02 10 00 12"
VERIFY_5S = "EF AA 12 00 02 00 05 15"
VERIFY_10S = "EF AA 12 00 02 00 0A 1A"
VERIFIED_3 = "EF AA 00 00 26 12 00 00 03 (34 x 00) 37"
VERIFIED_2 = "EF AA 00 00 26 12 00 00 02 (34 x 00) 36"
REJECTED = "EF AA 00 00 02 12 01 11"  # unknown face, HLK-FM22x
FACE_RESET = "EF AA 23 00 00 23"
FACE_RESET_DONE = "EF AA 00 00 02 23 00 21"
FACE_ENROLL = {  # ENROLL_ITG, interactive, duplicates refused, 10 s, one pose each
    0x01: "EF AA 26 00 28 00 (32 x 00) 01 00 00 0A 00 00 00 05",
    0x10: "EF AA 26 00 28 00 (32 x 00) 10 00 00 0A 00 00 00 14",
    0x08: "EF AA 26 00 28 00 (32 x 00) 08 00 00 0A 00 00 00 0C",
    0x04: "EF AA 26 00 28 00 (32 x 00) 04 00 00 0A 00 00 00 00",
    0x02: "EF AA 26 00 28 00 (32 x 00) 02 00 00 0A 00 00 00 06",
}
FACE_ENROLLED_2 = "EF AA 00 00 05 26 0A 00 02 01 2A"  # duplicate of user 2


async def _open(peer: HexPeer, modality: Modality) -> BiometricDevice:
    opening = asyncio.create_task(BiometricDevice.open(peer.path, modality))
    peer.send(READY)
    await peer.answer(GET_STATUS, STANDBY)  # GET_STATUS at start, as hosts do
    return await opening


@pytest.fixture
async def face_module(hex_peer: HexPeerFactory) -> HexPeer:
    return hex_peer("face")


@pytest.fixture
async def face(face_module: HexPeer) -> AsyncIterator[BiometricDevice]:
    device = await _open(face_module, FACE)
    yield device
    await device.close()


async def test_a_module_in_error_is_reset_at_start(hex_peer: HexPeerFactory) -> None:
    peer = hex_peer("face")
    opening = asyncio.create_task(BiometricDevice.open(peer.path, FACE))
    await peer.answer(GET_STATUS, "EF AA 00 00 03 11 00 02 10")  # status 02 error
    await peer.answer(RESET, RESET_DONE)
    device = await opening
    status = asyncio.create_task(device.status())
    await peer.answer(GET_STATUS, "EF AA 00 00 03 11 00 01 13")
    assert await status is ModuleStatus.BUSY
    await device.close()


async def test_verify_each_documented_answer(
    face_module: HexPeer, face: BiometricDevice
) -> None:
    known = asyncio.create_task(face.verify(timeout=5))
    await face_module.expect(VERIFY_5S)
    face_module.send(FACE_STATE)  # notes may come before the reply
    face_module.send(VERIFIED_3)
    assert await known == BiometricMatch(slot=3)
    for reply, outcome in (
        (REJECTED, None),
        ("EF AA 00 00 02 12 08 18", None),  # UNKNOWN_USER (the palm firmware's)
        ("EF AA 00 00 02 12 0C 1C", LivenessFailed),
        ("EF AA 00 00 02 12 0D 1D", DeviceTimeout),
    ):
        attempt = asyncio.create_task(face.verify(timeout=5))
        await face_module.answer(VERIFY_5S, reply)
        if outcome is None:
            assert await attempt is None
        else:
            with pytest.raises(outcome):
                await attempt


async def test_face_enrollment_pose_by_pose(
    face_module: HexPeer, face: BiometricDevice
) -> None:
    enrolled = asyncio.create_task(face.enroll(timeout=10))
    done = 0
    for direction, request in FACE_ENROLL.items():
        done |= direction
        user, parity = ("00 04", 0x38) if done == 0x1F else ("FF FF", 0x23 ^ done)
        await face_module.answer(
            request, f"EF AA 00 00 05 26 00 {user} {done:02X} {parity:02X}"
        )
    assert await enrolled == 4


async def test_face_enrolled_with_the_user_id(
    face_module: HexPeer, face: BiometricDevice
) -> None:
    duplicate = asyncio.create_task(face.enroll(timeout=10))
    await face_module.answer(FACE_ENROLL[0x01], FACE_ENROLLED_2)
    with pytest.raises(DuplicateTemplate) as caught:
        await duplicate
    assert caught.value.existing_slot == 2


async def test_face_enrolled_without_the_user_id_asks_the_module(
    face_module: HexPeer, face: BiometricDevice
) -> None:
    # FFFF and the directions: the driver forgets the enrollment and asks who it is.
    duplicate = asyncio.create_task(face.enroll(timeout=10))
    await face_module.answer(FACE_ENROLL[0x01], "EF AA 00 00 05 26 0A FF FF 01 28")
    await face_module.answer(FACE_RESET, FACE_RESET_DONE)
    await face_module.answer(VERIFY_10S, VERIFIED_2)
    with pytest.raises(DuplicateTemplate) as caught:
        await duplicate
    assert caught.value.existing_slot == 2
    # No data at all, and the person is not recognised any more: reported, slot unknown.
    unnamed = asyncio.create_task(face.enroll(timeout=10))
    await face_module.answer(FACE_ENROLL[0x01], "EF AA 00 00 02 26 0A 2E")
    await face_module.answer(FACE_RESET, FACE_RESET_DONE)
    await face_module.answer(VERIFY_10S, REJECTED)
    with pytest.raises(DuplicateTemplate) as unknown:
        await unnamed
    assert unknown.value.existing_slot is None
    # All 50 slots used: 09 MAX_USER.
    full = asyncio.create_task(face.enroll(timeout=10))
    await face_module.answer(FACE_ENROLL[0x01], "EF AA 00 00 02 26 09 2D")
    with pytest.raises(CapacityFull):
        await full
    assert face_module.unread() == b""


async def test_palm_enrollment(hex_peer: HexPeerFactory) -> None:
    peer = hex_peer("palm")
    palm = await _open(peer, PALM)
    try:
        enrolled = asyncio.create_task(palm.enroll(timeout=10))
        # PALM_ENROLL_ITG, then the palm firmware's 4-byte reply: user, directions,
        # enroll state (00 unfinished, 02 palm enrolled).
        await peer.answer(
            "EF AA 27 00 25 00 (32 x 00) 01 00 00 0A 09",
            "EF AA 00 00 06 27 00 FF FF 01 00 20",
        )
        await peer.answer(
            "EF AA 27 00 25 00 (32 x 00) 02 00 00 0A 0A",
            "EF AA 00 00 06 27 00 FF FF 03 00 22",
        )
        await peer.answer(
            "EF AA 27 00 25 00 (32 x 00) 04 00 00 0A 0C",
            "EF AA 00 00 06 27 00 00 05 07 02 21",
        )
        assert await enrolled == 5
    finally:
        await palm.close()


async def test_delete_and_list(face_module: HexPeer, face: BiometricDevice) -> None:
    deleted = asyncio.create_task(face.delete(4))
    await face_module.answer("EF AA 20 00 02 00 04 26", "EF AA 00 00 02 20 00 22")
    await deleted
    absent = asyncio.create_task(face.delete(4))  # 08 UNKNOWN_USER: already gone
    await face_module.answer("EF AA 20 00 02 00 04 26", "EF AA 00 00 02 20 08 2A")
    await absent
    emptied = asyncio.create_task(face.delete_all())
    await face_module.answer("EF AA 21 00 00 21", "EF AA 00 00 02 21 00 23")
    await emptied
    for reply in (
        "EF AA 00 00 67 24 00 02 00 01 00 04 (96 x 00) 44",  # 50-user array
        "EF AA 00 00 CB 24 00 02 00 01 00 04 (196 x 00) E8",  # 100-user array
    ):
        listed = asyncio.create_task(face.slots())
        await face_module.answer("EF AA 24 00 00 24", reply)
        assert await listed == {1, 4}


# The host's messages of section 3's table as the driver's codec encodes them.
REQUESTS = [
    (MsgId.RESET, b"", RESET),
    (MsgId.GET_STATUS, b"", GET_STATUS),
    (MsgId.VERIFY, VerifyParams(5).encode(), VERIFY_5S),
    (MsgId.ENROLL_ITG, EnrollParams(Direction.MIDDLE, 10).encode(), FACE_ENROLL[1]),
    (
        MsgId.PALM_ENROLL_ITG,
        EnrollParams(Direction.MIDDLE, 10, palm=True).encode(),
        "EF AA 27 00 25 00 (32 x 00) 01 00 00 0A 09",
    ),
    (MsgId.DEL_USER, encode_user(4), "EF AA 20 00 02 00 04 26"),
    (MsgId.DEL_ALL, b"", "EF AA 21 00 00 21"),
    (MsgId.GET_USER_INFO, encode_user(4), "EF AA 22 00 02 00 04 24"),
    (MsgId.FACE_RESET, b"", FACE_RESET),
    (MsgId.GET_ALL_USERID, b"", "EF AA 24 00 00 24"),
    (MsgId.GET_VERSION, b"", "EF AA 30 00 00 30"),
    (MsgId.GET_SN, b"", "EF AA 93 00 00 93"),
    (MsgId.POWERDOWN, b"", "EF AA ED 00 00 ED"),
]


@pytest.mark.parametrize(
    ("msg_id", "data", "wire"), REQUESTS, ids=[row[0].name for row in REQUESTS]
)
def test_requests_encode_as_documented(msg_id: MsgId, data: bytes, wire: str) -> None:
    assert EfaaFrame(msg_id, data).encode() == bytes.fromhex(expand(wire))


def _reply(wire: str) -> Reply:
    return Reply.decode(EfaaFrame.decode(bytes.fromhex(expand(wire))).data)


def test_replies_decode_into_their_meaning() -> None:
    verified = _reply(VERIFIED_3)
    assert (verified.command, verified.result) == (MsgId.VERIFY, Result.SUCCESS)
    assert VerifyResult.decode(verified.data) == VerifyResult(user_id=3)
    assert _reply(REJECTED).result is Result.REJECTED
    step = _reply("EF AA 00 00 05 26 00 FF FF 01 22")
    assert EnrollResult.decode(step.data) == EnrollResult(0xFFFF, Direction.MIDDLE)
    done = _reply("EF AA 00 00 05 26 00 00 04 1F 38")
    assert EnrollResult.decode(done.data) == EnrollResult(4, Direction(0x1F))
    assert decode_user(_reply(FACE_ENROLLED_2).data) == 2
    users = _reply("EF AA 00 00 67 24 00 02 00 01 00 04 (96 x 00) 44")
    assert decode_user_list(users.data) == {1, 4}
    version = "EF AA 00 00 22 30 00 " + "46 4D 32 32 35" + " 00" * 27 + " 2C"
    assert decode_version(_reply(version).data) == "FM225"
    status = _reply(STANDBY)
    assert (status.command, status.data) == (MsgId.GET_STATUS, b"\x00")
    ready = EfaaFrame.decode(bytes.fromhex(READY))
    assert Note.decode(ready.data) == Note(NoteId.READY)
    for code, result in (
        (0x0C, Result.LIVENESS_CHECK),
        (0x0D, Result.TIMEOUT),
        (0x13, Result.READ_FILE),
        (0x17, Result.NO_RGB_IMAGE),
        (0x19, Result.JPG_PHOTO_SMALL),
    ):
        parity = 0x02 ^ 0x12 ^ code
        assert _reply(f"EF AA 00 00 02 12 {code:02X} {parity:02X}").result is result
