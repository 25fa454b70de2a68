"""The MCU link's bytes: frame layout, CRC-16 and the constants of docs/serial-protocol.md.

``A5 5A | len | type | seq | payload | crc_hi crc_lo``: ``len`` counts type, seq and
payload (2..255); the CRC-16/CCITT-FALSE covers len..payload.
"""

from .hal import TYPE_CHECKING, Clock, const

if TYPE_CHECKING:
    from collections.abc import Callable


SYNC0 = const(0xA5)
SYNC1 = const(0x5A)
MAX_PAYLOAD = const(253)
MAX_FRAME = const(260)  # sync 2 + len 1 + 255 + crc 2
IDLE_GIVE_UP_MS = const(50)

# message types
ACK = const(0x01)
NAK = const(0x02)
REQUEST = const(0x03)
RESPONSE = const(0x04)
EVENT = const(0x05)
EVENT_ACK = const(0x06)

# NAK reasons
NAK_MALFORMED = const(0x01)
NAK_UNKNOWN_TYPE = const(0x02)
NAK_BUSY = const(0x03)

# commands
CMD_HELLO = const(0x01)
CMD_STATUS = const(0x02)
CMD_OLDEST_EVENT = const(0x03)
CMD_LOCK = const(0x10)
CMD_UNLOCK = const(0x11)
CMD_SET_LEDS = const(0x20)
CMD_PLAY_PROMPT = const(0x21)
CMD_SET_VOLUME = const(0x22)
CMD_SIREN = const(0x23)
CMD_SHOW_NUMBER = const(0x24)
CMD_FLASH_KEYPAD = const(0x25)
CMD_READ_OUT_INFO = const(0x26)
CMD_SET_DOOR_DIRECTION = const(0x30)
CMD_SET_WIFI = const(0x31)

# response status
OK = const(0x00)
UNKNOWN_COMMAND = const(0x01)
INVALID_ARGUMENT = const(0x02)
BUSY = const(0x03)
FAILED = const(0x04)

# event kinds
EV_KEY = const(0x01)
EV_KEYPAD_WAKE = const(0x02)
EV_KEYPAD_SLEEP = const(0x03)
EV_SET_BUTTON = const(0x04)
EV_LOCK_BUTTON = const(0x05)
EV_DOOR = const(0x06)
EV_BOLT = const(0x07)
EV_TAMPER = const(0x08)
EV_BATTERY = const(0x09)
EV_MECHANICAL_KEY = const(0x0A)
EV_EMERGENCY_POWER = const(0x0B)
EV_BLUETOOTH_KEY = const(0x0C)
EV_SENSOR_WAKE = const(0x0D)
EV_BLUETOOTH = const(0x0E)
EV_READ_OUT_DONE = const(0x0F)
EV_BLUETOOTH_LOCK = const(0x10)

# values
BOLT_UNKNOWN = const(0x00)
BOLT_LOCKED = const(0x01)
BOLT_UNLOCKED = const(0x02)
BOLT_LOCKING = const(0x03)
BOLT_UNLOCKING = const(0x04)
BOLT_JAMMED = const(0x05)
CAUSE_HAND = const(0x00)  # a BOLT report's cause: not the motor (key, knob, handle)
CAUSE_MOTOR = const(0x01)  # the motor, on a LOCK / UNLOCK of the host
DOOR_UNKNOWN = const(0x00)
DOOR_CLOSED = const(0x01)
DOOR_OPEN = const(0x02)
RIGHT = const(0x01)
LEFT = const(0x02)
POWER_BATTERY = const(0x01)
POWER_EMERGENCY = const(0x02)
BT_OFF = const(0x00)
BT_IDLE = const(0x01)
BT_CONNECTED = const(0x02)
PRESS_SHORT = const(0x01)
PRESS_LONG = const(0x02)
PRESS_HELD_AT_POWER_UP = const(0x03)
LED_OFF = const(0x00)
LED_ON = const(0x01)
LED_BLINK = const(0x02)
KEY_DIGIT_0 = const(0x00)
KEY_BACK = const(0x0A)
KEY_CONFIRM = const(0x0B)
KEY_AWAY = const(0x0C)
KEY_DOORBELL = const(0x0D)
LED_LOW_BATTERY = const(0x10)
LED_CODES = const(0x0001_3FFF)  # keys 00..0D and the low-battery LED 10
SENSOR_FINGERPRINT = const(0x01)
SENSOR_FACE = const(0x02)
SENSOR_PALM = const(0x03)
MAX_VOLUME = const(3)
PROTOCOL_VERSION = const(1)
OPT_BOLT_CAUSE = const(0x01)  # HELLO option: BOLT reports carry their cause byte
OPTIONS = const(0x01)  # every option this firmware knows


