"""Payloads of the MCU link's REQUEST, RESPONSE and EVENT frames.

One codec for both ends: the driver encodes requests and decodes responses and
events; the simulated MCU does the opposite with the same functions.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import IntEnum
import struct
from typing import ClassVar

from ezlock_edge.vocabulary.mcu import (
    MAX_VOLUME,
    BluetoothState,
    BoltState,
    DoorDirection,
    DoorState,
    Key,
    Led,
    LedMode,
    McuEvent,
    McuEventKind,
    McuInfo,
    McuStatus,
    PowerSource,
    Prompt,
    Sensor,
    SetPress,
)

from .errors import DecodeError
from .fields import decode_string, encode_string, unpack_exact

PROTOCOL_VERSION = 1
"""MCU link protocol version exchanged in HELLO."""
SHOW_NUMBER_DIGITS = 10
"""At most this many digits in one SHOW_NUMBER."""
FLASH_COUNT_MAX = 5
"""At most this many flashes in one FLASH_KEYPAD."""


class Command(IntEnum):
    """First byte of a REQUEST and of its RESPONSE."""

    HELLO = 0x01
    STATUS = 0x02
    LOCK = 0x10
    UNLOCK = 0x11
    SET_LEDS = 0x20
    PLAY_PROMPT = 0x21
    SET_VOLUME = 0x22
    SIREN = 0x23
    SHOW_NUMBER = 0x24
    FLASH_KEYPAD = 0x25
    READ_OUT_INFO = 0x26
    SET_DOOR_DIRECTION = 0x30
    SET_WIFI = 0x31


class ResponseStatus(IntEnum):
    """Second byte of a RESPONSE."""

    OK = 0x00
    UNKNOWN_COMMAND = 0x01
    INVALID_ARGUMENT = 0x02
    BUSY = 0x03  # e.g. the motor is already moving
    FAILED = 0x04  # hardware fault


def _enum[E: IntEnum](kind: type[E], value: int) -> E:
    try:
        return kind(value)
    except ValueError:
        raise DecodeError(f"invalid {kind.__name__} 0x{value:02X}") from None


def _bool(value: int) -> bool:
    if value > 1:
        raise DecodeError(f"invalid boolean 0x{value:02X}")
    return bool(value)


# Requests ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello:
    """Start of a session: the host's protocol version and the event window it takes.

    ``event_window`` None is the first protocol revision's HELLO (version only): the
    MCU then sends its events stop-and-wait. Answered by :class:`HelloReply`.
    """

    COMMAND: ClassVar[Command] = Command.HELLO
    protocol_version: int = PROTOCOL_VERSION
    event_window: int | None = None

    def encode_args(self) -> bytes:
        """Return the arguments after the command byte."""
        if self.event_window is None:
            return bytes((self.protocol_version,))
        return bytes((self.protocol_version, self.event_window))

    @classmethod
    def decode_args(cls, args: bytes) -> Hello:
        """Parse the arguments after the command byte."""
        if len(args) == 2:
            return cls(args[0], args[1])
        return cls(*unpack_exact(_U8, args))


@dataclass(frozen=True, slots=True)
class GetStatus:
    """Ask for :class:`McuStatus`."""

    COMMAND: ClassVar[Command] = Command.STATUS

    def encode_args(self) -> bytes:
        """No arguments."""
        return b""

    @classmethod
    def decode_args(cls, args: bytes) -> GetStatus:
        """No arguments."""
        _no_args(args)
        return cls()


@dataclass(frozen=True, slots=True)
class Lock:
    """Throw the bolt; progress arrives as BOLT events."""

    COMMAND: ClassVar[Command] = Command.LOCK

    def encode_args(self) -> bytes:
        """No arguments."""
        return b""

    @classmethod
    def decode_args(cls, args: bytes) -> Lock:
        """No arguments."""
        _no_args(args)
        return cls()


@dataclass(frozen=True, slots=True)
class Unlock:
    """Retract the bolt, driving the motor for a door that opens to ``direction``."""

    COMMAND: ClassVar[Command] = Command.UNLOCK
    direction: DoorDirection

    def encode_args(self) -> bytes:
        """Direction byte."""
        return bytes((self.direction,))

    @classmethod
    def decode_args(cls, args: bytes) -> Unlock:
        """Direction byte."""
        return cls(_enum(DoorDirection, unpack_exact(_U8, args)[0]))


@dataclass(frozen=True, slots=True)
class SetLeds:
    """Light the LEDs in ``leds`` as ``mode``; LEDs not listed keep their state."""

    COMMAND: ClassVar[Command] = Command.SET_LEDS
    mode: LedMode
    leds: frozenset[Key | Led]

    def encode_args(self) -> bytes:
        """Mode byte, then a u32 bitmap where bit n is the LED with code n."""
        return _LEDS.pack(self.mode, encode_led_bitmap(self.leds))

    @classmethod
    def decode_args(cls, args: bytes) -> SetLeds:
        """Mode byte and bitmap."""
        mode, bitmap = unpack_exact(_LEDS, args)
        return cls(_enum(LedMode, mode), decode_led_bitmap(bitmap))


@dataclass(frozen=True, slots=True)
class PlayPrompt:
    """Speak a voice prompt (dropped by the MCU while the volume is 0)."""

    COMMAND: ClassVar[Command] = Command.PLAY_PROMPT
    prompt: Prompt

    def encode_args(self) -> bytes:
        """Prompt byte."""
        return bytes((self.prompt,))

    @classmethod
    def decode_args(cls, args: bytes) -> PlayPrompt:
        """Prompt byte."""
        return cls(_enum(Prompt, unpack_exact(_U8, args)[0]))


@dataclass(frozen=True, slots=True)
class SetVolume:
    """Voice prompt volume, 0 (mute) .. 3."""

    COMMAND: ClassVar[Command] = Command.SET_VOLUME
    level: int

    def encode_args(self) -> bytes:
        """Level byte."""
        return bytes((self.level,))

    @classmethod
    def decode_args(cls, args: bytes) -> SetVolume:
        """Level byte."""
        level = unpack_exact(_U8, args)[0]
        if level > MAX_VOLUME:
            raise DecodeError(f"volume {level} > {MAX_VOLUME}")
        return cls(level)


@dataclass(frozen=True, slots=True)
class Siren:
    """Sound the alarm siren for ``seconds`` (on), or silence it (off)."""

    COMMAND: ClassVar[Command] = Command.SIREN
    on: bool
    seconds: int = 60

    def encode_args(self) -> bytes:
        """On byte, then seconds as u16."""
        return _SIREN.pack(self.on, self.seconds)

    @classmethod
    def decode_args(cls, args: bytes) -> Siren:
        """On byte and seconds."""
        on, seconds = unpack_exact(_SIREN, args)
        return cls(_bool(on), seconds)


@dataclass(frozen=True, slots=True)
class ShowNumber:
    """Show digits one after the other, each key slowly lit once (L-21, L-27)."""

    COMMAND: ClassVar[Command] = Command.SHOW_NUMBER
    digits: str

    def encode_args(self) -> bytes:
        """One byte per digit, 00..09."""
        if not 1 <= len(self.digits) <= SHOW_NUMBER_DIGITS or not self.digits.isdigit():
            raise ValueError(f"1 to {SHOW_NUMBER_DIGITS} digits, not {self.digits!r}")
        return bytes(int(digit) for digit in self.digits)

    @classmethod
    def decode_args(cls, args: bytes) -> ShowNumber:
        """One byte per digit."""
        if not 1 <= len(args) <= SHOW_NUMBER_DIGITS or max(args) > 9:
            raise DecodeError(
                f"1 to {SHOW_NUMBER_DIGITS} digits 00..09, not {args.hex()}"
            )
        return cls("".join(str(digit) for digit in args))


@dataclass(frozen=True, slots=True)
class FlashKeypad:
    """Flash every key's backlight ``count`` times (L-48: twice for the mute)."""

    COMMAND: ClassVar[Command] = Command.FLASH_KEYPAD
    count: int = 2

    def encode_args(self) -> bytes:
        """Count byte."""
        return bytes((self.count,))

    @classmethod
    def decode_args(cls, args: bytes) -> FlashKeypad:
        """Count byte, 1..5."""
        count = unpack_exact(_U8, args)[0]
        if not 1 <= count <= FLASH_COUNT_MAX:
            raise DecodeError(f"flash count {count} not in 1..{FLASH_COUNT_MAX}")
        return cls(count)


