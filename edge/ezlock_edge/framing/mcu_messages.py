"""The MCU link's payloads under one name, for the driver, the simulator and the tests.

Each kind of frame has a module of its own: the commands the host sends
(:mod:`.mcu_requests`), their responses (:mod:`.mcu_replies`) and the events the
lock reports with their acknowledgement (:mod:`.mcu_events`).
"""

from __future__ import annotations

from .mcu_events import decode_event, decode_event_ack, encode_event, encode_event_ack
from .mcu_replies import (
    HelloReply,
    McuResponse,
    ResponseStatus,
    decode_oldest_event,
    decode_status,
    encode_status,
)
from .mcu_requests import (
    FLASH_COUNT_MAX,
    PROTOCOL_VERSION,
    SHOW_NUMBER_DIGITS,
    Command,
    FlashKeypad,
    GetOldestEvent,
    GetStatus,
    Hello,
    Lock,
    McuRequest,
    PlayPrompt,
    ReadOutInfo,
    SetDoorDirection,
    SetLeds,
    SetVolume,
    SetWifi,
    ShowNumber,
    Siren,
    UnknownCommandError,
    Unlock,
    decode_led_bitmap,
    decode_request,
    encode_led_bitmap,
    encode_request,
)

__all__ = [
    "FLASH_COUNT_MAX",
    "PROTOCOL_VERSION",
    "SHOW_NUMBER_DIGITS",
    "Command",
    "FlashKeypad",
    "GetOldestEvent",
    "GetStatus",
    "Hello",
    "HelloReply",
    "Lock",
    "McuRequest",
    "McuResponse",
    "PlayPrompt",
    "ReadOutInfo",
    "ResponseStatus",
    "SetDoorDirection",
    "SetLeds",
    "SetVolume",
    "SetWifi",
    "ShowNumber",
    "Siren",
    "UnknownCommandError",
    "Unlock",
    "decode_event",
    "decode_event_ack",
    "decode_led_bitmap",
    "decode_oldest_event",
    "decode_request",
    "decode_status",
    "encode_event",
    "encode_event_ack",
    "encode_led_bitmap",
    "encode_request",
    "encode_status",
]
