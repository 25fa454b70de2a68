"""Issue #11.6 from the document's bytes: who moved the bolt, heard by a restarted driver.

The lock controller is played on a pty from docs/serial-protocol.md: the document's
HELLO and STATUS answers and its BOLT frames, sent as literal bytes (frames the
document has no example for get their CRC from :func:`binascii.crc_hqx`, not from the
driver's codec); the fingerprint, face and palm modules are the simulator's. The
driver starts on a store that holds nothing about the bolt, as after a SIGKILL
between UNLOCK and the unlock's commit with an MCU that grants option 01 (nothing is
stored before UNLOCK), and hears the MCU send that movement's reports again.
"""

from __future__ import annotations

import binascii
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.lock import LockCore
from ezlock_edge.devices.hardware import Hardware
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.sim.port import VirtualPort
from tests.support.waiting import eventually

from .peer_support import HexPeerFactory

# docs/serial-protocol.md, "Worked examples": HELLO's answer (serial EZ1234567, …,
# capabilities face and palm) and STATUS's (locked, closed, 87 %, …), command + data.
HELLO_ANSWER = bytes.fromhex(
    "01 00 01 09 45 5A 31 32 33 34 35 36 37 0B 45 5A 4C 4F 43 4B 2D 36 30 36 38 05 31"
    " 2E 34 2E 30 06 41 42 43 44 45 46 02 04 66 61 63 65 04 70 61 6C 6D"
)
STATUS_ANSWER = bytes.fromhex("02 00 01 01 57 04 01 C3 01 01")
# "What moved the bolt": a remote unlock, then the bolt thrown back by the inside knob.
UNLOCKING_BY_THE_MOTOR = "A5 5A 09 05 11 00 00 00 2B 07 04 01 B9 B8"
UNLOCKED_BY_THE_MOTOR = "A5 5A 09 05 12 00 00 00 2C 07 02 01 8A 46"
LOCKED_BY_HAND = "A5 5A 09 05 13 00 00 00 2D 07 01 00 FE 53"
# "Events and their acknowledgements": BOLT UNLOCKED from an MCU that does not say.
UNLOCKED = "A5 5A 08 05 11 00 00 00 2B 07 02 39 CB"


def _frame(kind: int, seq: int, payload: bytes) -> bytes:
    body = bytes((len(payload) + 2, kind, seq)) + payload
    return b"\xa5\x5a" + body + binascii.crc_hqx(body, 0xFFFF).to_bytes(2, "big")


class DocumentedMcu:
    """The controller's end of the link, answering as the document says.

    ``options``: whether it knows HELLO options (it grants 01); one that does not is
    of the revision before, which answers a HELLO with options INVALID_ARGUMENT.
    OLDEST_EVENT names the oldest event sent and not acknowledged; every other
    command is answered OK; the EVENT_ACKs are kept.
    """

    def __init__(self, port: VirtualPort, *, options: bool) -> None:
        """Answer what the driver writes to ``port``."""
        self.port = port
        self._options = options
        self._buffer = bytearray()
        self.acked: list[int] = []
        self.kept: list[int] = []
        self.hellos: list[bytes] = []
        port.on_receive = self._received

    def send(self, text: str) -> None:
        """Write the document's bytes (an EVENT frame) to the driver."""
        frame = bytes.fromhex(text)
        self.kept.append(int.from_bytes(frame[5:9], "big"))  # until acknowledged
        self.port.write(frame)

    def _received(self, data: bytes) -> None:
        self._buffer += data
        while (start := self._buffer.find(b"\xa5\x5a")) >= 0 and len(
            self._buffer
        ) >= start + 3:
            end = start + self._buffer[start + 2] + 5
            if len(self._buffer) < end:
                return
            frame = bytes(self._buffer[start:end])
            del self._buffer[:end]
            kind, seq, payload = frame[3], frame[4], frame[5:-2]
            if kind == 0x03:  # REQUEST
                self.port.write(_frame(0x01, seq, b""))  # ACK
                self.port.write(_frame(0x04, seq, self._answer(payload)))
            elif kind == 0x06:  # EVENT_ACK, cumulative
                number = int.from_bytes(payload, "big")
                self.acked.append(number)
                self.kept = [kept for kept in self.kept if kept > number]

    def _answer(self, request: bytes) -> bytes:
        command, args = request[0], request[1:]
        if command == 0x01:  # HELLO: version, window, options
            self.hellos.append(args)
            if len(args) == 3 and not self._options:
                return b"\x01\x02"  # INVALID_ARGUMENT
            granted = bytes(args[1:2])  # the window asked for, whole
            if len(args) == 3:
                granted += bytes((args[2] & 0x01,))  # of the options: 01
            return HELLO_ANSWER + granted
        if command == 0x02:
            return STATUS_ANSWER
        if command == 0x03:  # OLDEST_EVENT: the oldest kept, else the next number
            oldest = min(self.kept, default=max(self.acked, default=0) + 1)
            return b"\x03\x00" + oldest.to_bytes(4, "big")
        return bytes((command, 0x00))


