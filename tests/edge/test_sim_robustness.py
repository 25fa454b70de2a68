"""Random bytes never crash a virtual device, and it answers the next good frame."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import random

from hypothesis import given, settings, strategies as st

from ezlock_edge.clock import ManualClock
from ezlock_edge.framing.ef01 import Ef01Packet, Ef01Parser, Instruction, PacketId
from ezlock_edge.framing.efaa import EfaaFrame, EfaaParser, MsgId, Reply
from ezlock_edge.framing.mcu import McuFrame, McuParser, MessageType
from ezlock_edge.framing.mcu_messages import GetStatus, McuResponse, encode_request
from ezlock_edge.framing.stream import StreamParser
from ezlock_edge.sim.biometric import BiometricModule
from ezlock_edge.sim.fingerprint import FingerprintModule
from ezlock_edge.sim.mcu import VirtualMcu
from ezlock_edge.sim.templates import TemplateLibrary
from ezlock_edge.vocabulary.mcu import McuInfo, Sensor
from tests.support.waiting import WAIT

INFO = McuInfo("Q00000001", "EZLOCK-SIM-6068", "1.4.0-sim", "ABCDEF")
# Random bytes with sync headers sprinkled in, so truncated and lying headers are common.
garbage = st.lists(
    st.sampled_from([b"\xa5\x5a", b"\xef\x01", b"\xef\xaa", b"\xff\xff"])
    | st.binary(max_size=12),
    max_size=30,
).map(b"".join)


def exchange[FrameT](
    build: Callable[[Callable[[bytes], None]], Callable[[bytes], None]],
    noise: bytes,
    request: bytes,
    parser: StreamParser[FrameT],
    answers: Callable[[FrameT], bool],
) -> None:
    """Feed ``noise`` then ``request`` to a device; it must answer the request."""

    async def run() -> None:
        out = asyncio.Queue[bytes]()
        receive = build(out.put_nowait)
        receive(noise + request)
        async with asyncio.timeout(WAIT):
            while not any(answers(frame) for frame in parser.feed(await out.get())):
                pass

    asyncio.run(run())


@settings(max_examples=30, deadline=None)
@given(garbage)
def test_mcu_survives_garbage(noise: bytes) -> None:
    def build(send: Callable[[bytes], None]) -> Callable[[bytes], None]:
        clock = ManualClock()
        mcu = VirtualMcu(INFO, clock, random.Random(0), motor_travel=0.4, send=send)
        mcu.start()

        def receive(data: bytes) -> None:
            mcu.receive(data)
            clock.advance(0.05)  # the line idles: a lying length byte is given up

        return receive

    request = McuFrame(MessageType.REQUEST, 0xC3, encode_request(GetStatus()))
    exchange(
        build,
        noise,
        request.encode(),
        McuParser(),
        lambda frame: (
            frame.type is MessageType.RESPONSE
            and frame.seq == 0xC3
            and McuResponse.decode(frame.payload).command == 0x02
        ),
    )


@settings(max_examples=30, deadline=None)
@given(garbage)
def test_fingerprint_module_survives_garbage(noise: bytes) -> None:
    def build(send: Callable[[bytes], None]) -> Callable[[bytes], None]:
        return FingerprintModule(TemplateLibrary(), random.Random(0), send=send).receive

    exchange(
        build,
        noise,
        Ef01Packet.command(Instruction.TEMPLATE_NUM).encode(),
        Ef01Parser(),
        lambda packet: packet.pid is PacketId.ACK and packet.payload == b"\x00\x00\x00",
    )


@settings(max_examples=30, deadline=None)
@given(garbage)
def test_face_module_survives_garbage(noise: bytes) -> None:
    def build(send: Callable[[bytes], None]) -> Callable[[bytes], None]:
        return BiometricModule(Sensor.FACE, TemplateLibrary(), send=send).receive

    exchange(
        build,
        noise,
        EfaaFrame(MsgId.RESET).encode(),
        EfaaParser(),
        lambda frame: (
            frame.msg_id is MsgId.REPLY
            and Reply.decode(frame.data).command is MsgId.RESET
        ),
    )