@dataclass(frozen=True, slots=True)
class ReadOutInfo:
    """Read out serial, firmware and verification code in English, or stop (L-64).

    The MCU reads its own identity: the verification code does not cross the link.
    READ_OUT_DONE follows when the reading ends.
    """

    COMMAND: ClassVar[Command] = Command.READ_OUT_INFO
    on: bool = True

    def encode_args(self) -> bytes:
        """On byte: 01 start, 00 stop."""
        return bytes((self.on,))

    @classmethod
    def decode_args(cls, args: bytes) -> ReadOutInfo:
        """On byte."""
        return cls(_bool(unpack_exact(_U8, args)[0]))


@dataclass(frozen=True, slots=True)
class SetDoorDirection:
    """Record the door's opening direction (L-46)."""

    COMMAND: ClassVar[Command] = Command.SET_DOOR_DIRECTION
    direction: DoorDirection

    def encode_args(self) -> bytes:
        """Direction byte."""
        return bytes((self.direction,))

    @classmethod
    def decode_args(cls, args: bytes) -> SetDoorDirection:
        """Direction byte."""
        return cls(_enum(DoorDirection, unpack_exact(_U8, args)[0]))


@dataclass(frozen=True, slots=True)
class SetWifi:
    """Switch the Wi-Fi radio on or off (L-12)."""

    COMMAND: ClassVar[Command] = Command.SET_WIFI
    enabled: bool

    def encode_args(self) -> bytes:
        """Encode the enabled byte."""
        return bytes((self.enabled,))

    @classmethod
    def decode_args(cls, args: bytes) -> SetWifi:
        """Decode the enabled byte."""
        return cls(_bool(unpack_exact(_U8, args)[0]))


