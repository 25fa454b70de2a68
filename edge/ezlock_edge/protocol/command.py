"""One command at a time over a module link, with a timeout and bounded retries.

The fingerprint and face / palm modules have no sequence numbers: the host sends a
command, the module answers it, and the host must not send the next one before. A
lost command or answer shows up as a timeout, after which the command is sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
import logging

from ezlock_edge.clock import Clock, timeout
from ezlock_edge.framing.stream import StreamParser
from ezlock_edge.transport import SerialPort
from ezlock_edge.vocabulary.errors import DeviceDisconnected, DeviceTimeout
from ezlock_edge.vocabulary.link import LinkState

from .receiver import FrameReceiver

_LOGGER = logging.getLogger(__name__)


class CommandLink[FrameT]:
    """Send a command frame and wait for the frame that answers it."""

    def __init__(
        self, port: SerialPort, parser: StreamParser[FrameT], *, clock: Clock
    ) -> None:
        """Attach to ``port``, whose bytes ``parser`` understands; wait on ``clock``."""
        self._port = port
        self._clock = clock
        self._receiver = FrameReceiver(parser, self._frame_received, clock=clock)
        port.set_receiver(self._receiver.feed)
        port.add_state_listener(self._state_changed)
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None  # inside exclusive()
        self._waiting: (
            tuple[Callable[[FrameT], bool], asyncio.Future[FrameT]] | None
        ) = None

    async def transact(
        self,
        wire: bytes,
        answers: Callable[[FrameT], bool],
        *,
        seconds: float,
        tries: int,
        what: str,
        clock: Clock | None = None,
    ) -> FrameT:
        """Send ``wire`` until a frame for which ``answers`` is true arrives.

        Each try waits ``seconds`` of ``clock`` (the link's by default: a command
        that waits for a person waits on the lock's). Raises DeviceTimeout after
        ``tries`` tries, or DeviceDisconnected if the port was down throughout.
        """
        async with self._turn():
            loop = asyncio.get_running_loop()
            for _ in range(tries):
                if not await self._port.connected_within(seconds):
                    continue
                answer: asyncio.Future[FrameT] = loop.create_future()
                self._waiting = (answers, answer)
                try:
                    self._port.write(
                        wire
                    )  # connected: checked above, nothing awaited since
                    async with timeout(clock or self._clock, seconds):
                        return await answer
                except TimeoutError:
                    continue
                finally:
                    self._waiting = None
        name = self._port.name
        if self._port.state is LinkState.DISCONNECTED:
            raise DeviceDisconnected(f"{name} port down: {what} not sent")
        raise DeviceTimeout(f"{name} module did not answer {what} after {tries} tries")

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Keep the link for this task's commands until the block ends.

        For a command the module answers only once a person has come (AutoIdentify)
        and the Cancel that follows when nobody did: no other command in between,
        which the busy module would not hear.
        """
        async with self._lock:
            self._holder = asyncio.current_task()
            try:
                yield
            finally:
                self._holder = None

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if self._holder is not None and self._holder is asyncio.current_task():
            yield  # inside this task's exclusive()
            return
        async with self._lock:
            yield

    def _frame_received(self, frame: FrameT) -> None:
        if self._waiting is not None:
            answers, answer = self._waiting
            if answers(frame) and not answer.done():
                answer.set_result(frame)
                return
        self._unsolicited(frame)

    def _unsolicited(self, frame: FrameT) -> None:
        """Handle a frame that answers nothing outstanding (a late answer, a note)."""
        _LOGGER.debug("%s: ignored %s", self._port.name, frame)

    def _state_changed(self, state: LinkState) -> None:
        if state is LinkState.DISCONNECTED:
            self._receiver.reset()
