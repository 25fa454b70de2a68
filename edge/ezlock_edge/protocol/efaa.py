"""The face / palm-vein module link: EF AA commands, REPLYs and NOTEs."""

from __future__ import annotations

from collections.abc import Callable
import contextlib
import logging

from ezlock_edge.clock import Clock
from ezlock_edge.framing.efaa import EfaaFrame, EfaaParser, MsgId, Note, Reply
from ezlock_edge.framing.errors import DecodeError
from ezlock_edge.transport import SerialPort
from ezlock_edge.vocabulary.errors import DeviceError, DeviceRejected, DeviceTimeout

from .command import CommandLink

_LOGGER = logging.getLogger(__name__)

TIMEOUT = 1.0
"""Seconds to wait for the REPLY of a quick command."""
TRIES = 3
REPLY_MARGIN = 1.0
"""Extra seconds granted beyond a VERIFY / ENROLL command's own timeout."""


class _EfaaCommandLink(CommandLink[EfaaFrame]):
    def _unsolicited(self, frame: EfaaFrame) -> None:
        if frame.msg_id is MsgId.NOTE:
            with contextlib.suppress(DecodeError):
                _LOGGER.debug("%s: note %s", self._port.name, Note.decode(frame.data))
                return
        super()._unsolicited(frame)


class EfaaLink:
    """Commands to one FM225-style module."""

    def __init__(
        self,
        port: SerialPort,
        *,
        clock: Clock | None = None,
        timeout: float = TIMEOUT,
        tries: int = TRIES,
        reply_margin: float = REPLY_MARGIN,
    ) -> None:
        """Attach to ``port``; times are in seconds of ``clock`` (the port's)."""
        self._link = _EfaaCommandLink(port, EfaaParser(), clock=clock or port.clock)
        self._name = port.name
        self._timeout = timeout
        self._tries = tries
        self._reply_margin = reply_margin

    async def command(self, msg_id: MsgId, data: bytes = b"") -> Reply:
        """Send a quick command (sent again if lost) and return its REPLY."""
        frame = await self._link.transact(
            EfaaFrame(msg_id, data).encode(),
            _reply_to(msg_id),
            seconds=self._timeout,
            tries=self._tries,
            what=msg_id.name,
        )
        return self._decode(frame)

    async def capture(
        self, msg_id: MsgId, data: bytes, seconds: float, *, clock: Clock | None = None
    ) -> Reply:
        """Send VERIFY / ENROLL, which look for a person for ``seconds``.

        Sent once: a presentation is consumed by its capture, so a repeat could not
        give the same answer. If no REPLY comes in time (``seconds`` and the margin,
        of ``clock``: a person's time, the link's by default), the module is RESET so
        it stops looking, and DeviceTimeout is raised.
        """
        try:
            frame = await self._link.transact(
                EfaaFrame(msg_id, data).encode(),
                _reply_to(msg_id),
                seconds=seconds + self._reply_margin,
                tries=1,
                what=msg_id.name,
                clock=clock,
            )
        except DeviceTimeout:
            with contextlib.suppress(DeviceError):
                await self.command(MsgId.RESET)
            raise
        return self._decode(frame)

    def _decode(self, frame: EfaaFrame) -> Reply:
        try:
            return Reply.decode(frame.data)
        except DecodeError as err:
            raise DeviceRejected(f"{self._name} module: {err}") from None


def _reply_to(msg_id: MsgId) -> Callable[[EfaaFrame], bool]:
    def answers(frame: EfaaFrame) -> bool:
        return frame.msg_id is MsgId.REPLY and frame.data[:1] == bytes((msg_id,))

    return answers
