"""Fingerprint module packets, R30x / R503 "EF01" protocol (docs/serial-protocol.md).

``EF 01 | address(4) | pid(1) | len(2, BE) | payload | sum(2, BE)`` where ``len`` is
payload + 2 and ``sum`` is the 16-bit sum of pid, both len bytes and the payload.
Command payloads are ``instruction | parameters``; ACK payloads are
``confirmation code | data``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
import struct

from ezlock_edge.vocabulary.modules import FINGERPRINT_ADDRESS, FINGERPRINT_PASSWORD

from .errors import DecodeError
from .fields import unpack_exact
from .stream import StreamParser

SYNC = b"\xef\x01"
DEFAULT_ADDRESS = FINGERPRINT_ADDRESS
DEFAULT_PASSWORD = FINGERPRINT_PASSWORD
MAX_PAYLOAD = 256
"""Largest payload a module sends (a data packet at the 256-byte packet size)."""
_HEADER = struct.Struct(">2sIBH")  # sync, address, pid, len


class PacketId(IntEnum):
    """Packet identifier byte."""

    COMMAND = 0x01
    DATA = 0x02
    ACK = 0x07
    END_OF_DATA = 0x08


class Instruction(IntEnum):
    """Instruction codes of the R503 User Manual's chapter V."""

    GEN_IMG = 0x01  # capture an image; NO_FINGER while nothing is on the sensor
    IMG2TZ = 0x02  # extract features from the image into a char buffer (u8)
    MATCH = 0x03  # compare char buffers 1 and 2 -> score u16
    SEARCH = 0x04  # 1:N search: buffer u8, start u16, count u16 -> page u16, score u16
    REG_MODEL = 0x05  # merge the char buffers into one template
    STORE = 0x06  # buffer u8, page u16
    LOAD_CHAR = 0x07  # buffer u8, page u16: template from flash into a char buffer
    UP_CHAR = 0x08  # buffer u8: upload a char buffer (data packages follow the ACK)
    DOWN_CHAR = 0x09  # buffer u8: download into a char buffer (host sends data)
    UP_IMAGE = 0x0A
    DOWN_IMAGE = 0x0B
    DELETE_CHAR = 0x0C  # page u16, count u16
    EMPTY = 0x0D  # delete every template
    SET_SYS_PARA = 0x0E  # parameter number u8, value u8
    READ_SYS_PARA = 0x0F  # -> 16 bytes of system parameters
    SET_PWD = 0x12  # password u32
    VFY_PWD = 0x13  # password u32
    GET_RANDOM_CODE = 0x14  # -> u32
    SET_ADDRESS = 0x15  # address u32 (the ACK already uses the new address)
    READ_INF_PAGE = 0x16
    WRITE_NOTEPAD = 0x18  # page u8, 32 bytes
    READ_NOTEPAD = 0x19  # page u8 -> 32 bytes
    HIGH_SPEED_SEARCH = 0x1B  # as SEARCH
    TEMPLATE_NUM = 0x1D  # -> count u16
    READ_INDEX_TABLE = 0x1F  # index page u8 -> 32-byte bitmap of used pages
    GET_IMAGE_EX = 0x28  # as GEN_IMG, FEATURE_FAIL for a poor image
    CANCEL = 0x30  # stops a running AUTO_ENROLL / AUTO_IDENTIFY
    AUTO_ENROLL = 0x31  # page u8, cover, duplicates, key steps, leave -> step, page
    AUTO_IDENTIFY = 0x32  # level, start, count, key steps, tries -> step, page, score
    AURA_LED_CONFIG = 0x35  # control, speed, colour index, times (u8 each)
    CHECK_SENSOR = 0x36
    GET_ALG_VER = 0x39  # -> 32 bytes
    GET_FW_VER = 0x3A  # -> 32 bytes
    READ_PROD_INFO = 0x3C  # -> 46 bytes (V1.4.1: length 0031H)
    SOFT_RESET = 0x3D  # the module sends 55 once it has restarted
    HANDSHAKE = 0x40


class ConfirmationCode(IntEnum):
    """First byte of every ACK payload (R503 User Manual V1.4.1, pp. 9-10)."""

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
    NO_IMAGE = 0x15  # no valid image in the image buffer
    FLASH_ERROR = 0x18
    UNDEFINED_ERROR = 0x19
    BAD_REGISTER = 0x1A
    BAD_REGISTER_CONFIG = 0x1B
    BAD_NOTEPAD_PAGE = 0x1C
    PORT_FAIL = 0x1D
    LIBRARY_FULL = 0x1F
    BAD_ADDRESS = 0x20
    MUST_VERIFY_PASSWORD = 0x21
    TEMPLATE_EMPTY = 0x22
    LIBRARY_EMPTY = 0x24
    TIMEOUT = 0x26
    ALREADY_EXISTS = 0x27
    FEATURES_CORRELATED = 0x28  # GenChar with a registration logic set (manual 6.2.1)
    SENSOR_ABNORMAL = 0x29
    MODULE_OK = 0x55  # GetEcho's answer on R30x-family firmwares
    UNSUPPORTED_COMMAND = 0xFC
    HARDWARE_ERROR = 0xFD
    EXECUTION_FAILURE = 0xFE


