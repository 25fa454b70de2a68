"""``FingerprintDevice``: identify, enroll (L-09, L-24), delete and list templates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import logging

from ezlock_edge.clock import Clock, sleep
from ezlock_edge.devices.models import FingerMatch
from ezlock_edge.framing.ef01 import (
    DEFAULT_ADDRESS,
    DEFAULT_PASSWORD,
    INDEX_PAGE_SIZE,
    AutoIdentifyParams,
    AutoIdentifyStep,
    ConfirmationCode,
    DeleteParams,
    Instruction,
    SearchParams,
    SearchResult,
    StoreParams,
    SystemParameters,
    decode_index_table,
    encode_u8,
)
from ezlock_edge.framing.errors import DecodeError
from ezlock_edge.protocol.ef01 import TIMEOUT as ACK_TIMEOUT, Ef01Link
from ezlock_edge.transport import SerialPort
from ezlock_edge.vocabulary.errors import (
    DeviceError,
    DeviceRejected,
    DeviceTimeout,
    DuplicateTemplate,
    SlotOccupied,
)
from ezlock_edge.vocabulary.link import LinkState
from ezlock_edge.vocabulary.modules import FINGERPRINT_BAUDRATE

from .uart import UartDevice

_LOGGER = logging.getLogger(__name__)

BAUDRATE = FINGERPRINT_BAUDRATE
SLOTS = 50
"""Template pages the lock uses: 0..49 (L-22); the module's library may be larger."""
MAX_CAPTURES = 6
"""Char buffers of an R503: the most captures one enrollment can merge."""
POLL_INTERVAL = 0.1
"""Seconds between GenImg calls while waiting for a finger."""
_NOT_FOUND = frozenset({ConfirmationCode.NOT_FOUND, ConfirmationCode.NO_MATCH})
_RETAKE = frozenset(
    {
        ConfirmationCode.NO_FINGER,
        ConfirmationCode.IMAGE_FAIL,
        ConfirmationCode.IMAGE_MESSY,
        ConfirmationCode.FEATURE_FAIL,
        ConfirmationCode.NO_IMAGE,
    }
)
"""Results that mean "no usable finger yet": keep polling for the next presentation."""
_UNKNOWN_INSTRUCTION = frozenset(
    {ConfirmationCode.PACKET_ERROR, ConfirmationCode.UNSUPPORTED_COMMAND}
)
"""How a module without AutoIdentify (an R30x, an older R503) refuses it."""
_PROBES = 2
"""AutoIdentify commands bare-refused with 01 in a row that say the module lacks it."""

type Progress = Callable[[int, int], Awaitable[None]]


