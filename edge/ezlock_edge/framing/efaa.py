"""Face and palm-vein module frames, FM225-style "EF AA" protocol (docs/serial-protocol.md).

``EF AA | msg id(1) | size(2, BE) | data | parity(1)`` where parity is the XOR of the
msg id, both size bytes and the data. The host sends commands (msg id = command);
the module answers with REPLY ``{command, result, data}`` and may send NOTE
``{note id, data}`` at any time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from functools import reduce
from operator import xor
import struct

from .errors import DecodeError
from .fields import unpack_exact
from .stream import StreamParser

SYNC = b"\xef\xaa"
MAX_DATA = 1024
"""Largest data field accepted (the driver never asks for images)."""
_HEADER = struct.Struct(">2sBH")  # sync, msg id, size


class MsgId(IntEnum):
    """Message ids: module -> host (REPLY, NOTE) and host -> module commands."""

    REPLY = 0x00
    NOTE = 0x01
    RESET = 0x10  # abort whatever the module is doing
    GET_STATUS = 0x11  # -> status u8: 0 standby, 1 busy, 2 error, 3 invalid
    VERIFY = 0x12  # pd_rightaway u8, timeout u8 -> user id u16, name[32], admin, status
    ENROLL = 0x13  # face: admin u8, name[32], direction u8, timeout u8
    ENROLL_SINGLE = 0x1D  # face, one frame: as ENROLL
    DEL_USER = 0x20  # user id u16
    DEL_ALL = 0x21
    GET_USER_INFO = 0x22  # user id u16 -> user id u16, name[32], admin u8
    FACE_RESET = 0x23  # forget the directions of an unfinished enrollment
    GET_ALL_USERID = 0x24  # -> count u8, user ids u16 each (zero-padded array)
    ENROLL_ITG = 0x26  # face: admin, name[32], direction, type, duplicate, timeout, 3
    PALM_ENROLL_ITG = 0x27  # palm: admin, name[32], direction, type, duplicate, timeout
    GET_VERSION = 0x30  # -> version string, 32 bytes NUL-padded
    GET_SN = 0x93  # -> serial number, 32 bytes
    POWERDOWN = 0xED


class Result(IntEnum):
    """Result byte of a REPLY."""

    SUCCESS = 0
    REJECTED = 1
    ABORTED = 2
    FAIL4_CAMERA = 4
    UNKNOWN_REASON = 5
    INVALID_PARAM = 6
    NO_MEMORY = 7
    UNKNOWN_USER = 8
    MAX_USER = 9
    FACE_ENROLLED = 10  # duplicate: the existing user id (u16), FFFF, or nothing
    LIVENESS_CHECK = 12
    TIMEOUT = 13
    AUTHORIZATION = 14
    READ_FILE = 19
    WRITE_FILE = 20
    NO_ENCRYPT = 21
    NO_RGB_IMAGE = 23
    JPG_PHOTO_LARGE = 24
    JPG_PHOTO_SMALL = 25


class NoteId(IntEnum):
    """First data byte of a NOTE."""

    READY = 0x00  # module (re)started and is idle
    FACE_STATE = 0x01  # position feedback while looking for a face / palm


class Direction(IntFlag):
    """ENROLL direction bits: face poses (L-10), or palm presentations (FIRST..THIRD)."""

    MIDDLE = 0x01
    RIGHT = 0x02
    LEFT = 0x04
    DOWN = 0x08
    UP = 0x10


ALL_DIRECTIONS = 0x1F
FACE_POSES = (
    Direction.MIDDLE,
    Direction.UP,
    Direction.DOWN,
    Direction.LEFT,
    Direction.RIGHT,
)
"""The five poses of a face enrollment, in the order the lock asks for them."""
PALM_PRESENTATIONS = (Direction.MIDDLE, Direction.RIGHT, Direction.LEFT)
"""A palm enrollment takes three presentations, numbered by the first three bits."""
NO_USER = 0xFFFF
"""User id in an ENROLL reply while more poses are still needed."""


@dataclass(frozen=True, slots=True)
class EfaaFrame:
    """One EF AA frame."""

    msg_id: MsgId
    data: bytes = b""

    def __post_init__(self) -> None:
        """Refuse frames that cannot be encoded."""
        if len(self.data) > MAX_DATA:
            raise ValueError(f"data of {len(self.data)} bytes > {MAX_DATA}")

    def encode(self) -> bytes:
        """Return the frame's bytes on the wire."""
        head = _HEADER.pack(SYNC, self.msg_id, len(self.data))
        return head + self.data + bytes((_parity(head[2:] + self.data),))

    @classmethod
    def decode(cls, frame: bytes) -> EfaaFrame:
        """Decode exactly one frame; raise :class:`DecodeError` if it is not valid."""
        if len(frame) < _HEADER.size + 1:
            raise DecodeError("frame too short")
        sync, msg_id, size = _HEADER.unpack_from(frame)
        if sync != SYNC:
            raise DecodeError("missing EF AA sync header")
        if size > MAX_DATA or len(frame) != _HEADER.size + size + 1:
            raise DecodeError(f"size {size} does not match {len(frame)} bytes")
        if _parity(frame[2:-1]) != frame[-1]:
            raise DecodeError("parity mismatch")
        try:
            kind = MsgId(msg_id)
        except ValueError:
            raise DecodeError(f"unknown message id 0x{msg_id:02X}") from None
        return cls(kind, frame[_HEADER.size : -1])


