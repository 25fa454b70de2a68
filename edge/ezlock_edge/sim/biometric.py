"""Virtual face and palm-vein modules speaking FM225-style EF AA frames.

VERIFY waits on the module side, up to the timeout the host asked for, for a face (or
palm) in view, then replies SUCCESS with the slot, UNKNOWN_USER, LIVENESS_CHECK (a
spoof) or TIMEOUT. Enrollment is one command per presentation: ENROLL with one face
pose per call (L-10: middle, up, down, left, right) or PALM_ENROLL_ITG with one of three
palm presentations. A call for the MIDDLE direction starts a new enrollment; the module
assigns the slot when the last direction is in. The first presentation of an
already enrolled face answers FACE_ENROLLED with the existing slot; a full module
answers MAX_USER. Only one command runs at a time (RESET aborts a waiting one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import logging
from typing import Any

from ezlock_edge.framing.efaa import (
    ALL_DIRECTIONS,
    NO_USER,
    PALM_PRESENTATIONS,
    Direction,
    EfaaFrame,
    EfaaParser,
    EnrollParams,
    EnrollResult,
    MsgId,
    Note,
    NoteId,
    Reply,
    Result,
    VerifyParams,
    VerifyResult,
    decode_user,
    encode_user,
    encode_user_list,
    encode_version,
)
from ezlock_edge.framing.errors import DecodeError
from ezlock_edge.protocol.receiver import FrameReceiver
from ezlock_edge.vocabulary.mcu import Sensor

from .presence import FACE_DWELL, Presence, Presentation
from .templates import TemplateLibrary, feature_of

_LOGGER = logging.getLogger(__name__)

_PALM_DIRECTIONS = Direction(sum(PALM_PRESENTATIONS))
_ENROLL_COMMAND = {Sensor.FACE: MsgId.ENROLL, Sensor.PALM: MsgId.PALM_ENROLL_ITG}
_COMPLETE = {Sensor.FACE: Direction(ALL_DIRECTIONS), Sensor.PALM: _PALM_DIRECTIONS}
_VERSION = {Sensor.FACE: "EZSIM-FACE 3.2.1", Sensor.PALM: "EZSIM-PALM 2.0.4"}

type _Outcome = tuple[Result, bytes]


class _Enrollment:
    """An enrollment in progress: whose feature, and which directions are in."""

    def __init__(self, feature: bytes) -> None:
        self.feature = feature
        self.done = Direction(0)


class BiometricModule:
    """The face (``Sensor.FACE``) or palm-vein (``Sensor.PALM``) module's firmware."""

    def __init__(
        self,
        kind: Sensor,
        library: TemplateLibrary,
        *,
        send: Callable[[bytes], None],
    ) -> None:
        """Serve ``library`` (50 slots); ``send`` writes to the UART."""
        if kind not in _ENROLL_COMMAND:
            raise ValueError(f"no EF AA module for {kind!r}")
        self.kind = kind
        self.library = library
        self.presence = Presence(FACE_DWELL)
        self._send = send
        self._receiver = FrameReceiver(EfaaParser(), self._command)
        self._busy: tuple[MsgId, asyncio.Task[None]] | None = None
        self._enrollment: _Enrollment | None = None

    def start(self) -> None:
        """Power on: the module announces it is ready (NOTE READY)."""
        self._send(Note(NoteId.READY).frame().encode())

    def receive(self, data: bytes) -> None:
        """Take bytes from the driver; every complete command is run."""
        self._receiver.feed(data)

    def stop(self) -> None:
        """Power off: a waiting command is abandoned without a reply."""
        self._receiver.reset()
        self._abandon()
        self._enrollment = None

    def _abandon(self) -> MsgId | None:
        """Cancel the waiting command, if any, and return which it was."""
        if self._busy is None:
            return None
        command, task = self._busy
        self._busy = None
        task.cancel()
        return command

    # -- commands ------------------------------------------------------------------------

    def _command(self, frame: EfaaFrame) -> None:
        command = frame.msg_id
        if command in (MsgId.REPLY, MsgId.NOTE):
            return  # module-to-host messages: nothing to answer
        if command is MsgId.RESET:
            if (aborted := self._abandon()) is not None:
                self._reply(aborted, Result.ABORTED)
            self._enrollment = None
            self._reply(command, Result.SUCCESS)
            return
        if self._busy is not None:
            self._reply(command, Result.REJECTED)
            return
        try:
            if command is MsgId.VERIFY:
                self._start(command, self._verify(VerifyParams.decode(frame.data)))
            elif command is _ENROLL_COMMAND[self.kind]:
                self._start(command, self._enroll(EnrollParams.decode(frame.data)))
            elif command is MsgId.DEL_USER:
                self._delete(decode_user(frame.data))
            elif command is MsgId.DEL_ALL:
                self.library.clear()
                self._reply(command, Result.SUCCESS)
            elif command is MsgId.GET_ALL_USERID:
                self._reply(
                    command, Result.SUCCESS, encode_user_list(self.library.slots())
                )
            elif command is MsgId.GET_VERSION:
                self._reply(
                    command, Result.SUCCESS, encode_version(_VERSION[self.kind])
                )
            else:  # the other module's enrollment command
                self._reply(command, Result.INVALID_PARAM)
        except DecodeError as err:
            _LOGGER.debug("%s module: bad command: %s", self.kind.name.lower(), err)
            self._reply(command, Result.INVALID_PARAM)

    def _start(self, command: MsgId, work: Coroutine[Any, Any, _Outcome]) -> None:
        """Run a command that waits for a presentation; one at a time."""
        task = asyncio.get_running_loop().create_task(self._run(command, work))
        self._busy = (command, task)

    async def _run(self, command: MsgId, work: Coroutine[Any, Any, _Outcome]) -> None:
        result, data = await work
        self._busy = None
        self._reply(command, result, data)

    async def _present(self, seconds: int) -> Presentation | None:
        """Wait (module side) up to ``seconds`` for someone in view."""
        try:
            async with asyncio.timeout(seconds):
                return await self.presence.wait()
        except TimeoutError:
            return None

    async def _verify(self, params: VerifyParams) -> _Outcome:
        seen = await self._present(params.timeout)
        if seen is None:
            return Result.TIMEOUT, b""
        if seen.spoof:
            return Result.LIVENESS_CHECK, b""
        slot = self.library.find(feature_of(seen.identity))
        if slot is None:
            return Result.UNKNOWN_USER, b""
        return Result.SUCCESS, VerifyResult(slot).encode()

    async def _enroll(self, params: EnrollParams) -> _Outcome:
        complete = _COMPLETE[self.kind]
        direction = params.direction
        if direction not in complete or direction.bit_count() != 1:
            return Result.INVALID_PARAM, b""
        if direction is Direction.MIDDLE:
            self._enrollment = None
            if self.library.free_slot() is None:
                return Result.MAX_USER, b""
        elif self._enrollment is None:
            return Result.REJECTED, b""  # a later pose without the first one
        seen = await self._present(params.timeout)
        if seen is None:
            return Result.TIMEOUT, b""
        if seen.spoof:
            return Result.LIVENESS_CHECK, b""
        feature = feature_of(seen.identity)
        if self._enrollment is None:
            existing = self.library.find(feature)
            if existing is not None:
                return Result.FACE_ENROLLED, encode_user(existing)
            self._enrollment = _Enrollment(feature)
        enrollment = self._enrollment
        if feature != enrollment.feature:
            self._enrollment = None  # someone else stepped in: start over
            return Result.UNKNOWN_REASON, b""
        enrollment.done |= direction
        if enrollment.done != complete:
            return Result.SUCCESS, EnrollResult(NO_USER, enrollment.done).encode()
        self._enrollment = None
        slot = self.library.free_slot()
        if slot is None:
            return Result.MAX_USER, b""
        self.library.store(slot, feature)
        return Result.SUCCESS, EnrollResult(slot, enrollment.done).encode()

    def _delete(self, slot: int) -> None:
        if slot not in self.library.slots():
            self._reply(MsgId.DEL_USER, Result.UNKNOWN_USER)
            return
        self.library.delete(slot)
        self._reply(MsgId.DEL_USER, Result.SUCCESS)

    def _reply(self, command: MsgId, result: Result, data: bytes = b"") -> None:
        self._send(Reply(command, result, data).frame().encode())
