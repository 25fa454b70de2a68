"""RESPONSE payloads of the MCU link: the status of a command and what it answers.

HELLO's identity and event window, STATUS's readings; one codec for both ends
(docs/serial-protocol.md, "Requests" and "Commands").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
import struct

from ezlock_edge.vocabulary.mcu import (
    BluetoothState,
    BoltState,
    DoorDirection,
    DoorState,
    McuInfo,
    McuOption,
    McuStatus,
    PowerSource,
)

from .errors import DecodeError
from .fields import decode_string, encode_string, enum_field, unpack_exact


class ResponseStatus(IntEnum):
    """Second byte of a RESPONSE."""

    OK = 0x00
    UNKNOWN_COMMAND = 0x01
    INVALID_ARGUMENT = 0x02
    BUSY = 0x03  # e.g. the motor is already moving
    FAILED = 0x04  # hardware fault


@dataclass(frozen=True, slots=True)
class McuResponse:
    """RESPONSE payload: the command answered, its status, and command-specific data."""

    command: int
    status: ResponseStatus
    data: bytes = b""

    def encode(self) -> bytes:
        """Return the payload."""
        return bytes((self.command, self.status)) + self.data

    @classmethod
    def decode(cls, payload: bytes) -> McuResponse:
        """Parse a payload."""
        if len(payload) < 2:
            raise DecodeError("response too short")
        return cls(payload[0], enum_field(ResponseStatus, payload[1]), payload[2:])


@dataclass(frozen=True, slots=True)
class HelloReply:
    """HELLO response data: protocol version, identity (L-64), window and options granted.

    ``event_window`` is present only when the HELLO asked for a window, ``options``
    only when it asked for options (the bits of those asked that this MCU grants).
    """

    protocol_version: int
    info: McuInfo
    event_window: int | None = None
    options: McuOption | None = None

    def __post_init__(self) -> None:
        """Options follow the window on the wire: none without one."""
        if self.options is not None and self.event_window is None:
            raise ValueError("HELLO reply options need an event window")

    def encode(self) -> bytes:
        """Version, four length-prefixed strings, capabilities, window, options."""
        info = self.info
        capabilities = sorted(info.capabilities)
        return b"".join(
            (
                bytes((self.protocol_version,)),
                encode_string(info.serial),
                encode_string(info.model),
                encode_string(info.firmware),
                encode_string(info.verification_code),
                bytes((len(capabilities),)),
                *(encode_string(name) for name in capabilities),
                bytes(
                    value
                    for value in (self.event_window, self.options)
                    if value is not None
                ),
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> HelloReply:
        """Parse response data."""
        if not data:
            raise DecodeError("empty hello reply")
        fields: list[str] = []
        offset = 1
        for _ in range(4):
            value, offset = decode_string(data, offset)
            fields.append(value)
        if offset >= len(data):
            raise DecodeError("capability count missing")
        count, offset = data[offset], offset + 1
        capabilities: set[str] = set()
        for _ in range(count):
            name, offset = decode_string(data, offset)
            capabilities.add(name)
        rest = data[offset:]
        if len(rest) > 2:
            raise DecodeError("trailing bytes after capabilities")
        window = rest[0] if rest else None
        if window == 0:
            raise DecodeError("event window 0")
        options = McuOption(rest[1]) if len(rest) == 2 else None
        serial, model, firmware, code = fields
        return cls(
            data[0],
            McuInfo(serial, model, firmware, code, frozenset(capabilities)),
            window,
            options,
        )


_STATUS_LOW_BATTERY = 0x01
_STATUS_TAMPER = 0x02
_STATUS_WIFI = 0x04


def encode_status(status: McuStatus) -> bytes:
    """STATUS response data (8 bytes)."""
    flags = (
        (_STATUS_LOW_BATTERY if status.low_battery else 0)
        | (_STATUS_TAMPER if status.tamper else 0)
        | (_STATUS_WIFI if status.wifi_enabled else 0)
    )
    return _STATUS.pack(
        status.bolt,
        status.door,
        status.battery_percent,
        flags,
        status.power_source,
        status.wifi_rssi,
        status.bluetooth,
        status.door_direction,
    )


def decode_status(data: bytes) -> McuStatus:
    """Inverse of :func:`encode_status`."""
    bolt, door, percent, flags, power, rssi, bluetooth, direction = unpack_exact(
        _STATUS, data
    )
    if percent > 100:
        raise DecodeError(f"battery {percent} % > 100")
    if flags & ~(_STATUS_LOW_BATTERY | _STATUS_TAMPER | _STATUS_WIFI):
        raise DecodeError(f"unknown status flags 0x{flags:02X}")
    return McuStatus(
        bolt=enum_field(BoltState, bolt),
        door=enum_field(DoorState, door),
        battery_percent=percent,
        low_battery=bool(flags & _STATUS_LOW_BATTERY),
        power_source=enum_field(PowerSource, power),
        tamper=bool(flags & _STATUS_TAMPER),
        wifi_enabled=bool(flags & _STATUS_WIFI),
        wifi_rssi=rssi,
        bluetooth=enum_field(BluetoothState, bluetooth),
        door_direction=enum_field(DoorDirection, direction),
    )


_STATUS = struct.Struct(">BBBBBbBB")
_EVENT_NUMBER = struct.Struct(">I")


def decode_oldest_event(data: bytes) -> int:
    """OLDEST_EVENT response data: the oldest event number kept (u32)."""
    return int(unpack_exact(_EVENT_NUMBER, data)[0])