type McuRequest = (
    Hello
    | GetStatus
    | Lock
    | Unlock
    | SetLeds
    | PlayPrompt
    | SetVolume
    | Siren
    | ShowNumber
    | FlashKeypad
    | ReadOutInfo
    | SetDoorDirection
    | SetWifi
)
_REQUESTS: dict[Command, type[McuRequest]] = {
    cls.COMMAND: cls
    for cls in (
        Hello,
        GetStatus,
        Lock,
        Unlock,
        SetLeds,
        PlayPrompt,
        SetVolume,
        Siren,
        ShowNumber,
        FlashKeypad,
        ReadOutInfo,
        SetDoorDirection,
        SetWifi,
    )
}


def encode_request(request: McuRequest) -> bytes:
    """REQUEST payload: command byte, then its arguments."""
    return bytes((request.COMMAND,)) + request.encode_args()


def decode_request(payload: bytes) -> McuRequest:
    """Inverse of :func:`encode_request`.

    Raises :class:`UnknownCommandError` for a command byte this version does not know (the
    MCU answers UNKNOWN_COMMAND) and :class:`DecodeError` for bad arguments
    (INVALID_ARGUMENT).
    """
    if not payload:
        raise DecodeError("empty request")
    try:
        command = Command(payload[0])
    except ValueError:
        raise UnknownCommandError(payload[0]) from None
    return _REQUESTS[command].decode_args(payload[1:])


class UnknownCommandError(DecodeError):
    """A REQUEST with a command byte this protocol version does not define."""

    def __init__(self, command: int) -> None:
        """Keep the raw command byte for the UNKNOWN_COMMAND response."""
        super().__init__(f"unknown command 0x{command:02X}")
        self.command = command


# Responses -----------------------------------------------------------------------


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
        return cls(payload[0], _enum(ResponseStatus, payload[1]), payload[2:])


@dataclass(frozen=True, slots=True)
class HelloReply:
    """HELLO response data: protocol version, identity (L-64), the granted event window.

    ``event_window`` is present only when the HELLO asked for a window.
    """

    protocol_version: int
    info: McuInfo
    event_window: int | None = None

    def encode(self) -> bytes:
        """Version byte, four length-prefixed strings, count + capability strings, window."""
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
                b"" if self.event_window is None else bytes((self.event_window,)),
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
        window: int | None = None
        if offset == len(data) - 1:
            window = data[offset]
            if not window:
                raise DecodeError("event window 0")
        elif offset != len(data):
            raise DecodeError("trailing bytes after capabilities")
        serial, model, firmware, code = fields
        return cls(
            data[0],
            McuInfo(serial, model, firmware, code, frozenset(capabilities)),
            window,
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
        bolt=_enum(BoltState, bolt),
        door=_enum(DoorState, door),
        battery_percent=percent,
        low_battery=bool(flags & _STATUS_LOW_BATTERY),
        power_source=_enum(PowerSource, power),
        tamper=bool(flags & _STATUS_TAMPER),
        wifi_enabled=bool(flags & _STATUS_WIFI),
        wifi_rssi=rssi,
        bluetooth=_enum(BluetoothState, bluetooth),
        door_direction=_enum(DoorDirection, direction),
    )


def encode_led_bitmap(leds: Collection[Key | Led]) -> int:
    """Bit n set for the LED whose code is n."""
    bitmap = 0
    for led in leds:
        bitmap |= 1 << led
    return bitmap