def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_CRC_TABLE = _table()


def crc16(data: bytes | bytearray | memoryview, start: int = 0, end: int = -1) -> int:
    """CRC-16/CCITT-FALSE of ``data[start:end]`` (poly 1021, init FFFF), no copy."""
    if end < 0:
        end = len(data)
    crc = 0xFFFF
    table = _CRC_TABLE
    for index in range(start, end):
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ data[index]]
    return crc


def encode_frame(kind: int, seq: int, payload: bytes | bytearray = b"") -> bytes:
    """Return one frame's bytes on the wire."""
    size = len(payload)
    if size > MAX_PAYLOAD:
        raise ValueError("payload too long")
    frame = bytearray(size + 7)
    frame[0] = SYNC0
    frame[1] = SYNC1
    frame[2] = size + 2
    frame[3] = kind
    frame[4] = seq & 0xFF
    frame[5 : 5 + size] = payload
    crc = crc16(frame, 2, 5 + size)
    frame[5 + size] = crc >> 8
    frame[6 + size] = crc & 0xFF
    return bytes(frame)


class FrameParser:
    """Finds frames in a byte stream, in a buffer of fixed size (no growth).

    On a bad length or CRC it drops **one** byte and searches the next sync header, so
    a frame that starts inside a rejected one is still found. A partial frame is given
    up after 50 ms of line silence (a corrupted length byte cannot stall the link).
    """

    def __init__(self, on_frame: Callable[[int, int, bytes], None]) -> None:
        """Call ``on_frame(kind, seq, payload)`` for each intact frame."""
        self._on_frame = on_frame
        self._buf = bytearray(MAX_FRAME * 2)
        self._size = 0
        self._last_byte_ms = 0
        self.bad_frames = 0
        self.skipped_bytes = 0

    def reset(self) -> None:
        """Forget anything buffered."""
        self._size = 0

    def feed(
        self, data: bytes | bytearray | memoryview, now_ms: int, clock: Clock
    ) -> None:
        """Take received bytes (``clock.diff`` measures the idle gap)."""
        self.idle(now_ms, clock)
        if data:
            self._last_byte_ms = now_ms
        for byte in data:
            if self._size == len(self._buf):
                self._drop(1)
                self.skipped_bytes += 1
            self._buf[self._size] = byte
            self._size += 1
            self._scan()

    def idle(self, now_ms: int, clock: Clock) -> None:
        """Give up a partial frame once the line has been silent for 50 ms."""
        if not self._size or clock.diff(now_ms, self._last_byte_ms) < IDLE_GIVE_UP_MS:
            return
        self.bad_frames += 1
        while self._size:  # no more bytes are coming for what is buffered
            self._drop(1)
            self._scan()

    def pending(self) -> bool:
        """Whether a partial frame is buffered (the idle rule needs a later look)."""
        return self._size > 0

    def _scan(self) -> None:
        buf = self._buf
        while self._size:
            if buf[0] != SYNC0:
                self._skip_to_sync()
                continue
            if self._size < 2:
                return
            if buf[1] != SYNC1:
                self._drop(1)
                self.skipped_bytes += 1
                continue
            if self._size < 3:
                return
            length = buf[2]
            if length < 2:
                self.bad_frames += 1
                self._drop(1)
                continue
            total = length + 5
            if self._size < total:
                return
            crc = crc16(buf, 2, 3 + length)
            if crc != (buf[3 + length] << 8) | buf[4 + length]:
                self.bad_frames += 1
                self._drop(1)
                continue
            kind = buf[3]
            seq = buf[4]
            payload = bytes(buf[5 : 3 + length])
            self._drop(total)
            self._on_frame(kind, seq, payload)

    def _skip_to_sync(self) -> None:
        buf = self._buf
        index = 1
        while index < self._size and buf[index] != SYNC0:
            index += 1
        self.skipped_bytes += index
        self._drop(index)

    def _drop(self, count: int) -> None:
        remaining = self._size - count
        if remaining > 0:
            self._buf[:remaining] = self._buf[count : self._size]
        self._size = max(remaining, 0)
