"""The driver's end of the simulated lock's UARTs.

Simulator tests open a pty path with serialx exactly as the driver does (:class:`RawLink`),
write encoded frames and read back what the virtual device answers, without the protocol
layer; :func:`open_hardware` opens the production drivers on all four instead.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
import re

import serialx

from ezlock_edge.clock import Clock, IdleClock
from ezlock_edge.devices.hardware import Hardware
from ezlock_edge.framing.stream import StreamParser
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.vocabulary.mcu import McuEvent
from tests.support.waiting import WAIT


class RawLink[FrameT]:
    """One open port: send bytes, receive decoded frames in order."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        parser: StreamParser[FrameT],
    ) -> None:
        """Wrap an open serialx stream pair and the link's parser."""
        self._reader = reader
        self._writer = writer
        self.parser = parser
        self._frames: deque[FrameT] = deque()
        self.sent = 0
        """Bytes written so far: with the port's counts, what is still on its way."""
        self.received = 0
        """Bytes read so far (noise may have damaged them)."""

    @classmethod
    async def open(cls, path: Path, parser: StreamParser[FrameT]) -> RawLink[FrameT]:
        """Open ``path`` as the driver does."""
        reader, writer = await serialx.open_serial_connection(
            str(path), baudrate=115200
        )
        return cls(reader, writer, parser)

    async def send(self, data: bytes) -> None:
        """Write raw bytes to the device."""
        self._writer.write(data)
        self.sent += len(data)
        await self._writer.drain()

    async def frame(self, wait: float = WAIT) -> FrameT:
        """Return the next frame from the device."""
        async with asyncio.timeout(wait):
            while not self._frames:
                data = await self._reader.read(4096)
                self.received += len(data)
                self._frames.extend(self.parser.feed(data))
        return self._frames.popleft()

    async def frame_where(
        self, accept: Callable[[FrameT], bool], wait: float = WAIT
    ) -> FrameT:
        """Return the next frame ``accept`` takes; frames before it are dropped."""
        async with asyncio.timeout(wait):
            while not accept(frame := await self.frame()):
                pass
        return frame

    def close(self) -> None:
        """Close the port."""
        self._writer.close()


class HexPort:
    """The host's end of a simulated UART as literal bytes, for golden vectors.

    Requests and replies are spelled in hex as a document prints them (bytes apart or run
    together); ``??`` in an expected reply stands for a byte the document leaves to the
    device, and ``(N x 00)`` for a run of zeros. Nothing goes through a codec of ours.
    """

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Wrap an open serialx stream pair."""
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, path: Path, baudrate: int) -> HexPort:
        """Open ``path`` as a host would."""
        reader, writer = await serialx.open_serial_connection(
            str(path), baudrate=baudrate
        )
        return cls(reader, writer)

    async def send(self, text: str) -> None:
        """Write the bytes spelled in hex."""
        self._writer.write(bytes.fromhex(expand(text)))
        await self._writer.drain()

    async def expect(self, text: str) -> bytes:
        """Read as many bytes as ``text`` spells and compare them, ``??`` matching any."""
        pattern = expand(text).split()
        async with asyncio.timeout(WAIT):
            got = await self._reader.readexactly(len(pattern))
        seen = " ".join(
            p if p == "??" else f"{got[i]:02X}" for i, p in enumerate(pattern)
        )
        assert seen == " ".join(p.upper() for p in pattern), got.hex(" ").upper()
        return got

    async def exchange(self, request: str, reply: str) -> bytes:
        """Send ``request``, then expect ``reply``."""
        await self.send(request)
        return await self.expect(reply)

    def close(self) -> None:
        """Close the port."""
        self._writer.close()


def expand(text: str) -> str:
    """One token per byte: runs of zeros spelled out, hex printed without spaces split."""
    text = re.sub(r"\((\d+) x 00\)", lambda run: " ".join(["00"] * int(run[1])), text)
    return " ".join(
        token if token == "??" else " ".join(re.findall("..", token))
        for token in text.split()
    )


async def open_hardware(
    sim: SimulatedLock, clock: Clock | None = None, wire_clock: Clock | None = None
) -> Hardware:
    """Open the production drivers on ``sim``'s four ptys.

    A person's time runs on ``clock``, the links' timing on ``wire_clock`` (``clock``
    unless given; the system's when neither is).
    """
    ports = sim.ports
    return await Hardware.open(
        mcu=str(ports["mcu"]),
        fingerprint=str(ports["fingerprint"]),
        face=str(ports["face"]),
        palm=str(ports["palm"]),
        clock=clock,
        wire_clock=wire_clock,
    )


async def _taken(event: McuEvent) -> None:
    """Handle nothing: the event is acknowledged once this returns, as the core's is."""


def take_mcu_events(hardware: Hardware) -> None:
    """Acknowledge the controller's events as the core does (a test may set its own).

    Unacknowledged, an event (a touch's SENSOR_WAKE) stays on its way, resent each
    second of the lock's clock: then no move of the clock (nor ``quiet()``) knows when
    the links have settled, and each gives them up only after half a second of real
    time without progress, a bound a loaded machine can reach mid-exchange.
    """
    hardware.mcu.set_event_handler(_taken)


async def meanwhile[T](
    sim: SimulatedLock, seconds: float, operation: Awaitable[T]
) -> T:
    """Await ``operation`` while ``seconds`` of the lock's time pass (nobody comes)."""
    task = asyncio.ensure_future(operation)
    try:
        await sim.clock(advance=seconds)
        return await task
    finally:
        task.cancel()


@asynccontextmanager
async def driven(sim: SimulatedLock, clock: Clock) -> AsyncIterator[Hardware]:
    """Run the production drivers on ``sim`` with no real-time wait anywhere.

    A person's time is ``clock`` (the test moves it); the links run on an
    :class:`IdleClock` that jumps whenever the lock and the drivers are quiet, so a
    retransmission or a reader's next poll comes as soon as nothing else can happen.
    """
    wire = IdleClock()
    hardware = await open_hardware(sim, clock, wire)
    sim.watch_driver(hardware.traffic)
    wire.start(sim.quiet)
    try:
        yield hardware
    finally:
        try:
            await hardware.close()
        finally:
            await wire.stop()
            sim.watch_driver(None)
