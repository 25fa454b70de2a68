"""One command at a time over a module link, with a timeout and bounded retries.

The fingerprint and face / palm modules have no sequence numbers: the host sends a
command, the module answers it, and the host must not send the next one before. A
lost command or answer shows up as a timeout, after which the command is sent again.

An answer that was only late (a busy host, a slow module) still comes after that
timeout. The try sent again takes it, which is right (the same command); but then the
second try's answer comes too, and on a link whose answers do not name their command
(EF01) it would be taken for the next command's. Such a link (``drain_late``) lets the
line go quiet for one try's timeout before its next command, dropping what comes
meanwhile. A command whose answer cannot be one of those late answers (``settles``)
need not wait: it is sent at once, and its answer proves the line clean, since the
module answers in order (whatever was still coming came before it).
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
from .waiting import within

_LOGGER = logging.getLogger(__name__)
_HELD = contextlib.nullcontext()


class CommandLink[FrameT]:
    """Send a command frame and wait for the frame that answers it."""

    def __init__(
        self,
        port: SerialPort,
        parser: StreamParser[FrameT],
        *,
        clock: Clock,
        drain_late: float | None = None,
    ) -> None:
        """Attach to ``port``, whose bytes ``parser`` understands; wait on ``clock``.

        ``drain_late``: after a command was sent again, wait until the line has been
        quiet for this many seconds of ``clock`` before the next command (for answers
        that do not name their command: module docstring).
        """
        self._port = port
        self._clock = clock
        self._drain_late = drain_late
        self._late = False  # sent again after no answer: a late answer may come
        self._heard = asyncio.Event()  # a frame came that answered nothing
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
        settles: Callable[[FrameT], bool] | None = None,
    ) -> FrameT:
        """Send ``wire`` until a frame for which ``answers`` is true arrives.

        Each try waits ``seconds`` of ``clock`` (the link's by default: a command
        that waits for a person waits on the lock's). Raises DeviceTimeout after
        ``tries`` tries, or DeviceDisconnected if the port was down throughout.

        ``settles``: ``answers`` takes no late answer of a command before, so this
        one is sent without waiting for a quiet line; an answer for which ``settles``
        is true, to a first try, says that nothing late is still on its way.
        """
        async with self._turn():
            loop = asyncio.get_running_loop()
            if self._late and self._drain_late is not None and settles is None:
                await self._quiet(self._drain_late)
            unanswered = False
            for _ in range(tries):
                if not await self._port.connected_within(seconds):
                    continue
                answer: asyncio.Future[FrameT] = loop.create_future()
                self._waiting = (answers, answer)
                try:
                    self._port.write(
                        wire
                    )  # connected: checked above, nothing awaited since
                    # Sent again after a try that went unanswered: that try's answer
                    # may still come, and then this one's after the next command.
                    self._late = self._late or unanswered
                    frame = await within(clock or self._clock, seconds, answer)
                except TimeoutError:
                    unanswered = True
                    continue
                finally:
                    self._waiting = None
                if settles is not None and not unanswered and settles(frame):
                    self._late = False  # the module answers in order
                return frame
        # The last try's answer may still come too (a command sent once: AutoIdentify).
        self._late = self._late or unanswered
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

    def _turn(self) -> contextlib.AbstractAsyncContextManager[object]:
        """Return the link's lock, or nothing inside this task's :meth:`exclusive` block."""
        if self._holder is not None and self._holder is asyncio.current_task():
            return _HELD
        return self._lock

    async def _quiet(self, seconds: float) -> None:
        """Return once no frame has come for ``seconds``: late answers are dropped."""
        while True:
            self._heard.clear()
            try:
                async with timeout(self._clock, seconds):
                    await self._heard.wait()
            except TimeoutError:
                self._late = False
                return

    def _frame_received(self, frame: FrameT) -> None:
        if self._waiting is not None:
            answers, answer = self._waiting
            if answers(frame) and not answer.done():
                answer.set_result(frame)
                return
        self._heard.set()
        self._unsolicited(frame)

    def _unsolicited(self, frame: FrameT) -> None:
        """Handle a frame that answers nothing outstanding (a late answer, a note)."""
        _LOGGER.debug("%s: ignored %s", self._port.name, frame)

    def _state_changed(self, state: LinkState) -> None:
        if state is LinkState.DISCONNECTED:
            self._receiver.reset()
