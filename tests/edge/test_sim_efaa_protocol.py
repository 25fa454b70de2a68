"""The simulated face and palm modules against the FM22x host protocol, byte for byte.

Frames are written out from the protocol's layout (``EF AA | msg id | size (2) | data |
XOR parity of everything after the sync word``) and its message tables as public host code
and firmware headers give them: ESPHome's ``hlk_fm22x`` component (commands 10..93, the
REPLY / NOTE split, REJECTED for an unknown face, the ENROLL_ITG layout), the vendor's
``MID_*`` / ``MR_*`` / ``s_msg_*`` definitions (reply layouts, GET_ALL_USERID's padded
array, NOTE READY at power-on), and for the palm module its firmware's header
(``MID_PALM_ENROLL_ITG`` 27, the 4-byte enroll reply with ``enroll_state``, ``id_type`` 02
in the verify reply, UNKNOWN_USER for an unknown palm). Requests are literal bytes written
to the pty, replies literal bytes read back (``??`` = a byte left to the module).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
import re

import pytest

from ezlock_edge.sim.biometric import BiometricModule
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.sim.templates import TemplateLibrary
from ezlock_edge.vocabulary.mcu import Sensor

from .sim_support import HexPort


@pytest.fixture
async def lock(tmp_path: Path) -> AsyncIterator[SimulatedLock]:
    lock = SimulatedLock(seed=5, state_dir=tmp_path / "state")
    await lock.start()
    yield lock
    await lock.stop()


@pytest.fixture
async def face(lock: SimulatedLock) -> AsyncIterator[HexPort]:
    port = await HexPort.open(lock.ports["face"], 115200)
    yield port
    port.close()


@pytest.fixture
async def palm(lock: SimulatedLock) -> AsyncIterator[HexPort]:
    port = await HexPort.open(lock.ports["palm"], 115200)
    yield port
    port.close()


ENROLL_SINGLE_MIDDLE_5S = "EF AA 1D 00 23 00 (32 x 00) 01 05 3A"
ENROLL_ITG_MIDDLE_5S = "EF AA 26 00 28 00 (32 x 00) 01 00 00 05 00 00 00 0A"
VERIFY_5S = "EF AA 12 00 02 00 05 15"


@pytest.mark.parametrize("link", ["face", "palm"])
async def test_ready_note_status_reset_and_information(
    lock: SimulatedLock, link: str
) -> None:
    port = await HexPort.open(lock.ports[link], 115200)
    try:
        # Power-on: NOTE (01) READY (00).
        await lock.restart_module(link)
        await port.expect("EF AA 01 00 01 00 00")
        # GET_STATUS (11): SUCCESS, status 00 standby.
        await port.exchange("EF AA 11 00 00 11", "EF AA 00 00 03 11 00 00 12")
        await port.exchange("EF AA 10 00 00 10", "EF AA 00 00 02 10 00 12")  # RESET
        await port.exchange(
            "EF AA 23 00 00 23", "EF AA 00 00 02 23 00 21"
        )  # FACE_RESET
        # GET_VERSION (30) and GET_SN (93): 32 bytes each.
        await port.exchange("EF AA 30 00 00 30", f"EF AA 00 00 22 30 00 {'?? ' * 33}")
        await port.exchange("EF AA 93 00 00 93", f"EF AA 00 00 22 93 00 {'?? ' * 33}")
        # GET_ALL_USERID (24): count 0, then the whole zero-padded id array (2 x 50).
        await port.exchange(
            "EF AA 24 00 00 24", "EF AA 00 00 67 24 00 00 (100 x 00) 43"
        )
        await port.exchange("EF AA 21 00 00 21", "EF AA 00 00 02 21 00 23")  # DELALL
        # DELUSER (20) and GET_USER_INFO (22) of nobody: UNKNOWN_USER (08).
        await port.exchange("EF AA 20 00 02 00 00 22", "EF AA 00 00 02 20 08 2A")
        await port.exchange("EF AA 22 00 02 00 00 20", "EF AA 00 00 02 22 08 28")
        await port.exchange("EF AA ED 00 00 ED", "EF AA 00 00 02 ED 00 EF")  # POWERDOWN
        # A message id the module does not implement (INIT_ENCRYPTION 50): REJECTED.
        await port.exchange("EF AA 50 00 00 50", "EF AA 00 00 02 50 01 53")
    finally:
        port.close()


async def test_face_verify_answers(lock: SimulatedLock, face: HexPort) -> None:
    # ENROLL_SINGLE (1D): one frame, stored at once as user 0, direction 01.
    await face.send(ENROLL_SINGLE_MIDDLE_5S)
    await lock.face("alice")
    await face.expect("EF AA 00 00 05 1D 00 00 00 01 19")
    # VERIFY (12), 5 s: user 0, 32-byte name (empty), admin 0, unlock status.
    await face.send(VERIFY_5S)
    await lock.face("alice")
    await face.expect("EF AA 00 00 26 12 00 00 00 (32 x 00) 00 00 34")
    # An unknown face: REJECTED (01), what HLK-FM22x modules answer.
    await face.send(VERIFY_5S)
    await lock.face("mallory")
    await face.expect("EF AA 00 00 02 12 01 11")
    # A photo: LIVENESS_CHECK (0C).
    await face.send(VERIFY_5S)
    await lock.face("alice", spoof=True)
    await face.expect("EF AA 00 00 02 12 0C 1C")
    # Nobody within the timeout (0 s: only who is in view now): TIMEOUT (0D).
    await face.exchange("EF AA 12 00 02 00 00 10", "EF AA 00 00 02 12 0D 1D")
    # GET_USER_INFO of user 0: id, name, admin.
    await face.exchange(
        "EF AA 22 00 02 00 00 20", "EF AA 00 00 25 22 00 00 00 (33 x 00) 07"
    )


async def test_face_status_while_verifying_and_reset_aborts(face: HexPort) -> None:
    await face.send(VERIFY_5S)
    # GET_STATUS during a capture: busy (01); another command: REJECTED.
    await face.exchange("EF AA 11 00 00 11", "EF AA 00 00 03 11 00 01 13")
    await face.exchange("EF AA 21 00 00 21", "EF AA 00 00 02 21 01 22")
    # RESET: the VERIFY is answered ABORTED (02), then RESET SUCCESS.
    await face.exchange(
        "EF AA 10 00 00 10", "EF AA 00 00 02 12 02 12 EF AA 00 00 02 10 00 12"
    )


async def test_face_enroll_itg_refuses_a_duplicate(
    lock: SimulatedLock, face: HexPort
) -> None:
    await face.send(ENROLL_SINGLE_MIDDLE_5S)
    await lock.face("bob")
    await face.expect("EF AA 00 00 05 1D 00 00 00 01 19")
    # ENROLL_ITG (26), interactive, duplicates refused: FACE_ENROLLED (0A), user 0.
    await face.send(ENROLL_ITG_MIDDLE_5S)
    await lock.face("bob")
    await face.expect("EF AA 00 00 05 26 0A 00 00 01 28")
    # Someone new: SUCCESS, user FFFF until every direction is in, directions 01.
    await face.send(ENROLL_ITG_MIDDLE_5S)
    await lock.face("carol")
    await face.expect("EF AA 00 00 05 26 00 FF FF 01 22")
    # Plain ENROLL (13) does not check duplicates: bob's MIDDLE is simply taken.
    await face.send("EF AA 13 00 23 00 (32 x 00) 01 05 34")
    await lock.face("bob")
    await face.expect("EF AA 00 00 05 13 00 FF FF 01 17")


async def test_palm_enrollment_and_verify(lock: SimulatedLock, palm: HexPort) -> None:
    # PALM_ENROLL_ITG (27): admin, name, direction, type, duplicate, timeout (37 bytes);
    # the reply adds enroll_state: 00 unfinished, 02 palm enrolled.
    steps = (
        (
            "EF AA 27 00 25 00 (32 x 00) 01 00 00 05 06",
            "EF AA 00 00 06 27 00 FF FF 01 00 20",
        ),
        (
            "EF AA 27 00 25 00 (32 x 00) 02 00 00 05 05",
            "EF AA 00 00 06 27 00 FF FF 03 00 22",
        ),
        (
            "EF AA 27 00 25 00 (32 x 00) 04 00 00 05 03",
            "EF AA 00 00 06 27 00 00 00 07 02 24",
        ),
    )
    for request, reply in steps:
        await palm.send(request)
        await lock.palm("dave-right")
        await palm.expect(reply)
    # VERIFY: user 0, id_type 02 (palm) in the last byte.
    await palm.send(VERIFY_5S)
    await lock.palm("dave-right")
    await palm.expect("EF AA 00 00 26 12 00 00 00 (32 x 00) 00 02 36")
    # An unknown palm: UNKNOWN_USER (08), the palm firmware's answer.
    await palm.send(VERIFY_5S)
    await lock.palm("mallory")
    await palm.expect("EF AA 00 00 02 12 08 18")
    # The face enroll commands are not the palm module's: REJECTED.
    await palm.exchange(
        "EF AA 13 00 23 00 (32 x 00) 01 05 34", "EF AA 00 00 02 13 01 10"
    )
    # GET_ALL_USERID: one user, id 0000, then zero padding.
    await palm.exchange("EF AA 24 00 00 24", "EF AA 00 00 67 24 00 01 (100 x 00) 42")


def test_every_message_of_both_modules_has_its_vector_here() -> None:
    """Each message id either module answers is sent above as a literal frame."""
    source = Path(__file__).read_text()
    sent = {int(code, 16) for code in re.findall(r'"EF AA ([0-9A-F]{2})', source)}
    for kind in (Sensor.FACE, Sensor.PALM):
        module = BiometricModule(kind, TemplateLibrary(), send=print)
        assert sorted(module.commands - sent) == []