def _parity(data: bytes) -> int:
    return reduce(xor, data, 0)


class EfaaParser(StreamParser[EfaaFrame]):
    """Streaming parser for the face and palm links."""

    sync = SYNC
    header_size = _HEADER.size

    def _frame_length(self, header: bytes) -> int:
        size: int = _HEADER.unpack(header)[2]
        if size > MAX_DATA:
            raise DecodeError(f"impossible size {size}")
        return _HEADER.size + size + 1

    def _decode(self, frame: bytes) -> EfaaFrame:
        return EfaaFrame.decode(frame)


# Message layouts, shared by the driver and the simulated module.

NAME_SIZE = 32
VERSION_SIZE = 32
_VERIFY = struct.Struct(">BB")
_ENROLL_ITG = struct.Struct(f">B{NAME_SIZE}sBBBB3s")
_PALM_ENROLL_ITG = struct.Struct(f">B{NAME_SIZE}sBBBB")
_ENROLL_REPLY = struct.Struct(">HB")
_VERIFY_REPLY = struct.Struct(f">H{NAME_SIZE}sBB")
_USER = struct.Struct(">H")


@dataclass(frozen=True, slots=True)
class Reply:
    """A REPLY: which command it answers, the result and its data."""

    command: MsgId
    result: Result
    data: bytes = b""

    def frame(self) -> EfaaFrame:
        """Wrap in a REPLY frame."""
        return EfaaFrame(MsgId.REPLY, bytes((self.command, self.result)) + self.data)

    @classmethod
    def decode(cls, data: bytes) -> Reply:
        """Parse the data of a REPLY frame."""
        if len(data) < 2:
            raise DecodeError("reply too short")
        try:
            return cls(MsgId(data[0]), Result(data[1]), data[2:])
        except ValueError as err:
            raise DecodeError(f"bad reply: {err}") from None


@dataclass(frozen=True, slots=True)
class Note:
    """A NOTE: an unsolicited status message from the module."""

    note: NoteId
    data: bytes = b""

    def frame(self) -> EfaaFrame:
        """Wrap in a NOTE frame."""
        return EfaaFrame(MsgId.NOTE, bytes((self.note,)) + self.data)

    @classmethod
    def decode(cls, data: bytes) -> Note:
        """Parse the data of a NOTE frame."""
        if not data:
            raise DecodeError("empty note")
        try:
            return cls(NoteId(data[0]), data[1:])
        except ValueError as err:
            raise DecodeError(f"bad note: {err}") from None


@dataclass(frozen=True, slots=True)
class VerifyParams:
    """VERIFY: ``timeout`` seconds to find a known face / palm."""

    timeout: int
    power_down_after: bool = False

    def encode(self) -> bytes:
        """Return the command data."""
        return _VERIFY.pack(self.power_down_after, self.timeout)

    @classmethod
    def decode(cls, data: bytes) -> VerifyParams:
        """Parse command data."""
        power_down, timeout = unpack_exact(_VERIFY, data)
        return cls(timeout, bool(power_down))


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """VERIFY success data; ezlock keeps names on the edge, so modules hold none (L-32)."""

    user_id: int

    def encode(self) -> bytes:
        """Return the reply data."""
        return _VERIFY_REPLY.pack(self.user_id, bytes(NAME_SIZE), 0, 0)

    @classmethod
    def decode(cls, data: bytes) -> VerifyResult:
        """Parse reply data."""
        return cls(unpack_exact(_VERIFY_REPLY, data)[0])


