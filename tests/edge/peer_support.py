"""A scripted device end of a pty: tests play a misbehaving device with the codecs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from ezlock_edge.framing.stream import StreamParser
from ezlock_edge.sim.port import VirtualPort
from tests.support.waiting import WAIT


class ScriptedPeer[FrameT]:
    """The device end of a pty, played by a test with the framing codecs."""

    def __init__(self, port: VirtualPort, parser: StreamParser[FrameT]) -> None:
        """Collect what the driver writes to ``port`` as frames."""
        self.port = port
        self.frames: asyncio.Queue[FrameT] = asyncio.Queue()

        def receive(data: bytes) -> None:
            for frame in parser.feed(data):
                self.frames.put_nowait(frame)

        port.on_receive = receive

    def send(self, data: bytes) -> None:
        """Write bytes to the driver."""
        self.port.write(data)

    async def next(self, accept: Callable[[FrameT], bool] = lambda _: True) -> FrameT:
        """Return the next frame the driver sent that ``accept`` takes."""
        async with asyncio.timeout(WAIT):
            while not accept(frame := await self.frames.get()):
                pass
        return frame

    def sent(self) -> list[FrameT]:
        """Frames the driver sent that the test has not taken yet."""
        return [self.frames.get_nowait() for _ in range(self.frames.qsize())]


class PeerFactory(Protocol):
    """``pty_peer(name, parser)``: a scripted pty end whose frames ``parser`` reads."""

    def __call__[FrameT](
        self, name: str, parser: StreamParser[FrameT]
    ) -> ScriptedPeer[FrameT]:
        """Plug a new pty called ``name``."""
