"""What every instruction works with: the module's flash, library and RAM, and its answers.

RAM (the image buffer, the six char buffers, whether the password was verified) is lost at
power-off and at SoftRst; the flash (:mod:`.flash`) and the template library are not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
import random
import struct

from ezlock_edge.clock import Clock
from ezlock_edge.sim import ef01_wire
from ezlock_edge.sim.presence import FINGER_DWELL, Presence
from ezlock_edge.sim.templates import TemplateLibrary

from .codes import AUTO_TIMEOUT, OK
from .flash import Flash

type Answer = tuple[int, bytes]
type Handler = Callable[[bytes], Answer | None]
"""An instruction: its acknowledge, or None when a background run answers it (Auto*)."""


class MalformedError(Exception):
    """Parameters of the wrong length: answered 01 (error when receiving package)."""


def unpack(layout: str, params: bytes) -> tuple[int, ...]:
    """Read an instruction's parameters (big-endian ``layout``), or raise MalformedError."""
    shape = struct.Struct(">" + layout)
    if len(params) != shape.size:
        raise MalformedError
    return shape.unpack(params)


class Upload:
    """Data the host is sending with DownChar / DownImage."""

    def __init__(self, done: Callable[[bytes], None]) -> None:
        """Collect data packages; ``done`` gets them all after the last one."""
        self.data = bytearray()
        self.done = done


class ModuleState:
    """The module's memory, and how an instruction answers (acknowledge, data after it)."""

    def __init__(
        self,
        library: TemplateLibrary,
        rng: random.Random,
        *,
        send: Callable[[bytes], object],
        state_path: Path | None = None,
        clock: Clock | None = None,
        dwell: float = FINGER_DWELL,
    ) -> None:
        """Serve ``library``; ``send`` writes to the UART; flash settings in ``state_path``.

        ``send`` returns False for bytes that did not reach the host intact (a
        :class:`~ezlock_edge.sim.port.VirtualPort`'s pulled cable, noise). A finger
        rests on the reader for ``dwell`` seconds of ``clock``.
        """
        self.library = library
        self.presence = Presence(dwell, clock)
        self.settings = Flash(state_path)
        self.led: tuple[int, int, int, int] = (0x04, 0, 0x01, 0)
        """Last AuraLedConfig: control code, speed, colour index, times."""
        self._rng = rng
        self._send = send
        self._image: bytes | None = None
        self._buffers: dict[int, bytes] = {}
        self._verified = False
        self._passed = False
        self._upload: Upload | None = None
        self._outgoing: bytes | None = None
        self._auto: asyncio.Task[None] | None = None
        self.auto_timeout = AUTO_TIMEOUT
        """Seconds an automatic command waits for each finger (tests shorten it)."""

    def wipe(self) -> None:
        """Forget every template (Empty; a new module from the factory)."""
        self.library.clear()

    def _ack(self, code: int, data: bytes = b"") -> bool:
        """Send an acknowledge package; return whether it reached the host intact."""
        sent = self._send(ef01_wire.acknowledge(self.settings.address, code, data))
        return sent is not False

    def _then_send(self, data: bytes) -> Answer:
        # The acknowledge goes first; the data packages follow it at once.
        self._outgoing = data
        return OK, b""