@dataclass(frozen=True, slots=True)
class Ef01Packet:
    """One EF01 packet."""

    pid: PacketId
    payload: bytes
    address: int = DEFAULT_ADDRESS

    def __post_init__(self) -> None:
        """Refuse packets that cannot be encoded."""
        if len(self.payload) > MAX_PAYLOAD:
            raise ValueError(f"payload of {len(self.payload)} bytes > {MAX_PAYLOAD}")
        if not 0 <= self.address <= 0xFFFFFFFF:
            raise ValueError("address out of range")

    @classmethod
    def command(cls, instruction: Instruction, params: bytes = b"") -> Ef01Packet:
        """Build a command packet."""
        return cls(PacketId.COMMAND, bytes((instruction,)) + params)

    @classmethod
    def ack(cls, code: ConfirmationCode, data: bytes = b"") -> Ef01Packet:
        """Build an ACK packet (module -> host)."""
        return cls(PacketId.ACK, bytes((code,)) + data)

    def encode(self) -> bytes:
        """Return the packet's bytes on the wire."""
        head = _HEADER.pack(SYNC, self.address, self.pid, len(self.payload) + 2)
        return (
            head + self.payload + _checksum(head[6:] + self.payload).to_bytes(2, "big")
        )

    @classmethod
    def decode(cls, packet: bytes) -> Ef01Packet:
        """Decode exactly one packet; raise :class:`DecodeError` if it is not valid."""
        if len(packet) < _HEADER.size + 2:
            raise DecodeError("packet too short")
        sync, address, pid, length = _HEADER.unpack_from(packet)
        if sync != SYNC:
            raise DecodeError("missing EF 01 sync header")
        if length < 2 or len(packet) != _HEADER.size + length:
            raise DecodeError(f"length {length} does not match {len(packet)} bytes")
        if _checksum(packet[6:-2]) != int.from_bytes(packet[-2:], "big"):
            raise DecodeError("checksum mismatch")
        try:
            kind = PacketId(pid)
        except ValueError:
            raise DecodeError(f"unknown packet id 0x{pid:02X}") from None
        payload = packet[_HEADER.size : -2]
        if len(payload) > MAX_PAYLOAD:
            raise DecodeError("payload too long")
        return cls(kind, payload, address)

    @property
    def instruction(self) -> Instruction:
        """The instruction of a command packet."""
        if self.pid is not PacketId.COMMAND or not self.payload:
            raise DecodeError("not a command packet")
        try:
            return Instruction(self.payload[0])
        except ValueError:
            raise DecodeError(f"unknown instruction 0x{self.payload[0]:02X}") from None

    @property
    def code(self) -> ConfirmationCode:
        """The confirmation code of an ACK packet."""
        if self.pid is not PacketId.ACK or not self.payload:
            raise DecodeError("not an acknowledgement packet")
        try:
            return ConfirmationCode(self.payload[0])
        except ValueError:
            raise DecodeError(
                f"unknown confirmation code 0x{self.payload[0]:02X}"
            ) from None

    @property
    def body(self) -> bytes:
        """Parameters (command) or data (ACK): the payload after its first byte."""
        return self.payload[1:]


def _checksum(data: bytes) -> int:
    return sum(data) & 0xFFFF


class Ef01Parser(StreamParser[Ef01Packet]):
    """Streaming parser for the fingerprint link."""

    sync = SYNC
    header_size = _HEADER.size

    def _frame_length(self, header: bytes) -> int:
        length: int = _HEADER.unpack(header)[3]
        if not 2 <= length <= MAX_PAYLOAD + 2:
            raise DecodeError(f"impossible length {length}")
        return _HEADER.size + length

    def _decode(self, frame: bytes) -> Ef01Packet:
        return Ef01Packet.decode(frame)


# Parameter and reply layouts, shared by the driver and the simulated module.

_U8 = struct.Struct(">B")
_U16 = struct.Struct(">H")
_SEARCH = struct.Struct(">BHH")
_STORE = struct.Struct(">BH")
_DELETE = struct.Struct(">HH")
_MATCH = struct.Struct(">HH")
_SYS_PARA = struct.Struct(">HHHHIHH")
_AUTO_IDENTIFY = struct.Struct(">BBBBB")
_AUTO_STEP = struct.Struct(">BHH")
INDEX_PAGE_SIZE = 256
"""Templates described by one ReadIndexTable page (32 bytes, one bit each)."""