@dataclass(frozen=True, slots=True)
class EnrollParams:
    """ENROLL_ITG (face) / PALM_ENROLL_ITG: capture ``direction`` within ``timeout`` s.

    Interactive (one direction per call), duplicates refused: the module answers
    FACE_ENROLLED for a face or palm it already holds (plain ENROLL does not check).
    """

    direction: Direction
    timeout: int
    palm: bool = False

    def encode(self) -> bytes:
        """Return the command data (admin flag 0, empty name: see :class:`VerifyResult`)."""
        if self.palm:
            return _PALM_ENROLL_ITG.pack(
                0, bytes(NAME_SIZE), self.direction, 0, 0, self.timeout
            )
        return _ENROLL_ITG.pack(
            0, bytes(NAME_SIZE), self.direction, 0, 0, self.timeout, bytes(3)
        )

    @classmethod
    def decode(cls, data: bytes, *, palm: bool = False) -> EnrollParams:
        """Parse command data."""
        layout = _PALM_ENROLL_ITG if palm else _ENROLL_ITG
        fields = unpack_exact(layout, data)
        return cls(_direction(fields[2]), fields[5], palm)


@dataclass(frozen=True, slots=True)
class EnrollResult:
    """ENROLL success data: poses captured so far; ``user_id`` once all are in."""

    user_id: int
    done: Direction

    def encode(self) -> bytes:
        """Return the reply data."""
        return _ENROLL_REPLY.pack(self.user_id, self.done)

    @classmethod
    def decode(cls, data: bytes) -> EnrollResult:
        """Parse reply data; the palm module adds an enroll-state byte, ignored here."""
        user_id, done = unpack_exact(_ENROLL_REPLY, data[: _ENROLL_REPLY.size])
        if len(data) > _ENROLL_REPLY.size + 1:
            raise DecodeError(f"enroll reply of {len(data)} bytes")
        return cls(user_id, _direction(done))


def _direction(value: int) -> Direction:
    if value & ~ALL_DIRECTIONS:
        raise DecodeError(f"unknown direction bits 0x{value:02X}")
    return Direction(value)


def encode_user(user_id: int) -> bytes:
    """DEL_USER data; FACE_ENROLLED reply data (the existing user)."""
    return _USER.pack(user_id)


def decode_user(data: bytes) -> int:
    """Inverse of :func:`encode_user` (a FACE_ENROLLED reply may add directions)."""
    user_id: int = unpack_exact(_USER, data[: _USER.size])[0]
    return user_id


def encode_user_list(user_ids: set[int]) -> bytes:
    """GET_ALL_USERID reply data."""
    ordered = sorted(user_ids)
    return bytes((len(ordered),)) + b"".join(_USER.pack(uid) for uid in ordered)


def decode_user_list(data: bytes) -> set[int]:
    """Inverse of :func:`encode_user_list`.

    Modules send the whole fixed-size array, zero-padded after the ``count`` ids.
    """
    if not data or len(data) < 1 + 2 * data[0] or (len(data) - 1) % 2:
        raise DecodeError("user list length does not match its count")
    return {uid for (uid,) in _USER.iter_unpack(data[1 : 1 + 2 * data[0]])}


def encode_version(version: str) -> bytes:
    """GET_VERSION reply data: UTF-8, NUL-padded (so it cannot contain NUL)."""
    try:
        raw = version.encode()
    except UnicodeEncodeError as err:  # a lone surrogate is not text
        raise ValueError(f"version string is not UTF-8: {err}") from None
    if b"\0" in raw:
        raise ValueError("version string contains NUL")
    if len(raw) > VERSION_SIZE:
        raise ValueError("version string too long")
    return raw.ljust(VERSION_SIZE, b"\0")


def decode_version(data: bytes) -> str:
    """Inverse of :func:`encode_version`."""
    if len(data) != VERSION_SIZE:
        raise DecodeError(f"version of {len(data)} bytes, expected {VERSION_SIZE}")
    try:
        return data.rstrip(b"\0").decode()
    except UnicodeDecodeError as err:
        raise DecodeError(f"bad version string: {err}") from None
