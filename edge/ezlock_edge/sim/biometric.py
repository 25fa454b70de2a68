"""Virtual face and palm-vein modules speaking the FM22x host protocol (EF AA).

The face module follows the HLK-FM22x (FM225) host protocol's message set as public host
code implements it (ESPHome's ``hlk_fm22x`` component, the vendor's
``MID_*`` / ``MR_*`` headers); the palm-vein module follows the palm-capable firmware's
header of the same protocol family (``MID_PALM_ENROLL_ITG`` 27, a 4-byte enroll reply with
``enroll_state``, ``id_type`` in the verify reply). ``docs/serial-protocol.md`` lists both,
message by message. Messages go through the modules' own codec (:mod:`.efaa_wire`).

VERIFY waits on the module side, up to the timeout the host gave, for a face (or palm) in
view, then answers SUCCESS with the user, an unknown person (face: REJECTED, as HLK
modules answer and ESPHome expects; palm: UNKNOWN_USER, its header's code), LIVENESS_CHECK
for a spoof, or TIMEOUT. Enrollment takes one presentation per call: ENROLL / ENROLL_ITG
(interactive) with one face pose per call (L-10: middle, up, down, left, right), or
PALM_ENROLL_ITG with one of three palm presentations; a MIDDLE call starts a new one and
the module assigns the user id when the last direction is in. ENROLL_SINGLE and
ENROLL_ITG of the single type store from one frame. Only ENROLL_ITG / PALM_ENROLL_ITG with
duplicates refused check for a face already stored (FACE_ENROLLED); plain ENROLL does not.
One capture runs at a time; GET_STATUS and RESET are answered during it. After power-on the
module sends NOTE READY.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
import logging
import struct
from typing import Any

from ezlock_edge.clock import Clock
from ezlock_edge.protocol.receiver import FrameReceiver
from ezlock_edge.vocabulary.mcu import Sensor

from . import efaa_wire
from .efaa_wire import Message
from .presence import FACE_DWELL, Presence, Presentation
from .templates import TemplateLibrary, feature_of

_LOGGER = logging.getLogger(__name__)

# Message ids (host -> module).
RESET = 0x10
GET_STATUS = 0x11
VERIFY = 0x12
ENROLL = 0x13
ENROLL_SINGLE = 0x1D
DEL_USER = 0x20
DEL_ALL = 0x21
GET_USER_INFO = 0x22
FACE_RESET = 0x23
GET_ALL_USERID = 0x24
ENROLL_ITG = 0x26
PALM_ENROLL_ITG = 0x27
GET_VERSION = 0x30
GET_SN = 0x93
POWERDOWN = 0xED

# Results.
SUCCESS = 0x00
REJECTED = 0x01
ABORTED = 0x02
UNKNOWN_REASON = 0x05
INVALID_PARAM = 0x06
UNKNOWN_USER = 0x08
MAX_USER = 0x09
FACE_ENROLLED = 0x0A
LIVENESS_CHECK = 0x0C
TIMEOUT = 0x0D

NID_READY = 0x00
STATUS_STANDBY = 0x00
STATUS_BUSY = 0x01

MIDDLE, RIGHT, LEFT, DOWN, UP = 0x01, 0x02, 0x04, 0x08, 0x10
NO_USER = 0xFFFF
"""User id of an enroll reply while more directions are needed."""
NAME_SIZE = 32
ENROLL_STATE_UNFINISHED = 0x00
ENROLL_STATE_PALM_DONE = 0x02
ID_TYPE_PALM = 0x02

_VERIFY = struct.Struct(">BB")  # power down right away, timeout (s)
_ENROLL = struct.Struct(f">B{NAME_SIZE}sBB")  # admin, name, direction, timeout
_ENROLL_ITG = struct.Struct(f">B{NAME_SIZE}sBBBB3s")  # ..., type, duplicate, timeout
_PALM_ENROLL_ITG = struct.Struct(f">B{NAME_SIZE}sBBBB")  # ..., type, duplicate, timeout
_USER = struct.Struct(">H")
_USER_RECORD = struct.Struct(f">H{NAME_SIZE}sB")  # GET_USER_INFO reply
_VERIFY_REPLY = struct.Struct(f">H{NAME_SIZE}sBB")

_VERSION = {Sensor.FACE: "EZSIM-FM225 3.2.1", Sensor.PALM: "EZSIM-PALM 2.0.4"}
_SERIAL = {Sensor.FACE: "EZSIMFACE0001", Sensor.PALM: "EZSIMPALM0001"}
_DIRECTIONS = {
    Sensor.FACE: MIDDLE | RIGHT | LEFT | DOWN | UP,
    Sensor.PALM: MIDDLE | RIGHT | LEFT,
}

type _Outcome = tuple[int, bytes]


@dataclass(frozen=True, slots=True)
class _EnrollRequest:
    admin: int
    name: bytes
    direction: int
    timeout: int
    single: bool
    refuse_duplicate: bool


class _Enrollment:
    """An enrollment in progress: whose feature, and which directions are in."""

    def __init__(self, feature: bytes) -> None:
        self.feature = feature
        self.done = 0


class BiometricModule:
    """The face (``Sensor.FACE``) or palm-vein (``Sensor.PALM``) module's firmware."""

    def __init__(
        self,
        kind: Sensor,
        library: TemplateLibrary,
        *,
        send: Callable[[bytes], object],
        clock: Clock | None = None,
    ) -> None:
        """Serve ``library`` (50 user ids, 0..49); ``send`` writes to the UART.

        A face or palm stays in view ``FACE_DWELL`` seconds of ``clock``.
        """
        if kind not in _DIRECTIONS:
            raise ValueError(f"no EF AA module for {kind!r}")
        self.kind = kind
        self.library = library
        self.presence = Presence(FACE_DWELL, clock)
        self._send = send
        self._receiver = FrameReceiver(efaa_wire.MessageParser(), self._message)
        self._busy: tuple[int, asyncio.Task[None]] | None = None
        self._enrollment: _Enrollment | None = None
        self._names: dict[int, tuple[bytes, int]] = {}

    def wipe(self) -> None:
        """Forget every user and template (DEL_ALL; a new module from the factory)."""
        self.library.clear()
        self._names.clear()

    @property
    def commands(self) -> frozenset[int]:
        """The message ids this module answers with more than REJECTED."""
        common = {RESET, GET_STATUS, VERIFY, DEL_USER, DEL_ALL, GET_USER_INFO}
        common |= {FACE_RESET, GET_ALL_USERID, GET_VERSION, GET_SN, POWERDOWN}
        if self.kind is Sensor.FACE:
            return frozenset(common | {ENROLL, ENROLL_SINGLE, ENROLL_ITG})
        return frozenset(common | {PALM_ENROLL_ITG})

    def start(self) -> None:
        """Power on: the module announces it is ready (NOTE READY)."""
        self._send(efaa_wire.note(NID_READY))

    def receive(self, data: bytes) -> None:
        """Take bytes from the host; every complete command is run."""
        self._receiver.feed(data)

    def stop(self) -> None:
        """Power off: a waiting command is abandoned without a reply."""
        self._receiver.reset()
        self._abandon()
        self._enrollment = None

    def _abandon(self) -> int | None:
        """Cancel the waiting command, if any, and return which it was."""
        if self._busy is None:
            return None
        command, task = self._busy
        self._busy = None
        task.cancel()
        return command

    # -- commands ------------------------------------------------------------------------

    def _message(self, received: Message) -> None:
        command, data = received.message_id, received.data
        if command in (efaa_wire.REPLY, efaa_wire.NOTE):
            return  # module-to-host messages: nothing to answer
        try:
            self._command(command, data)
        except struct.error:
            _LOGGER.debug("%s module: bad 0x%02X", self.kind.name.lower(), command)
            self._reply(command, INVALID_PARAM)

    def _command(self, command: int, data: bytes) -> None:
        if command == RESET:
            if (aborted := self._abandon()) is not None:
                self._reply(aborted, ABORTED)
            self._enrollment = None
            self._reply(command, SUCCESS)
        elif command == GET_STATUS:
            status = STATUS_STANDBY if self._busy is None else STATUS_BUSY
            self._reply(command, SUCCESS, bytes((status,)))
        elif command not in self.commands:
            self._reply(command, REJECTED)
        elif self._busy is not None:
            self._reply(command, REJECTED)  # one capture at a time
        elif command == VERIFY:
            _, timeout = _VERIFY.unpack(data)
            self._start(command, self._verify(timeout))
        elif command in (ENROLL, ENROLL_SINGLE, ENROLL_ITG, PALM_ENROLL_ITG):
            self._start(command, self._enroll(command, _enroll_request(command, data)))
        elif command == FACE_RESET:
            self._enrollment = None
            self._reply(command, SUCCESS)
        elif command == DEL_USER:
            (user,) = _USER.unpack(data)
            self._delete(user)
        elif command == DEL_ALL:
            self.wipe()
            self._reply(command, SUCCESS)
        elif command == GET_USER_INFO:
            (user,) = _USER.unpack(data)
            if user not in self.library.slots():
                self._reply(command, UNKNOWN_USER)
            else:
                name, admin = self._names.get(user, (b"", 0))
                self._reply(command, SUCCESS, _USER_RECORD.pack(user, name, admin))
        elif command == GET_ALL_USERID:
            self._reply(command, SUCCESS, self._user_list())
        elif command == GET_VERSION:
            self._reply(command, SUCCESS, _VERSION[self.kind].encode().ljust(32, b"\0"))
        elif command == GET_SN:
            self._reply(
                command, SUCCESS, _SERIAL[self.kind].encode().ljust(32, b"\xff")
            )
        else:  # POWERDOWN: ready to lose power
            self._reply(command, SUCCESS)

    def _user_list(self) -> bytes:
        """Count, then every user id: the array keeps its full size, zero-padded."""
        users = sorted(self.library.slots())
        ids = b"".join(_USER.pack(user) for user in users)
        return bytes((len(users),)) + ids.ljust(2 * self.library.capacity, b"\0")

    def _start(self, command: int, work: Coroutine[Any, Any, _Outcome]) -> None:
        """Run a command that waits for a presentation; one at a time."""
        task = asyncio.get_running_loop().create_task(self._run(command, work))
        self._busy = (command, task)

    async def _run(self, command: int, work: Coroutine[Any, Any, _Outcome]) -> None:
        result, data = await work
        self._busy = None
        self._reply(command, result, data)

    async def _present(self, seconds: int) -> Presentation | None:
        """Wait (module side) up to ``seconds`` for someone in view."""
        return await self.presence.within(seconds)

    async def _verify(self, seconds: int) -> _Outcome:
        seen = await self._present(seconds)
        if seen is None:
            return TIMEOUT, b""
        if seen.spoof:
            return LIVENESS_CHECK, b""
        user = self.library.find(feature_of(seen.identity))
        if user is None:
            return (REJECTED if self.kind is Sensor.FACE else UNKNOWN_USER), b""
        name, admin = self._names.get(user, (b"", 0))
        last = ID_TYPE_PALM if self.kind is Sensor.PALM else 0x00
        return SUCCESS, _VERIFY_REPLY.pack(user, name, admin, last)

    async def _enroll(self, command: int, request: _EnrollRequest) -> _Outcome:
        complete = _DIRECTIONS[self.kind]
        direction = MIDDLE if request.single else request.direction
        if direction & ~complete or direction.bit_count() != 1:
            return INVALID_PARAM, b""
        if direction == MIDDLE:
            self._enrollment = None
            if self.library.free_slot() is None:
                return MAX_USER, b""
        elif self._enrollment is None:
            return REJECTED, b""  # a later direction without the first one
        seen = await self._present(request.timeout)
        if seen is None:
            return TIMEOUT, b""
        if seen.spoof:
            return LIVENESS_CHECK, b""
        feature = feature_of(seen.identity)
        if self._enrollment is None:
            existing = self.library.find(feature)
            if existing is not None and request.refuse_duplicate:
                return FACE_ENROLLED, self._enroll_reply(existing, direction)
            self._enrollment = _Enrollment(feature)
        enrollment = self._enrollment
        if feature != enrollment.feature:
            self._enrollment = None  # someone else stepped in: start over
            return UNKNOWN_REASON, b""
        enrollment.done |= direction
        if not request.single and enrollment.done != complete:
            return SUCCESS, self._enroll_reply(NO_USER, enrollment.done)
        self._enrollment = None
        user = self.library.free_slot()
        if user is None:
            return MAX_USER, b""
        self.library.store(user, feature)
        self._names[user] = (request.name, request.admin)
        return SUCCESS, self._enroll_reply(user, enrollment.done)

    def _enroll_reply(self, user: int, directions: int) -> bytes:
        """User id and directions; the palm module adds its enroll state."""
        reply = _USER.pack(user) + bytes((directions,))
        if self.kind is Sensor.PALM:
            done = user != NO_USER
            reply += bytes(
                (ENROLL_STATE_PALM_DONE if done else ENROLL_STATE_UNFINISHED,)
            )
        return reply

    def _delete(self, user: int) -> None:
        if user not in self.library.slots():
            self._reply(DEL_USER, UNKNOWN_USER)
            return
        self.library.delete(user)
        self._names.pop(user, None)
        self._reply(DEL_USER, SUCCESS)

    def _reply(self, command: int, result: int, data: bytes = b"") -> None:
        self._send(efaa_wire.reply(command, result, data))


def _enroll_request(command: int, data: bytes) -> _EnrollRequest:
    if command == ENROLL_ITG:
        admin, name, direction, kind, duplicate, timeout, _ = _ENROLL_ITG.unpack(data)
        return _EnrollRequest(admin, name, direction, timeout, kind == 1, not duplicate)
    if command == PALM_ENROLL_ITG:
        admin, name, direction, _, duplicate, timeout = _PALM_ENROLL_ITG.unpack(data)
        return _EnrollRequest(admin, name, direction, timeout, False, not duplicate)
    admin, name, direction, timeout = _ENROLL.unpack(data)
    return _EnrollRequest(
        admin, name, direction, timeout, command == ENROLL_SINGLE, False
    )