@asynccontextmanager
async def restarted_driver(
    tmp_path: Path, mcu_port: VirtualPort, clock: ManualClock
) -> AsyncIterator[tuple[LockCore, Hardware]]:
    """Run a driver on ``mcu_port`` and the simulator's modules, on a new store."""
    sim = SimulatedLock(clock=clock, seed=7, state_dir=tmp_path / "sim")
    await sim.start()
    try:
        hardware = await Hardware.open(
            mcu=str(mcu_port.path),
            fingerprint=str(sim.ports["fingerprint"]),
            face=str(sim.ports["face"]),
            palm=str(sim.ports["palm"]),
            clock=clock,
        )
        try:
            core = LockCore(hardware, tmp_path / "data", clock)
            await core.start()
            try:
                yield core, hardware
            finally:
                await core.stop()
        finally:
            await hardware.close()
    finally:
        await sim.stop()


def _operations(core: LockCore) -> list[tuple[str, object]]:
    return [
        (event.type, event.data.get("method", event.data.get("source")))
        for event in core.events.query(0, 1000)
        if event.type in {"locked", "unlocked"}
    ]


def _bolt(core: LockCore) -> list[str]:
    return [e.data["state"] for e in core.events.query(0, 1000) if e.type == "bolt"]


async def test_the_motors_reports_sent_again_are_no_operation(
    tmp_path: Path, hex_peer: HexPeerFactory
) -> None:
    """BOLT with cause 01 (the motor) records the bolt and no unlock; 00 is a hand's."""
    mcu = DocumentedMcu(hex_peer("mcu").port, options=True)
    async with restarted_driver(tmp_path, mcu.port, ManualClock()) as (
        core,
        hardware,
    ):
        assert hardware.mcu.bolt_causes
        mcu.send(UNLOCKING_BY_THE_MOTOR)
        mcu.send(UNLOCKED_BY_THE_MOTOR)
        await eventually(lambda: 44 in mcu.acked, "both reports stored")
        assert _bolt(core) == ["unlocking", "unlocked"]
        assert _operations(core) == []  # no unlock from inside invented
        mcu.send(LOCKED_BY_HAND)
        await eventually(lambda: 45 in mcu.acked, "the hand's report stored")
        assert _operations(core) == [("locked", "inside")]


async def test_without_the_cause_a_report_nobody_asked_for_is_a_hands(
    tmp_path: Path, hex_peer: HexPeerFactory
) -> None:
    """An MCU of the revision before: greeted again without options, BOLT without cause.

    The driver then relies on what it stored before UNLOCK (nothing, here): the
    report is a hand's, as it is for a bolt really moved by hand.
    """
    mcu = DocumentedMcu(hex_peer("mcu").port, options=False)
    async with restarted_driver(tmp_path, mcu.port, ManualClock()) as (
        core,
        hardware,
    ):
        assert not hardware.mcu.bolt_causes
        mcu.send(UNLOCKED)
        await eventually(lambda: 43 in mcu.acked, "the report stored")
        assert _operations(core) == [("unlocked", "inside")]


async def test_a_report_without_its_cause_in_a_session_granted_it_greets_again(
    tmp_path: Path, hex_peer: HexPeerFactory
) -> None:
    """The MCU restarted with the port up (a battery swap, L-06): its session is gone.

    Its BOLT then comes without the cause (the document's frame of an MCU that does
    not say): the driver relies on nothing granted (the report is a hand's unless a
    command asked for it) and starts a new session, which grants option 01 again.
    """
    mcu = DocumentedMcu(hex_peer("mcu").port, options=True)
    async with restarted_driver(tmp_path, mcu.port, ManualClock()) as (
        core,
        hardware,
    ):
        assert mcu.hellos == [bytes.fromhex("01 80 01")]
        mcu.send(UNLOCKED)
        await eventually(lambda: 43 in mcu.acked, "the report stored")
        assert _operations(core) == [("unlocked", "inside")]  # nobody asked for it
        await eventually(lambda: len(mcu.hellos) == 2, "a new session")
        assert mcu.hellos[1] == bytes.fromhex("01 80 01")
        await eventually(lambda: hardware.mcu.bolt_causes, "option 01 granted again")
