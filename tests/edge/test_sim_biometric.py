"""The virtual face and palm-vein modules over their ptys, through the EF AA codec."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from ezlock_edge.framing.efaa import (
    ALL_DIRECTIONS,
    FACE_POSES,
    NO_USER,
    PALM_PRESENTATIONS,
    Direction,
    EfaaFrame,
    EfaaParser,
    EnrollParams,
    EnrollResult,
    MsgId,
    Reply,
    Result,
    VerifyParams,
    VerifyResult,
    decode_user,
    decode_user_list,
    decode_version,
    encode_user,
)
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.sim.templates import CAPACITY

from .sim_support import RawLink

type Present = Callable[[str], Awaitable[None]]


@pytest.fixture
async def lock(tmp_path: Path) -> AsyncIterator[SimulatedLock]:
    lock = SimulatedLock(seed=4, state_dir=tmp_path / "state")
    await lock.start()
    yield lock
    await lock.stop()


@pytest.fixture
async def face(lock: SimulatedLock) -> AsyncIterator[RawLink[EfaaFrame]]:
    link = await RawLink.open(lock.ports["face"], EfaaParser())
    yield link
    link.close()


@pytest.fixture
async def palm(lock: SimulatedLock) -> AsyncIterator[RawLink[EfaaFrame]]:
    link = await RawLink.open(lock.ports["palm"], EfaaParser())
    yield link
    link.close()


async def send(link: RawLink[EfaaFrame], command: MsgId, data: bytes = b"") -> None:
    await link.send(EfaaFrame(command, data).encode())


async def reply(link: RawLink[EfaaFrame]) -> Reply:
    """Return the next REPLY (NOTEs are skipped)."""
    frame = await link.frame_where(lambda f: f.msg_id is MsgId.REPLY)
    return Reply.decode(frame.data)


async def enroll_step(
    link: RawLink[EfaaFrame],
    command: MsgId,
    direction: Direction,
    present: Callable[[], Awaitable[None]],
) -> Reply:
    """Ask for one pose / presentation, then present it."""
    await send(
        link,
        command,
        EnrollParams(
            direction, timeout=5, palm=command is MsgId.PALM_ENROLL_ITG
        ).encode(),
    )
    await present()
    answer = await reply(link)
    assert answer.command is command
    return answer


async def enroll_face(lock: SimulatedLock, link: RawLink[EfaaFrame], who: str) -> Reply:
    for pose in FACE_POSES:
        answer = await enroll_step(link, MsgId.ENROLL_ITG, pose, lambda: lock.face(who))
        if answer.result is not Result.SUCCESS:
            return answer
    return answer


async def enroll_palm(lock: SimulatedLock, link: RawLink[EfaaFrame], who: str) -> Reply:
    for step in PALM_PRESENTATIONS:
        answer = await enroll_step(
            link, MsgId.PALM_ENROLL_ITG, step, lambda: lock.palm(who)
        )
        if answer.result is not Result.SUCCESS:
            return answer
    return answer


async def verify(link: RawLink[EfaaFrame], seconds: int = 5) -> None:
    await send(link, MsgId.VERIFY, VerifyParams(seconds).encode())


async def test_face_enrollment_takes_five_poses_then_verifies(
    lock: SimulatedLock, face: RawLink[EfaaFrame]
) -> None:
    """L-10: straight, up, down, left, right; the module assigns the slot."""
    done = Direction(0)
    for number, pose in enumerate(FACE_POSES, start=1):
        answer = await enroll_step(
            face, MsgId.ENROLL_ITG, pose, lambda: lock.face("alice")
        )
        assert answer.result is Result.SUCCESS
        result = EnrollResult.decode(answer.data)
        done |= pose
        assert result.done == done
        assert (result.user_id == NO_USER) is (number < len(FACE_POSES))
    assert result.done == ALL_DIRECTIONS
    slot = result.user_id

    await verify(face)
    await lock.face("alice")
    answer = await reply(face)
    assert answer.result is Result.SUCCESS
    assert VerifyResult.decode(answer.data).user_id == slot


async def test_verify_results_unknown_spoof_and_nobody(
    lock: SimulatedLock, face: RawLink[EfaaFrame]
) -> None:
    """An id never enrolled never matches; a photo fails liveness; nobody times out."""
    await enroll_face(lock, face, "alice")
    await verify(face)
    await lock.face("mallory")
    # HLK-FM22x modules answer REJECTED for a face they do not know (ESPHome's
    # hlk_fm22x reports "face not recognized" on it).
    assert (await reply(face)).result is Result.REJECTED
    await verify(face)
    await lock.face("alice", spoof=True)
    assert (await reply(face)).result is Result.LIVENESS_CHECK
    await verify(face, seconds=0)  # 0: only what is in view right now
    assert (await reply(face)).result is Result.TIMEOUT


async def test_a_face_presented_first_waits_for_the_verify(
    lock: SimulatedLock, face: RawLink[EfaaFrame]
) -> None:
    """The radar wakes the lock before the driver asks: the face is still in view."""
    await enroll_face(lock, face, "alice")
    await lock.face("alice")
    await verify(face)
    assert (await reply(face)).result is Result.SUCCESS


async def test_duplicate_face_and_a_stranger_mid_enrollment(
    lock: SimulatedLock, face: RawLink[EfaaFrame]
) -> None:
    first = EnrollResult.decode((await enroll_face(lock, face, "alice")).data)
    duplicate = await enroll_step(
        face, MsgId.ENROLL_ITG, Direction.MIDDLE, lambda: lock.face("alice")
    )
    assert duplicate.result is Result.FACE_ENROLLED
    assert decode_user(duplicate.data) == first.user_id

    await enroll_step(
        face, MsgId.ENROLL_ITG, Direction.MIDDLE, lambda: lock.face("bob")
    )
    stranger = await enroll_step(
        face, MsgId.ENROLL_ITG, Direction.UP, lambda: lock.face("carol")
    )
    assert stranger.result is Result.UNKNOWN_REASON
    # Without a new first pose, later poses are refused.
    await send(face, MsgId.ENROLL_ITG, EnrollParams(Direction.UP, timeout=1).encode())
    assert (await reply(face)).result is Result.REJECTED


async def test_palm_enrollment_takes_three_presentations(
    lock: SimulatedLock, palm: RawLink[EfaaFrame], face: RawLink[EfaaFrame]
) -> None:
    """L-11: palm vein enrollment and verify on the palm module, not the face one."""
    answer = await enroll_palm(lock, palm, "alice-right")
    result = EnrollResult.decode(answer.data)
    assert result.user_id != NO_USER
    await verify(palm)
    await lock.palm("alice-right")
    verified = await reply(palm)
    assert VerifyResult.decode(verified.data).user_id == result.user_id

    # The face module does not enroll palms: REJECTED.
    palm_middle = EnrollParams(Direction.MIDDLE, 1, palm=True).encode()
    await send(face, MsgId.PALM_ENROLL_ITG, palm_middle)
    assert (await reply(face)).result is Result.REJECTED
    await send(
        palm, MsgId.PALM_ENROLL_ITG, EnrollParams(Direction.UP, 1, palm=True).encode()
    )
    assert (await reply(palm)).result is Result.INVALID_PARAM


async def test_50_slots_then_max_user(
    lock: SimulatedLock, palm: RawLink[EfaaFrame]
) -> None:
    """L-22: 50 palm veins in the whole lock."""
    for number in range(CAPACITY):
        answer = await enroll_palm(lock, palm, f"palm-{number}")
        assert EnrollResult.decode(answer.data).user_id == number
    await send(
        palm,
        MsgId.PALM_ENROLL_ITG,
        EnrollParams(Direction.MIDDLE, 1, palm=True).encode(),
    )
    assert (await reply(palm)).result is Result.MAX_USER


async def test_delete_one_all_and_list(
    lock: SimulatedLock, face: RawLink[EfaaFrame]
) -> None:
    for who in ("alice", "bob", "carol"):
        await enroll_face(lock, face, who)
    await send(face, MsgId.DEL_USER, encode_user(1))
    assert (await reply(face)).result is Result.SUCCESS
    await send(face, MsgId.DEL_USER, encode_user(1))
    assert (await reply(face)).result is Result.UNKNOWN_USER
    await send(face, MsgId.GET_ALL_USERID)
    assert decode_user_list((await reply(face)).data) == {0, 2}
    await send(face, MsgId.DEL_ALL)
    assert (await reply(face)).result is Result.SUCCESS
    await send(face, MsgId.GET_ALL_USERID)
    assert decode_user_list((await reply(face)).data) == set()
    await send(face, MsgId.GET_VERSION)
    assert decode_version((await reply(face)).data).startswith("EZSIM-FM225")


async def test_one_command_at_a_time_and_reset_aborts(
    face: RawLink[EfaaFrame],
) -> None:
    await verify(face)
    await send(face, MsgId.GET_ALL_USERID)
    busy = await reply(face)
    assert (busy.command, busy.result) == (MsgId.GET_ALL_USERID, Result.REJECTED)
    await send(face, MsgId.RESET)
    aborted, reset = await reply(face), await reply(face)
    assert (aborted.command, aborted.result) == (MsgId.VERIFY, Result.ABORTED)
    assert (reset.command, reset.result) == (MsgId.RESET, Result.SUCCESS)
    await send(face, MsgId.VERIFY, b"\x00")  # truncated parameters
    assert (await reply(face)).result is Result.INVALID_PARAM


async def test_unplug_and_replug_keeps_the_path_and_the_module(
    lock: SimulatedLock, face: RawLink[EfaaFrame]
) -> None:
    """A module's cable pulled and put back: same path, templates still there."""
    await enroll_face(lock, face, "alice")
    path = lock.ports["face"]
    await lock.unplug("face")
    assert not path.exists()
    assert not (await lock.panel())["links"]["face"]["plugged"]
    await lock.replug("face")
    assert lock.ports["face"] == path
    link = await RawLink.open(path, EfaaParser())
    try:
        await verify(link)
        await lock.face("alice")
        assert (await reply(link)).result is Result.SUCCESS
    finally:
        link.close()
