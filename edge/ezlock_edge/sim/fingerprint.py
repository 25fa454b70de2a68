"""A virtual R503-style fingerprint module: the instruction set of the R503 User Manual.

The manual (Hangzhou Grow, "R503/R503-M22 Fingerprint Module User Manual", V1.4.1,
chapter V "Module Instruction System") defines each instruction's parameters, its
acknowledge package and confirmation codes; this module answers every instruction of its
instruction table with those lengths and codes (``docs/serial-protocol.md`` lists them
with the manual's page). Packages go through the module's own codec (:mod:`.ef01_wire`).

AutoEnroll and AutoIdentify run on their own: one command, then an acknowledge per key
step as fingers are presented (manual pp. 28-32, and its worked examples), until the
last step, a failure, a timeout (no finger for :data:`AUTO_TIMEOUT` seconds) or Cancel.
Meanwhile the module answers nothing but Cancel.

What a real module keeps in flash is kept in ``state_path`` (templates in their own
library file): the password, the module address, the system parameters and the notepad.
RAM (the image buffer, the six char buffers, whether the password was verified) is lost at
power-off and at SoftRst. After power-on and after SoftRst the module sends ``55``.

A simulated template (a "character file") is the 32-byte feature of the presented
identity followed by zeros up to :data:`CHAR_SIZE`; an image is the feature repeated over
:data:`IMAGE_SIZE` bytes. So templates and images uploaded by a host can be downloaded
again (to this or another simulated module) and still match.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging
from pathlib import Path
import random
import struct

from ezlock_edge.clock import Clock
from ezlock_edge.protocol.receiver import FrameReceiver

from . import ef01_wire, statefile
from .ef01_wire import Package
from .presence import FINGER_DWELL, Presence
from .templates import TemplateLibrary, feature_of

_LOGGER = logging.getLogger(__name__)

CHAR_BUFFERS = 6
"""Char buffers 1..6 (R503: up to six captures merged by RegModel / AutoEnroll)."""
CHAR_SIZE = 512
"""Bytes of one character file (template) transferred by UpChar / DownChar."""
IMAGE_SIZE = 192 * 192 // 2
"""Bytes of an uploaded image: 192 x 192 pixels, 4 bits each (manual, UpImage)."""
INFO_PAGE_SIZE = 512
NOTEPAD_PAGES = 16
NOTEPAD_PAGE_SIZE = 32
MATCH_SCORES = (60, 300)
"""Range of the scores a hit reports; hosts usually accept anything above 50."""
DEFAULT_ADDRESS = 0xFFFFFFFF
DEFAULT_PASSWORD = 0x00000000
PACKET_SIZES = (32, 64, 128, 256)
BAUD_FACTORS = (1, 2, 4, 6, 12)
AUTO_TIMEOUT = 10.0
"""Seconds AutoEnroll / AutoIdentify wait for a finger before giving up with 26H (the
manual's text says 10 s; its flow charts, p. 41-42, say 15 s)."""
AUTO_ID = 0xC8
"""AutoEnroll location ids 0xC8..0xFF: the module picks the first empty page."""
AUTO_CAPTURES = 6
"""Images AutoEnroll collects for one template."""
MODULE_TYPE = "R503"
FIRMWARE_VERSION = "EZSIM-R503 1.2.2"
ALGORITHM_VERSION = "EZSIM-ALG 1.0"

# Confirmation codes (manual, "Confirmation code" notes of each instruction).
OK = 0x00
PACKET_ERROR = 0x01
NO_FINGER = 0x02
IMAGE_FAIL = 0x03
IMAGE_MESSY = 0x06
FEATURE_FAIL = 0x07
NO_MATCH = 0x08
NOT_FOUND = 0x09
ENROLL_MISMATCH = 0x0A
BAD_LOCATION = 0x0B
READ_TEMPLATE_FAIL = 0x0C
UPLOAD_TEMPLATE_FAIL = 0x0D
RECEIVE_FAIL = 0x0E
UPLOAD_IMAGE_FAIL = 0x0F
DELETE_FAIL = 0x10
CLEAR_FAIL = 0x11
WRONG_PASSWORD = 0x13
NO_IMAGE = 0x15
FLASH_ERROR = 0x18
BAD_REGISTER = 0x1A
BAD_NOTEPAD_PAGE = 0x1C
MUST_VERIFY_PASSWORD = 0x21
TEMPLATE_EMPTY = 0x22
LIBRARY_EMPTY = 0x24
TIMEOUT = 0x26
ALREADY_EXISTS = 0x27
LIBRARY_FULL = 0x1F
LIBRARY_PAGES = 200
"""Template pages of an R503 (its datasheet's storage capacity; AutoEnroll's 0..C7)."""
MODULE_OK = 0x55
"""GetEcho's answer (R30x-family firmwares; what Adafruit's library checks for)."""

_STATUS_BUSY = 1 << 0
_STATUS_PASS = 1 << 1
_STATUS_PWD = 1 << 2
_STATUS_IMAGE = 1 << 3

type _Answer = tuple[int, bytes]
type _Handler = Callable[[bytes], _Answer | None]
"""An instruction: its acknowledge, or None when a background run answers it (Auto*)."""

# AutoEnroll steps (manual p. 29): collect image n = 2n - 1, generate feature n = 2n.
STEP_DUPLICATE_CHECK = 0x0D
STEP_MERGE = 0x0E
STEP_STORE = 0x0F
# AutoIdentify steps (manual p. 32).
STEP_COLLECT = 0x01
STEP_FEATURE = 0x02
STEP_SEARCH = 0x03


class _MalformedError(Exception):
    """Parameters of the wrong length: answered 01 (error when receiving package)."""


def _params(layout: str, params: bytes) -> tuple[int, ...]:
    shape = struct.Struct(">" + layout)
    if len(params) != shape.size:
        raise _MalformedError
    return shape.unpack(params)


def char_file(feature: bytes) -> bytes:
    """Return the character file a module uploads for ``feature``."""
    return feature.ljust(CHAR_SIZE, b"\0")


def image_of(feature: bytes) -> bytes:
    """Return the image a module uploads after capturing the finger of ``feature``."""
    return (feature * (IMAGE_SIZE // len(feature) + 1))[:IMAGE_SIZE]


class _Settings:
    """The module's flash, apart from the template library."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        stored = (statefile.load(path) if path is not None else None) or {}
        self.address: int = stored.get("address", DEFAULT_ADDRESS)
        self.password: int = stored.get("password", DEFAULT_PASSWORD)
        self.security_level: int = stored.get("security_level", 3)
        self.packet_size: int = stored.get("packet_size", 2)
        self.baud_factor: int = stored.get("baud_factor", 6)
        self.notepad: dict[int, bytes] = {
            int(page): bytes.fromhex(content)
            for page, content in stored.get("notepad", {}).items()
        }

    def save(self) -> None:
        if self._path is None:
            return
        statefile.save(
            self._path,
            {
                "address": self.address,
                "password": self.password,
                "security_level": self.security_level,
                "packet_size": self.packet_size,
                "baud_factor": self.baud_factor,
                "notepad": {str(p): c.hex() for p, c in sorted(self.notepad.items())},
            },
        )


class _Upload:
    """Data the host is sending with DownChar / DownImage."""

    def __init__(self, done: Callable[[bytes], None]) -> None:
        self.data = bytearray()
        self.done = done


class FingerprintModule:
    """The module's firmware: parses EF01 command packages, answers with acknowledges."""

    def __init__(
        self,
        library: TemplateLibrary,
        rng: random.Random,
        *,
        send: Callable[[bytes], None],
        state_path: Path | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Serve ``library``; ``send`` writes to the UART; flash settings in ``state_path``.

        A finger rests on the reader for ``FINGER_DWELL`` seconds of ``clock``.
        """
        self.library = library
        self.presence = Presence(FINGER_DWELL, clock)
        self.settings = _Settings(state_path)
        self.led: tuple[int, int, int, int] = (0x04, 0, 0x01, 0)
        """Last AuraLedConfig: control code, speed, colour index, times."""
        self._rng = rng
        self._send = send
        self._receiver = FrameReceiver(ef01_wire.PackageParser(), self._package)
        self._image: bytes | None = None
        self._buffers: dict[int, bytes] = {}
        self._verified = False
        self._passed = False
        self._upload: _Upload | None = None
        self._outgoing: bytes | None = None
        self._auto: asyncio.Task[None] | None = None
        self.auto_timeout = AUTO_TIMEOUT
        """Seconds an automatic command waits for each finger (tests shorten it)."""
        self._handlers: dict[int, _Handler] = {
            0x01: self._gen_img,
            0x02: self._img2tz,
            0x03: self._match,
            0x04: self._search,
            0x05: self._reg_model,
            0x06: self._store,
            0x07: self._load_char,
            0x08: self._up_char,
            0x09: self._down_char,
            0x0A: self._up_image,
            0x0B: self._down_image,
            0x0C: self._delete_char,
            0x0D: self._empty,
            0x0E: self._set_sys_para,
            0x0F: self._read_sys_para,
            0x12: self._set_pwd,
            0x13: self._vfy_pwd,
            0x14: self._get_random_code,
            0x15: self._set_address,
            0x16: self._read_inf_page,
            0x18: self._write_notepad,
            0x19: self._read_notepad,
            0x1B: self._search,  # HiSpeedSearch: same parameters and answer
            0x1D: self._template_num,
            0x1F: self._read_index_table,
            0x28: self._gen_img,  # GetImageEx: as GenImg (a simulated image is never poor)
            0x30: self._cancel,
            0x31: self._auto_enroll,
            0x32: self._auto_identify,
            0x35: self._aura_led_config,
            0x36: self._no_op,  # CheckSensor: the sensor is normal
            0x39: self._get_alg_ver,
            0x3A: self._get_fw_ver,
            0x3C: self._read_prod_info,
            0x3D: self._soft_reset,
            0x40: self._no_op,  # HandShake
            0x53: self._get_echo,
        }

    @property
    def instructions(self) -> frozenset[int]:
        """The instruction codes this module answers (others: 01)."""
        return frozenset(self._handlers)

    def start(self) -> None:
        """Power on: the module announces itself with ``55``."""
        self._send(ef01_wire.POWER_ON)

    def receive(self, data: bytes) -> None:
        """Take bytes from the host; every complete command package is answered."""
        self._receiver.feed(data)

    def stop(self) -> None:
        """Power off: RAM (image, char buffers, password check) is lost; flash stays."""
        self._receiver.reset()
        self._reset_ram()

    def _reset_ram(self) -> None:
        self._stop_auto()
        self._buffers.clear()
        self._image = None
        self._verified = False
        self._passed = False
        self._upload = None

    # -- packages --------------------------------------------------------------------

    def _package(self, received: Package) -> None:
        if received.address != self.settings.address:
            return  # for another module on the bus: never answered
        if received.identifier in (ef01_wire.DATA, ef01_wire.END_OF_DATA):
            self._data(received)
            return
        if received.identifier != ef01_wire.COMMAND or not received.content:
            return
        instruction, params = received.content[0], received.content[1:]
        if self._auto is not None and instruction != 0x30:
            return  # busy with AutoEnroll / AutoIdentify: only Cancel is heard
        self._upload = None  # a command ends any transfer the host abandoned
        handler = self._handlers.get(instruction)
        answer: _Answer | None
        if handler is None:
            answer = PACKET_ERROR, b""
        elif self._locked() and instruction != 0x13:
            answer = MUST_VERIFY_PASSWORD, b""
        else:
            try:
                answer = handler(params)
            except _MalformedError:
                _LOGGER.debug("fingerprint: instruction 0x%02X malformed", instruction)
                answer = PACKET_ERROR, b""
        if answer is None:
            return  # an automatic command: its run sends the acknowledges
        code, data = answer
        self._ack(code, data)
        if self._outgoing is not None:
            outgoing, self._outgoing = self._outgoing, None
            self._send_data(outgoing)
        if instruction == 0x3D and code == OK:
            self._reset_ram()
            self._send(ef01_wire.POWER_ON)

    def _locked(self) -> bool:
        return self.settings.password != DEFAULT_PASSWORD and not self._verified

    def _ack(self, code: int, data: bytes = b"") -> None:
        self._send(ef01_wire.acknowledge(self.settings.address, code, data))

    def _data(self, received: Package) -> None:
        upload = self._upload
        if upload is None:
            return  # data without DownChar / DownImage before it: ignored
        upload.data += received.content
        if received.identifier == ef01_wire.END_OF_DATA:
            self._upload = None
            upload.done(bytes(upload.data))

    def _send_data(self, data: bytes) -> None:
        """Send ``data`` after the acknowledge, in data packages of the set size."""
        size = PACKET_SIZES[self.settings.packet_size]
        chunks = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            identifier = ef01_wire.END_OF_DATA if last else ef01_wire.DATA
            self._send(ef01_wire.package(self.settings.address, identifier, chunk))

    # -- system-related instructions -------------------------------------------------

    def _vfy_pwd(self, params: bytes) -> _Answer:
        (password,) = _params("I", params)
        self._verified = password == self.settings.password
        return (OK if self._verified else WRONG_PASSWORD), b""

    def _set_pwd(self, params: bytes) -> _Answer:
        (password,) = _params("I", params)
        self.settings.password = password
        self.settings.save()
        self._verified = True
        return OK, b""

    def _set_address(self, params: bytes) -> _Answer:
        (address,) = _params("I", params)
        self.settings.address = address  # the acknowledge already uses the new one
        self.settings.save()
        return OK, b""

    def _set_sys_para(self, params: bytes) -> _Answer:
        number, value = _params("BB", params)
        settings = self.settings
        if number == 4 and value in BAUD_FACTORS:
            settings.baud_factor = value
        elif number == 5 and 1 <= value <= 5:
            settings.security_level = value
        elif number == 6 and 0 <= value < len(PACKET_SIZES):
            settings.packet_size = value
        else:
            return BAD_REGISTER, b""
        settings.save()
        return OK, b""

    def _read_sys_para(self, params: bytes) -> _Answer:
        _params("", params)
        settings = self.settings
        status = (
            (_STATUS_PASS if self._passed else 0)
            | (_STATUS_PWD if self._verified else 0)
            | (_STATUS_IMAGE if self._image is not None else 0)
        )
        return OK, struct.pack(
            ">HHHHIHH",
            status,
            0x0000,  # system identifier code, fixed
            self.library.capacity,
            settings.security_level,
            settings.address,
            settings.packet_size,
            settings.baud_factor,
        )

    def _template_num(self, params: bytes) -> _Answer:
        _params("", params)
        return OK, struct.pack(">H", len(self.library))

    def _read_index_table(self, params: bytes) -> _Answer:
        (index_page,) = _params("B", params)
        bitmap = bytearray(32)
        for page in self.library.slots():
            bit = page - index_page * 256
            if 0 <= bit < 256:
                bitmap[bit // 8] |= 1 << (bit % 8)
        return OK, bytes(bitmap)

    # -- fingerprint-processing instructions ------------------------------------------

    def _gen_img(self, params: bytes) -> _Answer:
        _params("", params)
        finger = self.presence.take()
        if finger is None:
            return NO_FINGER, b""
        self._image = image_of(feature_of(finger.identity))
        return OK, b""

    def _img2tz(self, params: bytes) -> _Answer:
        (buffer,) = _params("B", params)
        if self._image is None:
            return NO_IMAGE, b""
        if not 1 <= buffer <= CHAR_BUFFERS:
            return PACKET_ERROR, b""
        if buffer == 1:
            self._buffers.clear()  # a new capture sequence begins with buffer 1
        self._buffers[buffer] = self._image[:32]
        return OK, b""

    def _reg_model(self, params: bytes) -> _Answer:
        _params("", params)
        features = set(self._buffers.values())
        if len(self._buffers) < 2 or len(features) != 1:
            return ENROLL_MISMATCH, b""
        template = features.pop()
        self._buffers = dict.fromkeys(range(1, CHAR_BUFFERS + 1), template)
        return OK, b""

    def _match(self, params: bytes) -> _Answer:
        _params("", params)
        first, second = self._buffers.get(1), self._buffers.get(2)
        if first is None or first != second:
            return NO_MATCH, struct.pack(">H", 0)
        return OK, struct.pack(">H", self._rng.randint(*MATCH_SCORES))

    def _search(self, params: bytes) -> _Answer:
        buffer, start, count = _params("BHH", params)
        feature = self._buffers.get(buffer)
        page = None if feature is None else self.library.find(feature, start, count)
        self._passed = page is not None
        if page is None:
            return NOT_FOUND, struct.pack(">HH", 0, 0)
        return OK, struct.pack(">HH", page, self._rng.randint(*MATCH_SCORES))

    def _store(self, params: bytes) -> _Answer:
        buffer, page = _params("BH", params)
        if not 0 <= page < self.library.capacity:
            return BAD_LOCATION, b""
        if buffer not in self._buffers:
            return FEATURE_FAIL, b""
        self.library.store(page, self._buffers[buffer])
        return OK, b""

    def _load_char(self, params: bytes) -> _Answer:
        buffer, page = _params("BH", params)
        if not 0 <= page < self.library.capacity:
            return BAD_LOCATION, b""
        feature = self.library.template(page)
        if feature is None:
            return READ_TEMPLATE_FAIL, b""
        self._buffers[buffer] = feature
        return OK, b""

    def _delete_char(self, params: bytes) -> _Answer:
        page, count = _params("HH", params)
        if count < 1 or page + count > self.library.capacity:
            return DELETE_FAIL, b""
        self.library.delete(page, count)
        return OK, b""

    def _empty(self, params: bytes) -> _Answer:
        _params("", params)
        self.library.clear()
        return OK, b""

    def _up_char(self, params: bytes) -> _Answer:
        (buffer,) = _params("B", params)
        feature = self._buffers.get(buffer)
        if feature is None:
            return UPLOAD_TEMPLATE_FAIL, b""
        return self._then_send(char_file(feature))

    def _down_char(self, params: bytes) -> _Answer:
        (buffer,) = _params("B", params)
        if not 1 <= buffer <= CHAR_BUFFERS:
            return RECEIVE_FAIL, b""

        def received(data: bytes) -> None:
            self._buffers[buffer] = data[:32].ljust(32, b"\0")

        self._upload = _Upload(received)
        return OK, b""

    def _up_image(self, params: bytes) -> _Answer:
        _params("", params)
        if self._image is None:
            return UPLOAD_IMAGE_FAIL, b""
        return self._then_send(self._image)

    def _down_image(self, params: bytes) -> _Answer:
        _params("", params)

        def received(data: bytes) -> None:
            self._image = data.ljust(32, b"\0")

        self._upload = _Upload(received)
        return OK, b""

    def _then_send(self, data: bytes) -> _Answer:
        # The acknowledge goes first; the data packages follow it at once.
        self._outgoing = data
        return OK, b""

    # -- automatic commands (manual pp. 28-32, 6.3, 6.4) ----------------------------------

    def _cancel(self, params: bytes) -> _Answer:
        """Cancel (p. 25): stop a running AutoEnroll / AutoIdentify (it sends no more)."""
        _params("", params)
        self._stop_auto()
        return OK, b""

    def _stop_auto(self) -> None:
        if self._auto is not None:
            self._auto.cancel()
            self._auto = None

    def _run_auto(self, work: Callable[[], Awaitable[None]]) -> None:
        async def run() -> None:
            try:
                await work()
            finally:
                if self._auto is asyncio.current_task():
                    self._auto = None

        self._auto = asyncio.get_running_loop().create_task(run())

    async def _next_feature(self) -> bytes | None:
        """Wait for the next finger (None after ``auto_timeout``), image and feature."""
        finger = await self.presence.within(self.auto_timeout)
        if finger is None:
            return None
        self._image = image_of(feature_of(finger.identity))
        return self._image[:32]

    def _auto_enroll(self, params: bytes) -> _Answer | None:
        """AutoEnroll (p. 28): six images, duplicate check, merge, store; 5-byte acks."""
        location, cover, duplicates, steps, _leave = _params("BBBBB", params)
        library = self.library

        def ack(code: int, step: int, location: int = 0) -> None:
            self._ack(code, bytes((step, location)))

        if location >= AUTO_ID:
            free = library.free_slot()
            if free is None:
                return LIBRARY_FULL, bytes((0, 0))
            page = free
        elif location >= library.capacity:
            return BAD_LOCATION, bytes((0, location))
        elif not cover and location in library.slots():
            # 6.3: a taken page without "cover ID" allowed: 22H.
            return TEMPLATE_EMPTY, bytes((0, location))
        else:
            page = location

        async def enroll() -> None:
            features: list[bytes] = []
            for capture in range(1, AUTO_CAPTURES + 1):
                feature = await self._next_feature()
                if feature is None:
                    ack(TIMEOUT, 2 * capture - 1)
                    return
                if steps:
                    ack(OK, 2 * capture - 1)
                self._buffers[capture] = feature
                features.append(feature)
                if steps:
                    ack(OK, 2 * capture)
            # Every capture here comes from its own presentation: the finger has
            # always left in between, so "ask the finger to leave" changes nothing.
            if not duplicates and library.find(features[0]) is not None:
                ack(ALREADY_EXISTS, STEP_DUPLICATE_CHECK)
                return
            if steps:
                ack(OK, STEP_DUPLICATE_CHECK)
            if len(set(features)) != 1:
                ack(ENROLL_MISMATCH, STEP_MERGE)
                return
            if steps:
                ack(OK, STEP_MERGE)
            library.store(page, features[0])
            ack(OK, STEP_STORE, page)

        self._run_auto(enroll)
        return None

    def _auto_identify(self, params: bytes) -> _Answer | None:
        """AutoIdentify (p. 31): collect, feature, search; 8-byte acks."""
        level, start, count, steps, tries = _params("BBBBB", params)
        library = self.library

        def ack(code: int, step: int, page: int = 0, score: int = 0) -> None:
            self._ack(code, struct.pack(">BHH", step, page, score))

        nothing = struct.pack(">BHH", 0, 0, 0)
        if not 1 <= level <= 5:
            return PACKET_ERROR, nothing  # 6.4: "Level parameter error, return 01"
        if start >= library.capacity or count == 0:
            return BAD_LOCATION, nothing  # 6.4: "Position error, return 0B"
        if not library:
            return LIBRARY_EMPTY, nothing

        async def identify() -> None:
            failures = 0
            while True:
                feature = await self._next_feature()
                if feature is None:
                    ack(TIMEOUT, STEP_COLLECT)
                    return
                if steps:
                    ack(OK, STEP_COLLECT)
                    ack(OK, STEP_FEATURE)
                self._buffers[1] = feature
                page = library.find(feature, start, count)
                self._passed = page is not None
                if page is not None:
                    ack(OK, STEP_SEARCH, page, self._rng.randint(*MATCH_SCORES))
                    return
                failures += 1
                if tries and failures >= tries:  # 0: search until a finger matches
                    ack(NOT_FOUND, STEP_SEARCH)
                    return

        self._run_auto(identify)
        return None

    # -- other instructions ------------------------------------------------------------

    def _get_random_code(self, params: bytes) -> _Answer:
        _params("", params)
        return OK, self._rng.getrandbits(32).to_bytes(4, "big")

    def _read_inf_page(self, params: bytes) -> _Answer:
        _params("", params)
        return self._then_send(self._prod_info().ljust(INFO_PAGE_SIZE, b"\0"))

    def _write_notepad(self, params: bytes) -> _Answer:
        if len(params) != 1 + NOTEPAD_PAGE_SIZE:
            raise _MalformedError
        page = params[0]
        if page >= NOTEPAD_PAGES:
            return BAD_NOTEPAD_PAGE, b""
        self.settings.notepad[page] = params[1:]
        self.settings.save()
        return OK, b""

    def _read_notepad(self, params: bytes) -> _Answer:
        (page,) = _params("B", params)
        if page >= NOTEPAD_PAGES:
            return BAD_NOTEPAD_PAGE, b""
        return OK, self.settings.notepad.get(page, bytes(NOTEPAD_PAGE_SIZE))

    def _aura_led_config(self, params: bytes) -> _Answer:
        control, speed, colour, times = _params("BBBB", params)
        self.led = (control, speed, colour, times)
        return OK, b""

    def _get_alg_ver(self, params: bytes) -> _Answer:
        _params("", params)
        return OK, ALGORITHM_VERSION.encode().ljust(32, b"\0")

    def _get_fw_ver(self, params: bytes) -> _Answer:
        _params("", params)
        return OK, FIRMWARE_VERSION.encode().ljust(32, b"\0")

    def _read_prod_info(self, params: bytes) -> _Answer:
        _params("", params)
        return OK, self._prod_info()

    def _prod_info(self) -> bytes:
        """ReadProdInfo's 46 bytes (manual, ReadProdInfo table)."""
        return struct.pack(
            ">16s4s8sBB8sHHHH",
            MODULE_TYPE.encode(),
            b"SIM1",
            b"00000001",
            1,
            2,
            b"EZSIM192",
            192,
            192,
            CHAR_SIZE,
            self.library.capacity,
        )

    def _soft_reset(self, params: bytes) -> _Answer:
        _params("", params)
        return OK, b""  # RAM is cleared and 55 sent once the acknowledge is out

    def _get_echo(self, params: bytes) -> _Answer:
        _params("", params)
        return MODULE_OK, b""

    def _no_op(self, params: bytes) -> _Answer:
        _params("", params)
        return OK, b""