def decode_led_bitmap(bitmap: int) -> frozenset[Key | Led]:
    """Inverse of :func:`encode_led_bitmap`."""
    leds: set[Key | Led] = set()
    for code in range(32):
        if bitmap & (1 << code):
            if code in _KEY_CODES:
                leds.add(Key(code))
            elif code in _LED_CODES:
                leds.add(Led(code))
            else:
                raise DecodeError(f"no LED with code 0x{code:02X}")
    return frozenset(leds)


_KEY_CODES = frozenset(int(key) for key in Key)
_LED_CODES = frozenset(int(led) for led in Led)


# Events --------------------------------------------------------------------------


def encode_event(event: McuEvent) -> bytes:
    """EVENT payload: u32 event number, kind byte, kind-specific data."""
    return _EVENT_HEAD.pack(event.seq, event.kind) + _event_data(event)


def _event_data(event: McuEvent) -> bytes:
    match event.kind:
        case McuEventKind.KEY:
            return bytes((_required(event.key), event.long_press))
        case McuEventKind.SET_BUTTON:
            return bytes((_required(event.set_press),))
        case McuEventKind.DOOR:
            return bytes((_required(event.door),))
        case McuEventKind.BOLT:
            return bytes((_required(event.bolt),))
        case McuEventKind.BATTERY:
            return bytes((_required(event.battery_percent), event.low_battery))
        case McuEventKind.EMERGENCY_POWER:
            return bytes((event.connected,))
        case McuEventKind.BLUETOOTH_KEY | McuEventKind.BLUETOOTH_LOCK:
            return encode_string(_required(event.bluetooth_key))
        case McuEventKind.SENSOR_WAKE:
            return bytes((_required(event.sensor),))
        case McuEventKind.BLUETOOTH:
            return bytes((_required(event.bluetooth),))
    return b""


def _required[T](value: T | None) -> T:
    if value is None:
        raise ValueError("event is missing the field its kind requires")
    return value


def decode_event(payload: bytes) -> McuEvent:
    """Inverse of :func:`encode_event`."""
    if len(payload) < _EVENT_HEAD.size:
        raise DecodeError("event too short")
    seq, kind_code = _EVENT_HEAD.unpack_from(payload)
    kind = _enum(McuEventKind, kind_code)
    data = payload[_EVENT_HEAD.size :]
    match kind:
        case McuEventKind.KEY:
            key, long_press = unpack_exact(_U8X2, data)
            return McuEvent(
                seq, kind, key=_enum(Key, key), long_press=_bool(long_press)
            )
        case McuEventKind.SET_BUTTON:
            return McuEvent(seq, kind, set_press=_enum(SetPress, _one(data)))
        case McuEventKind.DOOR:
            return McuEvent(seq, kind, door=_enum(DoorState, _one(data)))
        case McuEventKind.BOLT:
            return McuEvent(seq, kind, bolt=_enum(BoltState, _one(data)))
        case McuEventKind.BATTERY:
            percent, low = unpack_exact(_U8X2, data)
            if percent > 100:
                raise DecodeError(f"battery {percent} % > 100")
            return McuEvent(seq, kind, battery_percent=percent, low_battery=_bool(low))
        case McuEventKind.EMERGENCY_POWER:
            return McuEvent(seq, kind, connected=_bool(_one(data)))
        case McuEventKind.BLUETOOTH_KEY | McuEventKind.BLUETOOTH_LOCK:
            code, end = decode_string(data, 0)
            if end != len(data):
                raise DecodeError("trailing bytes after the Bluetooth key")
            return McuEvent(seq, kind, bluetooth_key=code)
        case McuEventKind.SENSOR_WAKE:
            return McuEvent(seq, kind, sensor=_enum(Sensor, _one(data)))
        case McuEventKind.BLUETOOTH:
            return McuEvent(seq, kind, bluetooth=_enum(BluetoothState, _one(data)))
    _no_args(data)
    return McuEvent(seq, kind)


def _one(data: bytes) -> int:
    return unpack_exact(_U8, data)[0]


def _no_args(data: bytes) -> None:
    if data:
        raise DecodeError(f"{len(data)} unexpected bytes")


def encode_event_ack(event_seq: int) -> bytes:
    """EVENT_ACK payload: the u32 number of the event handled."""
    return _U32.pack(event_seq)


def decode_event_ack(payload: bytes) -> int:
    """Inverse of :func:`encode_event_ack`."""
    return unpack_exact(_U32, payload)[0]


_U8 = struct.Struct(">B")
_U8X2 = struct.Struct(">BB")
_U32 = struct.Struct(">I")
_LEDS = struct.Struct(">BI")
_SIREN = struct.Struct(">BH")
_STATUS = struct.Struct(">BBBBBbBB")
_EVENT_HEAD = struct.Struct(">IB")
