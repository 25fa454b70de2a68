"""REQUEST payloads of the MCU link: every command the host sends and its arguments.

One codec for both ends: the driver encodes requests, the simulated MCU decodes
them (docs/serial-protocol.md, "Requests" and "Commands").
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import IntEnum
import struct
from typing import ClassVar

from ezlock_edge.vocabulary.mcu import (
    MAX_VOLUME,
    DoorDirection,
    Key,
    Led,
    LedMode,
    McuOption,
    Prompt,
)

from .errors import DecodeError
from .fields import enum_field, flag_field, no_args, unpack_exact

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
    OLDEST_EVENT = 0x03
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


@dataclass(frozen=True, slots=True)
class Hello:
    """Start of a session: the host's protocol version, event window and options.

    ``event_window`` None is the first protocol revision's HELLO (version only): the
    MCU then sends its events stop-and-wait. ``options`` (only after a window) are
    what the host asks for (bits of :class:`McuOption`); None is the HELLO of a host
    that asks for none and gets no options byte back. Answered by :class:`HelloReply`.
    """

    COMMAND: ClassVar[Command] = Command.HELLO
    protocol_version: int = PROTOCOL_VERSION
    event_window: int | None = None
    options: McuOption | None = None

    def __post_init__(self) -> None:
        """Options follow a window on the wire: none without one."""
        if self.options is not None and self.event_window is None:
            raise ValueError("HELLO options need an event window")

    def encode_args(self) -> bytes:
        """Return the arguments after the command byte."""
        fields = (self.protocol_version, self.event_window, self.options)
        return bytes(value for value in fields if value is not None)

    @classmethod
    def decode_args(cls, args: bytes) -> Hello:
        """Parse the arguments after the command byte (unknown option bits kept)."""
        if len(args) == 3:
            return cls(args[0], args[1], McuOption(args[2]))
        if len(args) == 2:
            return cls(args[0], args[1])
        return cls(unpack_exact(_U8, args)[0])


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
        no_args(args)
        return cls()


@dataclass(frozen=True, slots=True)
class GetOldestEvent:
    """Ask for the oldest event the MCU keeps unacknowledged (u32; the next when none).

    Events numbered below the answer that the host has not acknowledged are gone from
    the MCU (a full buffer, a restart): the host waits for nothing older.
    """

    COMMAND: ClassVar[Command] = Command.OLDEST_EVENT

    def encode_args(self) -> bytes:
        """No arguments."""
        return b""

    @classmethod
    def decode_args(cls, args: bytes) -> GetOldestEvent:
        """No arguments."""
        no_args(args)
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
        no_args(args)
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
        return cls(enum_field(DoorDirection, unpack_exact(_U8, args)[0]))


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
        return cls(enum_field(LedMode, mode), decode_led_bitmap(bitmap))


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
        return cls(enum_field(Prompt, unpack_exact(_U8, args)[0]))


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
        return cls(flag_field(on), seconds)


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
        return cls(flag_field(unpack_exact(_U8, args)[0]))


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
        return cls(enum_field(DoorDirection, unpack_exact(_U8, args)[0]))


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
        return cls(flag_field(unpack_exact(_U8, args)[0]))


type McuRequest = (
    Hello
    | GetStatus
    | GetOldestEvent
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
        GetOldestEvent,
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


_U8 = struct.Struct(">B")
_LEDS = struct.Struct(">BI")
_SIREN = struct.Struct(">BH")