class FingerprintDevice(UartDevice):
    """An R30x / R503-style fingerprint module."""

    def __init__(
        self,
        port: SerialPort,
        link: Ef01Link,
        *,
        poll_interval: float = POLL_INTERVAL,
        clock: Clock | None = None,
    ) -> None:
        """Use :meth:`open`; this wires an already created port and link.

        ``poll_interval``: seconds of the port's clock between two looks for a finger.
        ``clock``: the lock's, on which a person is given time to present a finger
        (the port's by default).
        """
        super().__init__(port)
        self._link = link
        self._clock = clock or port.clock
        self._wire_clock = port.clock
        self._poll_interval = poll_interval
        # Learnt from the module, forgotten when its cable is pulled (another module
        # may come back): whether it has AutoIdentify, and its security level.
        self._automatic: bool | None = None
        self._security_level: int | None = None
        port.add_state_listener(self._link_changed)

    @classmethod
    async def open(
        cls,
        url: str,
        baudrate: int = BAUDRATE,
        *,
        address: int = DEFAULT_ADDRESS,
        password: int = DEFAULT_PASSWORD,
        clock: Clock | None = None,
        wire_clock: Clock | None = None,
    ) -> FingerprintDevice:
        """Open the port (a missing module is reconnected when it appears).

        ``address`` and ``password`` are the module's own (R503 manual: SetAdder,
        SetPwd); a module configured by another host keeps them. How long a finger
        is waited for runs on ``clock``; timeouts, polling and reconnection on
        ``wire_clock`` (both the system's by default; ``wire_clock`` is ``clock``'s).
        """
        port = SerialPort(url, baudrate, name="fingerprint", clock=wire_clock or clock)
        link = Ef01Link(port, address=address, password=password)
        await port.start()
        return cls(port, link, clock=clock)

    async def identify(self, timeout: float = 2.0) -> FingerMatch | None:  # noqa: ASYNC109 - contract
        """Capture the finger on the reader and search it among the 50 slots.

        Returns None for an unknown finger; raises DeviceTimeout if no finger was
        presented within ``timeout`` seconds.

        First one AutoIdentify (R503 manual p. 31), where the module has it: one
        command and one answer instead of GenImg, Img2Tz and Search, each waiting for
        the one before. The MCU wakes the reader when a finger touches it, so the
        module answers at once; anything else (no answer within the acknowledgement
        timeout, an empty library, a poor image, a module without the command) goes
        on the classic way, GenImg until a finger is there, Img2Tz, Search, within
        the same ``timeout``.
        """
        deadline = self._clock.monotonic() + timeout
        if self._automatic is not False:
            decided, found = await self._auto_identify()
            if decided:
                return found
        remaining = max(0.0, deadline - self._clock.monotonic())
        await self._capture(1, remaining)
        return await self._search()

    async def _auto_identify(self) -> tuple[bool, FingerMatch | None]:
        """AutoIdentify at the module's security level, one try: (decided, match).

        A bare 01 is how a module without AutoIdentify refuses it, and also how one
        with it answers a command package damaged on the way (01H, error when
        receiving the package): it is sent once more at once, and only a second bare
        01, or FC (unsupported), says the module lacks it. An answer with a step,
        page and score, whatever its code, comes from a module that has it.
        """
        params = AutoIdentifyParams(
            await self._level(), 0, SLOTS, steps=0, tries=1
        ).encode()
        for tried in range(1, _PROBES + 1):
            async with self._link.exclusive():
                try:
                    code, data = await self._link.command(
                        Instruction.AUTO_IDENTIFY,
                        params,
                        wait=(ACK_TIMEOUT, self._wire_clock),
                    )
                except DeviceTimeout:
                    # No finger captured yet (or the command or its answer was
                    # lost): stop it before any other command, which the module
                    # would not hear while it runs (p. 25). At once: a finger whose
                    # answer was lost is still on the reader, for as long as a
                    # finger rests there.
                    await self._cancel()
                    return _UNDECIDED
            if data or code not in _UNKNOWN_INSTRUCTION:
                break
            if code is ConfirmationCode.UNSUPPORTED_COMMAND or tried == _PROBES:
                self._automatic = False  # an R30x: the classic way from now on
                return _UNDECIDED
        step = _auto_step(data)
        self._automatic = True
        if code is ConfirmationCode.OK:
            return True, FingerMatch(step.page, step.score)
        if code in _NOT_FOUND:
            return True, None
        # 24 an empty library (GenImg tells whether a finger is there at all), a
        # poor image, a timeout of the module's own: the classic way.
        return _UNDECIDED

    async def _cancel(self) -> None:
        """Cancel a running AutoIdentify; a module that does not know Cancel lacks both.

        Only FC says so: a bare 01 may be a late refusal of AutoIdentify by a module
        without it or Cancel's package damaged on the way, and the next AutoIdentify
        finds out which.
        """
        try:
            code, _ = await self._link.command(Instruction.CANCEL, bare=True)
        except DeviceError as err:  # the next command finds out what is wrong
            _LOGGER.debug("fingerprint module: Cancel not answered: %s", err)
            return
        if code is ConfirmationCode.UNSUPPORTED_COMMAND:
            self._automatic = False

    async def _level(self) -> int:
        """Return the module's security level (ReadSysPara), Search's level too."""
        if self._security_level is None:
            await self._system_parameters()
        assert self._security_level is not None  # noqa: S101 -- set just above
        return self._security_level

    async def _system_parameters(self) -> SystemParameters:
        code, data = await self._link.command(Instruction.READ_SYS_PARA)
        _check(code, "ReadSysPara")
        try:
            parameters = SystemParameters.decode(data)
        except DecodeError as err:
            raise DeviceRejected(f"fingerprint module: {err}") from None
        self._security_level = parameters.security_level
        return parameters

    def _link_changed(self, state: LinkState) -> None:
        if state is LinkState.DISCONNECTED:
            self._automatic = self._security_level = None

    async def enroll(
        self,
        slot: int,
        captures: int = 4,
        progress: Progress | None = None,
        capture_timeout: float = 10.0,
    ) -> None:
        """Enroll one finger into ``slot`` from ``captures`` presentations.

        Raises DuplicateTemplate if that finger is already stored (L-24), and
        DeviceTimeout if a presentation does not come within ``capture_timeout``.
        """
        if not 0 <= slot < SLOTS:
            raise ValueError(f"slot {slot} outside 0..{SLOTS - 1}")
        if not 2 <= captures <= MAX_CAPTURES:
            raise ValueError(f"captures {captures} outside 2..{MAX_CAPTURES}")
        for step in range(1, captures + 1):
            await self._capture(step, capture_timeout)
            if progress is not None:
                await progress(step, captures)
        code, _ = await self._link.command(Instruction.REG_MODEL)
        if code is ConfirmationCode.ENROLL_MISMATCH:
            raise DeviceRejected("the captures are not all of the same finger")
        _check(code, "RegModel")
        duplicate = await self._search()
        if duplicate is not None:
            raise DuplicateTemplate(duplicate.slot)
        if slot in await self._index_page(slot // INDEX_PAGE_SIZE):
            # A template this lock's core does not know, stored by another host (or
            # before a factory reset of the core): never overwritten silently.
            raise SlotOccupied(slot)
        code, _ = await self._link.command(
            Instruction.STORE, StoreParams(1, slot).encode()
        )
        _check(code, "Store")

    async def delete(self, slot: int) -> None:
        """Delete the template in ``slot`` (an empty slot stays empty)."""
        code, _ = await self._link.command(
            Instruction.DELETE_CHAR, DeleteParams(slot, 1).encode()
        )
        _check(code, "DeleteChar")

    async def delete_all(self) -> None:
        """Delete every template."""
        code, _ = await self._link.command(Instruction.EMPTY)
        _check(code, "Empty")

    async def slots(self) -> set[int]:
        """Return every page of the module's library that holds a template.

        The whole library, not only the lock's pages 0..49: an R503 has 200 pages
        (ReadSysPara's library size), and templates another host stored anywhere in
        it are reported. One ReadIndexTable per 256 pages.
        """
        size = (await self._system_parameters()).library_size
        pages: set[int] = set()
        for index_page in range(max(1, -(-size // INDEX_PAGE_SIZE))):
            pages |= await self._index_page(index_page)
        return pages

    async def _index_page(self, index_page: int) -> set[int]:
        """Return the used pages of one ReadIndexTable page (256 template pages)."""
        code, data = await self._link.command(
            Instruction.READ_INDEX_TABLE, encode_u8(index_page)
        )
        _check(code, "ReadIndexTable")
        try:
            return decode_index_table(data, index_page)
        except DecodeError as err:
            raise DeviceRejected(f"fingerprint module: {err}") from None

    async def _capture(self, buffer: int, seconds: float) -> None:
        """Wait for a finger, then extract its features into char ``buffer``."""
        deadline = self._clock.monotonic() + seconds
        while True:
            code, _ = await self._link.command(Instruction.GEN_IMG)
            if code is ConfirmationCode.OK:
                code, _ = await self._link.command(
                    Instruction.IMG2TZ, encode_u8(buffer)
                )
                if code is ConfirmationCode.OK:
                    return
            if code not in _RETAKE:
                _check(code, "capture")
            if self._clock.monotonic() >= deadline:
                raise DeviceTimeout(f"no finger on the sensor within {seconds:g} s")
            await sleep(self._wire_clock, self._poll_interval)

    async def _search(self) -> FingerMatch | None:
        code, data = await self._link.command(
            Instruction.SEARCH, SearchParams(1, 0, SLOTS).encode()
        )
        if code in _NOT_FOUND:
            return None
        _check(code, "Search")
        try:
            hit = SearchResult.decode(data)
        except DecodeError as err:
            raise DeviceRejected(f"fingerprint module: {err}") from None
        return FingerMatch(hit.page, hit.score)


_UNDECIDED: tuple[bool, FingerMatch | None] = (False, None)
"""AutoIdentify did not decide: identify the classic way (GenImg, Img2Tz, Search)."""


def _auto_step(data: bytes) -> AutoIdentifyStep:
    """Return an AutoIdentify acknowledge's step (a bare refusal has none: step 0)."""
    if not data:
        return AutoIdentifyStep(0, 0, 0)
    try:
        return AutoIdentifyStep.decode(data)
    except DecodeError as err:
        raise DeviceRejected(f"fingerprint module: {err}") from None


def _check(code: ConfirmationCode, what: str) -> None:
    if code is not ConfirmationCode.OK:
        raise DeviceRejected(f"fingerprint module: {what} failed: {code.name}")
