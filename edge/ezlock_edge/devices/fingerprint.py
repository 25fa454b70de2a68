"""``FingerprintDevice``: identify, enroll (L-09, L-24), delete and list templates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ezlock_edge.clock import Clock, sleep
from ezlock_edge.devices.models import FingerMatch
from ezlock_edge.framing.ef01 import (
    DEFAULT_ADDRESS,
    DEFAULT_PASSWORD,
    INDEX_PAGE_SIZE,
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
from ezlock_edge.protocol.ef01 import Ef01Link
from ezlock_edge.transport import SerialPort
from ezlock_edge.vocabulary.errors import (
    DeviceRejected,
    DeviceTimeout,
    DuplicateTemplate,
    SlotOccupied,
)
from ezlock_edge.vocabulary.modules import FINGERPRINT_BAUDRATE

from .uart import UartDevice

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
        """
        await self._capture(1, timeout)
        return await self._search()

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
        code, data = await self._link.command(Instruction.READ_SYS_PARA)
        _check(code, "ReadSysPara")
        try:
            size = SystemParameters.decode(data).library_size
        except DecodeError as err:
            raise DeviceRejected(f"fingerprint module: {err}") from None
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


def _check(code: ConfirmationCode, what: str) -> None:
    if code is not ConfirmationCode.OK:
        raise DeviceRejected(f"fingerprint module: {what} failed: {code.name}")
