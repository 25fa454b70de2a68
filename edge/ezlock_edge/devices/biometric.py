"""``BiometricDevice``: the face (5 poses, L-10) and palm-vein (L-11) modules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
from enum import IntEnum
import logging
import math

from ezlock_edge.clock import Clock
from ezlock_edge.devices.models import BiometricMatch
from ezlock_edge.framing.efaa import (
    FACE_POSES,
    NO_USER,
    PALM_PRESENTATIONS,
    Direction,
    EnrollParams,
    EnrollResult,
    MsgId,
    Reply,
    Result,
    VerifyParams,
    VerifyResult,
    decode_user,
    decode_user_list,
    encode_user,
)
from ezlock_edge.framing.errors import DecodeError
from ezlock_edge.protocol.efaa import EfaaLink
from ezlock_edge.transport import SerialPort
from ezlock_edge.vocabulary.errors import (
    CapacityFull,
    DeviceError,
    DeviceRejected,
    DeviceTimeout,
    DuplicateTemplate,
    LivenessFailed,
)
from ezlock_edge.vocabulary.modules import BIOMETRIC_BAUDRATE

from .uart import UartDevice

_LOGGER = logging.getLogger(__name__)

BAUDRATE = BIOMETRIC_BAUDRATE
_NOT_RECOGNISED = frozenset({Result.REJECTED, Result.UNKNOWN_USER})
"""VERIFY answers for a person the module does not know: HLK-FM22x face modules answer
REJECTED (what ESPHome's hlk_fm22x expects), the palm module's firmware UNKNOWN_USER.
The driver sends one command at a time, so REJECTED cannot mean "busy" here."""
MAX_MODULE_TIMEOUT = 255
"""The modules take their timeout as one byte of seconds."""

type Progress = Callable[[int, int], Awaitable[None]]


class ModuleStatus(IntEnum):
    """GET_STATUS's answer (FM22x host protocol, MS_*)."""

    STANDBY = 0
    BUSY = 1
    ERROR = 2
    INVALID = 3


@dataclass(frozen=True, slots=True)
class Modality:
    """How one kind of module enrolls."""

    name: str
    enroll_command: MsgId
    steps: tuple[Direction, ...]


FACE = Modality("face", MsgId.ENROLL_ITG, FACE_POSES)
PALM = Modality("palm", MsgId.PALM_ENROLL_ITG, PALM_PRESENTATIONS)


class BiometricDevice(UartDevice):
    """An FM225-style face module, or a palm-vein module speaking the same protocol."""

    def __init__(
        self,
        port: SerialPort,
        link: EfaaLink,
        modality: Modality,
        *,
        clock: Clock | None = None,
    ) -> None:
        """Use :meth:`open`; this wires an already created port and link.

        ``clock``: the lock's, on which a VERIFY or ENROLL waits for the person (and
        the module's answer after it); the port's by default.
        """
        super().__init__(port)
        self._link = link
        self._clock = clock or port.clock
        self.modality = modality

    @classmethod
    async def open(
        cls,
        url: str,
        modality: Modality,
        baudrate: int = BAUDRATE,
        *,
        clock: Clock | None = None,
        wire_clock: Clock | None = None,
    ) -> BiometricDevice:
        """Open the port (a missing module is reconnected when it appears).

        How long a person is waited for runs on ``clock``; timeouts and reconnection
        on ``wire_clock`` (both the system's by default; ``wire_clock`` is ``clock``'s).
        """
        port = SerialPort(url, baudrate, name=modality.name, clock=wire_clock or clock)
        link = EfaaLink(port)
        await port.start()
        device = cls(port, link, modality, clock=clock)
        await device._check_status()
        return device

    async def status(self) -> ModuleStatus:
        """GET_STATUS: standby, busy, error or invalid (not initialised)."""
        reply = await self._link.command(MsgId.GET_STATUS)
        self._check(reply)
        if not reply.data:
            raise DeviceRejected(f"{self.modality.name} module: empty status")
        try:
            return ModuleStatus(reply.data[0])
        except ValueError:
            raise DeviceRejected(
                f"{self.modality.name} module: status {reply.data[0]}"
            ) from None

    async def _check_status(self) -> None:
        """Ask a module that is present whether it works, as hosts do at start.

        A module that does not answer may be missing or still booting: it is used
        when it answers (its NOTE READY is only logged). One in the error state is
        reset.
        """
        try:
            status = await self.status()
        except DeviceError as err:
            _LOGGER.warning(
                "%s module: no status at start: %s", self.modality.name, err
            )
            return
        if status is not ModuleStatus.STANDBY:
            _LOGGER.warning(
                "%s module is %s: resetting it", self.modality.name, status.name
            )
            self._check(await self._link.command(MsgId.RESET))

    async def verify(self, timeout: float = 5.0) -> BiometricMatch | None:  # noqa: ASYNC109 - contract
        """Match the face or palm in view.

        Returns None for an unknown person; raises LivenessFailed for a spoof and
        DeviceTimeout if nobody was presented within ``timeout`` seconds.
        """
        seconds = _module_seconds(timeout)
        reply = await self._link.capture(
            MsgId.VERIFY, VerifyParams(seconds).encode(), seconds, clock=self._clock
        )
        if reply.result in _NOT_RECOGNISED:
            return None
        self._check(reply)
        return BiometricMatch(self._decode(VerifyResult.decode, reply.data).user_id)

    async def enroll(
        self,
        progress: Progress | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - contract
    ) -> int:
        """Enroll from one presentation per step (5 face poses, 3 palm presentations).

        Returns the slot the module stored the template in. Raises
        DuplicateTemplate, CapacityFull, LivenessFailed, or DeviceTimeout if a step's
        presentation does not come within ``timeout`` seconds.
        """
        seconds = _module_seconds(timeout)
        steps = self.modality.steps
        result = EnrollResult(NO_USER, Direction(0))
        for step, direction in enumerate(steps, start=1):
            reply = await self._link.capture(
                self.modality.enroll_command,
                EnrollParams(direction, seconds, palm=self.modality is PALM).encode(),
                seconds,
                clock=self._clock,
            )
            if reply.result is Result.FACE_ENROLLED:
                raise DuplicateTemplate(await self._enrolled_as(reply.data, seconds))
            self._check(reply)
            result = self._decode(EnrollResult.decode, reply.data)
            if progress is not None:
                await progress(step, len(steps))
        if result.user_id == NO_USER or result.done != _combined(steps):
            raise DeviceRejected(
                f"{self.modality.name} module did not complete the enrollment"
            )
        return result.user_id

    async def _enrolled_as(self, data: bytes, seconds: int) -> int | None:
        """Which user already has the face (palm) a FACE_ENROLLED reply refused.

        Modules answer with the user id (the FM22x headers' reply), with FFFF and the
        directions done (kzh92/cvi_test_projects' PusinLock firmware), or with no data
        at all (XmSilicon's face module firmware). Without an id the person is still in
        front of the module: the driver forgets the unfinished enrollment (FACE_RESET)
        and asks with a VERIFY; None when that finds nobody it knows.
        """
        if len(data) >= 2 and (user := decode_user(data)) != NO_USER:
            return user
        name = self.modality.name
        _LOGGER.info("%s module: already enrolled, user not named; asking", name)
        with contextlib.suppress(DeviceError):
            await self._link.command(MsgId.FACE_RESET)
        try:
            match = await self.verify(seconds)
        except DeviceError as err:
            _LOGGER.warning("%s module: could not tell whose it is: %s", name, err)
            return None
        return match.slot if match is not None else None

    async def delete(self, slot: int) -> None:
        """Delete the template in ``slot`` (deleting an empty slot is not an error)."""
        reply = await self._link.command(MsgId.DEL_USER, encode_user(slot))
        if reply.result is not Result.UNKNOWN_USER:
            self._check(reply)

    async def delete_all(self) -> None:
        """Delete every template."""
        self._check(await self._link.command(MsgId.DEL_ALL))

    async def slots(self) -> set[int]:
        """Return the slots that hold a template."""
        reply = await self._link.command(MsgId.GET_ALL_USERID)
        self._check(reply)
        return self._decode(decode_user_list, reply.data)

    def _check(self, reply: Reply) -> None:
        name = self.modality.name
        match reply.result:
            case Result.SUCCESS:
                return
            case Result.MAX_USER:
                raise CapacityFull(f"all {name} slots are used")
            case Result.LIVENESS_CHECK:
                raise LivenessFailed(f"{name} module: liveness check failed")
            case Result.TIMEOUT:
                raise DeviceTimeout(f"nobody presented to the {name} module")
        raise DeviceRejected(f"{name} module: {reply.command.name} {reply.result.name}")

    def _decode[T](self, decode: Callable[[bytes], T], data: bytes) -> T:
        try:
            return decode(data)
        except DecodeError as err:
            raise DeviceRejected(f"{self.modality.name} module: {err}") from None


def _module_seconds(timeout: float) -> int:
    return max(1, min(MAX_MODULE_TIMEOUT, math.ceil(timeout)))


def _combined(steps: tuple[Direction, ...]) -> Direction:
    combined = Direction(0)
    for step in steps:
        combined |= step
    return combined
