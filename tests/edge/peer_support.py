"""Scripted device ends of a pty: tests play a device with the codecs, or as literal bytes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from ezlock_edge.framing.stream import StreamParser
from ezlock_edge.sim.port import VirtualPort
from tests.support.waiting import WAIT

from .sim_support import expand


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


class HexPeer:
    """The device end of a pty as literal bytes: a test plays a module from its document.

    The driver under test opens the pty as a real port; the test checks that what it
    writes is exactly the document's request (``expect``) and answers with the
    document's reply (``send``), so neither side goes through a codec of ours. Hex is
    spelled as in :class:`tests.edge.sim_support.HexPort` (``??`` matches any byte).
    """

    def __init__(self, port: VirtualPort) -> None:
        """Take what the driver writes to ``port``."""
        self.port = port
        self._received = bytearray()
        self._arrived = asyncio.Event()

        def receive(data: bytes) -> None:
            self._received += data
            self._arrived.set()

        port.on_receive = receive

    @property
    def path(self) -> str:
        """The port's path, as the driver opens it."""
        return str(self.port.path)

    def send(self, text: str) -> None:
        """Write the bytes spelled in hex to the driver."""
        self.port.write(bytes.fromhex(expand(text)))

    async def expect(self, text: str) -> bytes:
        """Wait for as many bytes as ``text`` spells from the driver and compare them."""
        pattern = expand(text).split()
        async with asyncio.timeout(WAIT):
            while len(self._received) < len(pattern):
                self._arrived.clear()
                await self._arrived.wait()
        got = bytes(self._received[: len(pattern)])
        del self._received[: len(pattern)]
        seen = " ".join(
            p if p == "??" else f"{got[i]:02X}" for i, p in enumerate(pattern)
        )
        assert seen == " ".join(p.upper() for p in pattern), got.hex(" ").upper()
        return got

    async def answer(self, request: str, reply: str) -> None:
        """Expect ``request`` from the driver, then send ``reply``."""
        await self.expect(request)
        self.send(reply)

    def unread(self) -> bytes:
        """Return what the driver sent that no ``expect`` took yet."""
        return bytes(self._received)


class HexPeerFactory(Protocol):
    """``hex_peer(name)``: a pty end a test plays as literal bytes."""

    def __call__(self, name: str) -> HexPeer:
        """Plug a new pty called ``name``."""