@dataclass(frozen=True, slots=True)
class SearchParams:
    """Search: look for the template in ``buffer`` among pages start..start+count-1."""

    buffer: int
    start: int
    count: int

    def encode(self) -> bytes:
        """Return the command parameters."""
        return _SEARCH.pack(self.buffer, self.start, self.count)

    @classmethod
    def decode(cls, params: bytes) -> SearchParams:
        """Parse command parameters."""
        return cls(*unpack_exact(_SEARCH, params))


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Search hit: template page and match score."""

    page: int
    score: int

    def encode(self) -> bytes:
        """Return the ACK data."""
        return _MATCH.pack(self.page, self.score)

    @classmethod
    def decode(cls, data: bytes) -> SearchResult:
        """Parse ACK data."""
        return cls(*unpack_exact(_MATCH, data))


@dataclass(frozen=True, slots=True)
class StoreParams:
    """Store: write the template in ``buffer`` to ``page``."""

    buffer: int
    page: int

    def encode(self) -> bytes:
        """Return the command parameters."""
        return _STORE.pack(self.buffer, self.page)

    @classmethod
    def decode(cls, params: bytes) -> StoreParams:
        """Parse command parameters."""
        return cls(*unpack_exact(_STORE, params))


@dataclass(frozen=True, slots=True)
class AutoIdentifyParams:
    """AutoIdentify (R503 manual p. 31): capture, extract and search in one command.

    ``level`` the security level 1..5, pages ``start``..``start + count - 1``,
    ``steps`` whether to acknowledge each key step (0: only the last), ``tries``
    unknown fingers before 09 (0: until one matches).
    """

    level: int
    start: int
    count: int
    steps: int
    tries: int

    def encode(self) -> bytes:
        """Return the command parameters."""
        return _AUTO_IDENTIFY.pack(
            self.level, self.start, self.count, self.steps, self.tries
        )

    @classmethod
    def decode(cls, params: bytes) -> AutoIdentifyParams:
        """Parse command parameters."""
        return cls(*unpack_exact(_AUTO_IDENTIFY, params))


@dataclass(frozen=True, slots=True)
class AutoIdentifyStep:
    """An AutoIdentify acknowledge's data: the key step, and the page and score found.

    Steps (p. 32): 00 before any image (a refusal), 01 collect image, 02 generate
    feature, 03 search (page and score of the hit; 0 otherwise).
    """

    step: int
    page: int
    score: int

    def encode(self) -> bytes:
        """Return the ACK data."""
        return _AUTO_STEP.pack(self.step, self.page, self.score)

    @classmethod
    def decode(cls, data: bytes) -> AutoIdentifyStep:
        """Parse ACK data."""
        return cls(*unpack_exact(_AUTO_STEP, data))


@dataclass(frozen=True, slots=True)
class DeleteParams:
    """DeleteChar: delete ``count`` templates from ``page``."""

    page: int
    count: int

    def encode(self) -> bytes:
        """Return the command parameters."""
        return _DELETE.pack(self.page, self.count)

    @classmethod
    def decode(cls, params: bytes) -> DeleteParams:
        """Parse command parameters."""
        return cls(*unpack_exact(_DELETE, params))


@dataclass(frozen=True, slots=True)
class SystemParameters:
    """ReadSysPara's 16 bytes (R503 manual p. 13); ``library_size`` is in templates."""

    status: int
    system_id: int
    library_size: int
    security_level: int
    address: int
    packet_size_code: int
    baud_factor: int

    def encode(self) -> bytes:
        """Return the ACK data."""
        return _SYS_PARA.pack(
            self.status,
            self.system_id,
            self.library_size,
            self.security_level,
            self.address,
            self.packet_size_code,
            self.baud_factor,
        )

    @classmethod
    def decode(cls, data: bytes) -> SystemParameters:
        """Parse ACK data."""
        return cls(*unpack_exact(_SYS_PARA, data))


def encode_u8(value: int) -> bytes:
    """Img2Tz buffer id, ReadIndexTable page."""
    return _U8.pack(value)


def decode_u8(data: bytes) -> int:
    """Inverse of :func:`encode_u8`."""
    value: int = unpack_exact(_U8, data)[0]
    return value


def encode_u16(value: int) -> bytes:
    """TemplateNum count."""
    return _U16.pack(value)


def decode_u16(data: bytes) -> int:
    """Inverse of :func:`encode_u16`."""
    value: int = unpack_exact(_U16, data)[0]
    return value


def encode_index_table(pages: set[int], index_page: int) -> bytes:
    """Return the 32-byte bitmap of used template pages in ``index_page`` (LSB first)."""
    bitmap = bytearray(INDEX_PAGE_SIZE // 8)
    base = index_page * INDEX_PAGE_SIZE
    for page in pages:
        if base <= page < base + INDEX_PAGE_SIZE:
            bit = page - base
            bitmap[bit // 8] |= 1 << (bit % 8)
    return bytes(bitmap)


def decode_index_table(data: bytes, index_page: int) -> set[int]:
    """Inverse of :func:`encode_index_table`."""
    if len(data) != INDEX_PAGE_SIZE // 8:
        raise DecodeError(f"index table of {len(data)} bytes, expected 32")
    base = index_page * INDEX_PAGE_SIZE
    return {
        base + index * 8 + bit
        for index, byte in enumerate(data)
        for bit in range(8)
        if byte & (1 << bit)
    }
