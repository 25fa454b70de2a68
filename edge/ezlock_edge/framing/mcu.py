"""MCU link frames (docs/serial-protocol.md, "Lock MCU link").

``A5 5A | len | type | seq | payload | crc16`` where ``len`` counts type, seq and
payload (2..255) and the CRC-16/CCITT-FALSE (big-endian) covers len..payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .crc import crc16
from .errors import DecodeError
from .stream import StreamParser

SYNC = b"\xa5\x5a"
MAX_PAYLOAD = 253
"""``len`` is one byte and also counts type and seq."""
_OVERHEAD = len(SYNC) + 1 + 2  # sync, len, crc


class MessageType(IntEnum):
    """What a frame carries (its ``type`` byte)."""

    ACK = 0x01  # link-level: the frame with this seq arrived intact
    NAK = 0x02  # link-level: arrived intact but cannot be accepted; payload NakReason
    REQUEST = 0x03  # host -> MCU: command byte + arguments
    RESPONSE = 0x04  # MCU -> host, same seq as the request: command, status, data
    EVENT = 0x05  # MCU -> host: u32 event number, event kind, data
    EVENT_ACK = 0x06  # host -> MCU: u32 event number, sent after the event was handled


class NakReason(IntEnum):
    """Why a receiver refused an intact frame."""

    MALFORMED = 0x01  # payload too short for its type
    UNKNOWN_TYPE = 0x02
    BUSY = 0x03  # cannot take a request now; the sender retries later


@dataclass(frozen=True, slots=True)
class McuFrame:
    """One MCU link frame."""

    type: MessageType
    seq: int
    payload: bytes = b""

    def __post_init__(self) -> None:
        """Refuse frames that cannot be encoded."""
        if not 0 <= self.seq <= 0xFF:
            raise ValueError(f"seq {self.seq} out of range 0..255")
        if len(self.payload) > MAX_PAYLOAD:
            raise ValueError(f"payload of {len(self.payload)} bytes > {MAX_PAYLOAD}")

    def encode(self) -> bytes:
        """Return the frame's bytes on the wire."""
        body = bytes((len(self.payload) + 2, self.type, self.seq)) + self.payload
        return SYNC + body + crc16(body).to_bytes(2, "big")

    @classmethod
    def decode(cls, frame: bytes) -> McuFrame:
        """Decode exactly one frame; raise :class:`DecodeError` if it is not valid."""
        if not frame.startswith(SYNC):
            raise DecodeError("missing A5 5A sync header")
        if len(frame) < _OVERHEAD + 2 or frame[2] < 2:
            raise DecodeError("frame too short")
        if len(frame) != frame[2] + _OVERHEAD:
            raise DecodeError(
                f"length byte {frame[2]} does not match {len(frame)} bytes"
            )
        body = frame[2:-2]
        if crc16(body) != int.from_bytes(frame[-2:], "big"):
            raise DecodeError("CRC mismatch")
        try:
            kind = MessageType(body[1])
        except ValueError:
            raise DecodeError(f"unknown message type 0x{body[1]:02X}") from None
        return cls(kind, body[2], body[3:])


class McuParser(StreamParser[McuFrame]):
    """Streaming parser for the MCU link."""

    sync = SYNC
    header_size = len(SYNC) + 1

    def _frame_length(self, header: bytes) -> int:
        if header[2] < 2:
            raise DecodeError(f"length byte {header[2]} < 2")
        return header[2] + _OVERHEAD

    def _decode(self, frame: bytes) -> McuFrame:
        return McuFrame.decode(frame)
