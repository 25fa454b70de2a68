"""EVENT and EVENT_ACK payloads of the MCU link: what the lock reports by itself.

One codec for both ends: the simulated MCU encodes events, the driver decodes them
and acknowledges each by its number (docs/serial-protocol.md, "Events").
"""

from __future__ import annotations

import struct

from ezlock_edge.vocabulary.mcu import (
    BluetoothState,
    BoltCause,
    BoltState,
    DoorState,
    Key,
    McuEvent,
    McuEventKind,
    Sensor,
    SetPress,
)

from .errors import DecodeError
from .fields import (
    decode_string,
    encode_string,
    enum_field,
    flag_field,
    no_args,
    one_byte,
    unpack_exact,
)


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
            state = _required(event.bolt)
            if event.bolt_cause is None:
                return bytes((state,))
            return bytes((state, event.bolt_cause))
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
    kind = enum_field(McuEventKind, kind_code)
    data = payload[_EVENT_HEAD.size :]
    match kind:
        case McuEventKind.KEY:
            key, long_press = unpack_exact(_U8X2, data)
            return McuEvent(
                seq, kind, key=enum_field(Key, key), long_press=flag_field(long_press)
            )
        case McuEventKind.SET_BUTTON:
            return McuEvent(seq, kind, set_press=enum_field(SetPress, one_byte(data)))
        case McuEventKind.DOOR:
            return McuEvent(seq, kind, door=enum_field(DoorState, one_byte(data)))
        case McuEventKind.BOLT:
            # The cause byte comes from an MCU that granted McuOption.BOLT_CAUSE.
            if len(data) == 2:
                return McuEvent(
                    seq,
                    kind,
                    bolt=enum_field(BoltState, data[0]),
                    bolt_cause=enum_field(BoltCause, data[1]),
                )
            return McuEvent(seq, kind, bolt=enum_field(BoltState, one_byte(data)))
        case McuEventKind.BATTERY:
            percent, low = unpack_exact(_U8X2, data)
            if percent > 100:
                raise DecodeError(f"battery {percent} % > 100")
            return McuEvent(
                seq, kind, battery_percent=percent, low_battery=flag_field(low)
            )
        case McuEventKind.EMERGENCY_POWER:
            return McuEvent(seq, kind, connected=flag_field(one_byte(data)))
        case McuEventKind.BLUETOOTH_KEY | McuEventKind.BLUETOOTH_LOCK:
            code, end = decode_string(data, 0)
            if end != len(data):
                raise DecodeError("trailing bytes after the Bluetooth key")
            return McuEvent(seq, kind, bluetooth_key=code)
        case McuEventKind.SENSOR_WAKE:
            return McuEvent(seq, kind, sensor=enum_field(Sensor, one_byte(data)))
        case McuEventKind.BLUETOOTH:
            return McuEvent(
                seq, kind, bluetooth=enum_field(BluetoothState, one_byte(data))
            )
    no_args(data)
    return McuEvent(seq, kind)


def encode_event_ack(event_seq: int) -> bytes:
    """EVENT_ACK payload: the u32 number of the event handled."""
    return _U32.pack(event_seq)


def decode_event_ack(payload: bytes) -> int:
    """Inverse of :func:`encode_event_ack`."""
    return unpack_exact(_U32, payload)[0]


_U8X2 = struct.Struct(">BB")
_U32 = struct.Struct(">I")
_EVENT_HEAD = struct.Struct(">IB")
