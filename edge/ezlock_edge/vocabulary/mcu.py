"""The words the lock's controller (MCU) speaks: keys, LEDs, bolt and door states, prompts, events.

The wire encoding of each lives in ``ezlock_edge.framing.mcu_messages``; byte values
here are the ones that travel on the MCU link (docs/serial-protocol.md). The driver,
the simulated MCU and the lock core all use these, so they sit below every layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, IntFlag

MAX_VOLUME = 3
"""The loudest of the MCU's volume levels (0 is silent)."""


class Key(IntEnum):
    """Front keypad keys (L-03). Values are the key codes on the MCU link."""

    DIGIT_0 = 0x00
    DIGIT_1 = 0x01
    DIGIT_2 = 0x02
    DIGIT_3 = 0x03
    DIGIT_4 = 0x04
    DIGIT_5 = 0x05
    DIGIT_6 = 0x06
    DIGIT_7 = 0x07
    DIGIT_8 = 0x08
    DIGIT_9 = 0x09
    BACK = 0x0A
    CONFIRM = 0x0B
    AWAY = 0x0C
    DOORBELL = 0x0D

    @property
    def digit(self) -> str | None:
        """The digit this key types, or None for a function key."""
        return str(int(self)) if self <= Key.DIGIT_9 else None

    @classmethod
    def from_name(cls, name: str) -> Key:
        """Parse ``"0"``..``"9"``, ``"back"``, ``"confirm"``, ``"away"``, ``"doorbell"``."""
        if len(name) == 1 and name.isdigit():
            return cls(int(name))
        return cls[name.upper()]

    @property
    def label(self) -> str:
        """The inverse of :meth:`from_name`."""
        return self.digit if self.digit is not None else self.name.lower()


class LedMode(IntEnum):
    """How a set of keypad LEDs is lit."""

    OFF = 0x00
    ON = 0x01
    BLINK = 0x02


class Led(IntEnum):
    """Keypad LEDs that are not keys."""

    LOW_BATTERY = 0x10


class BoltState(IntEnum):
    """Bolt motor state (L-01)."""

    UNKNOWN = 0x00
    LOCKED = 0x01
    UNLOCKED = 0x02
    LOCKING = 0x03
    UNLOCKING = 0x04
    JAMMED = 0x05


class BoltCause(IntEnum):
    """What moved the bolt, in a BOLT report of an MCU that says so (issue #11.6)."""

    HAND = 0x00  # not the motor: the key cylinder, the inside knob or handle
    MOTOR = 0x01  # the motor, on a LOCK / UNLOCK of the host


class McuOption(IntFlag):
    """Session options a host asks for in HELLO and the MCU grants (a bitmap)."""

    NONE = 0x00
    BOLT_CAUSE = 0x01  # BOLT reports carry a BoltCause byte


class DoorState(IntEnum):
    """Door sensor (L-02)."""

    UNKNOWN = 0x00
    CLOSED = 0x01
    OPEN = 0x02


class DoorDirection(IntEnum):
    """Door opening direction set at installation (L-46); decides motor direction."""

    RIGHT = 0x01
    LEFT = 0x02


class PowerSource(IntEnum):
    """What powers the lock (L-06, L-08)."""

    BATTERY = 0x01
    EMERGENCY = 0x02


class BluetoothState(IntEnum):
    """Bluetooth radio state (L-12)."""

    OFF = 0x00
    IDLE = 0x01
    CONNECTED = 0x02


class SetPress(IntEnum):
    """Rear-panel SET button gestures (L-04)."""

    SHORT = 0x01
    LONG = 0x02
    HELD_AT_POWER_UP = 0x03  # factory reset request (L-63)


class Sensor(IntEnum):
    """Biometric sensors whose wake line the MCU reports."""

    FINGERPRINT = 0x01
    FACE = 0x02
    PALM = 0x03


class Prompt(IntEnum):
    """Voice prompts the MCU can play. The wording is in ``PROMPT_TEXT``."""

    BEEP = 0x01
    SUCCESS = 0x02
    FAILURE = 0x03
    DOOR_UNLOCKED = 0x04
    DOOR_LOCKED = 0x05
    WELCOME_ADD_ADMIN = 0x06
    ENTER_PASSWORD = 0x07
    ENTER_PASSWORD_AGAIN = 0x08
    PASSWORD_MISMATCH = 0x09
    PASSWORD_TOO_SIMPLE = 0x0A
    VERIFY_ADMIN = 0x0B
    MENU = 0x0C
    CHOOSE_CREDENTIAL = 0x0D
    LOOK_STRAIGHT = 0x0E
    RAISE_HEAD = 0x0F
    LOWER_HEAD = 0x10
    TURN_LEFT = 0x11
    TURN_RIGHT = 0x12
    PRESENT_PALM = 0x13
    PRESENT_FINGER = 0x14
    PRESENT_FINGER_AGAIN = 0x15
    ALREADY_ENROLLED = 0x16
    CAPACITY_FULL = 0x17
    ENTER_USER_NUMBER = 0x18
    USER_DELETED = 0x19
    CANNOT_DELETE_LAST_ADMIN = 0x1A
    SYSTEM_LOCKED = 0x1B
    LOW_BATTERY = 0x1C
    TAMPER_ALARM = 0x1D
    PAIRING_MODE = 0x1E
    PAIRING_ENDED = 0x1F
    SYSTEM_INFO = 0x20
    FACTORY_RESET_CONFIRM = 0x21
    FACTORY_RESET_DONE = 0x22
    AWAY_MODE_ON = 0x23
    AWAY_MODE_OFF = 0x24
    MUTE_ON = 0x25
    DOORBELL = 0x26
    SET_DOOR_DIRECTION = 0x27
    NOT_IN_VALIDITY_PERIOD = 0x28
    DOOR_NOT_LOCKED = 0x29
    TIMEOUT = 0x2A


PROMPT_TEXT: dict[Prompt, str] = {
    Prompt.BEEP: "(beep)",
    Prompt.SUCCESS: "Operation successful",
    Prompt.FAILURE: "Operation failed",
    Prompt.DOOR_UNLOCKED: "Door unlocked",
    Prompt.DOOR_LOCKED: "Door locked",
    Prompt.WELCOME_ADD_ADMIN: "Please add an administrator",
    Prompt.ENTER_PASSWORD: "Please enter a 6 to 10 digit password",
    Prompt.ENTER_PASSWORD_AGAIN: "Please enter the password again",
    Prompt.PASSWORD_MISMATCH: "The passwords do not match",
    Prompt.PASSWORD_TOO_SIMPLE: "Password too simple",
    Prompt.VERIFY_ADMIN: "Please verify an administrator",
    Prompt.MENU: "Press 1 to add an administrator, 2 to add a user, 3 to delete a user",
    Prompt.CHOOSE_CREDENTIAL: "Press 1 for face, 2 for palm vein, 3 for fingerprint, 4 for password",
    Prompt.LOOK_STRAIGHT: "Please look straight at the lock",
    Prompt.RAISE_HEAD: "Please raise your head slightly",
    Prompt.LOWER_HEAD: "Please lower your head slightly",
    Prompt.TURN_LEFT: "Please turn slightly to the left",
    Prompt.TURN_RIGHT: "Please turn slightly to the right",
    Prompt.PRESENT_PALM: "Please present your palm",
    Prompt.PRESENT_FINGER: "Please place your finger",
    Prompt.PRESENT_FINGER_AGAIN: "Please place your finger again",
    Prompt.ALREADY_ENROLLED: "Already enrolled",
    Prompt.CAPACITY_FULL: "Storage full",
    Prompt.ENTER_USER_NUMBER: "Please enter the user number",
    Prompt.USER_DELETED: "User deleted",
    Prompt.CANNOT_DELETE_LAST_ADMIN: "The last administrator cannot be deleted",
    Prompt.SYSTEM_LOCKED: "System locked, please try again later",
    Prompt.LOW_BATTERY: "Low battery, please charge",
    Prompt.TAMPER_ALARM: "Tamper alarm",
    Prompt.PAIRING_MODE: "Pairing mode",
    Prompt.PAIRING_ENDED: "Pairing mode ended",
    Prompt.SYSTEM_INFO: "System information",
    Prompt.FACTORY_RESET_CONFIRM: "Press confirm to restore factory settings",
    Prompt.FACTORY_RESET_DONE: "Factory settings restored",
    Prompt.AWAY_MODE_ON: "Away mode on",
    Prompt.AWAY_MODE_OFF: "Away mode off",
    Prompt.MUTE_ON: "Mute on",
    Prompt.DOORBELL: "(ding dong)",
    Prompt.SET_DOOR_DIRECTION: "Press 1 for a right-opening door, 2 for a left-opening door",
    Prompt.NOT_IN_VALIDITY_PERIOD: "Not within the validity period",
    Prompt.DOOR_NOT_LOCKED: "The door is not locked",
    Prompt.TIMEOUT: "Timed out",
}


class McuEventKind(IntEnum):
    """Unsolicited MCU events (MCU link message type EVENT, first payload byte)."""

    KEY = 0x01  # key: Key, long_press: bool
    KEYPAD_WAKE = 0x02
    KEYPAD_SLEEP = 0x03
    SET_BUTTON = 0x04  # press: SetPress
    LOCK_BUTTON = 0x05  # rear electronic lock button (L-44)
    DOOR = 0x06  # door: DoorState
    BOLT = 0x07  # bolt: BoltState (LOCKED/UNLOCKED after travel, JAMMED)
    TAMPER = 0x08
    BATTERY = 0x09  # battery_percent, low_battery
    MECHANICAL_KEY = 0x0A
    EMERGENCY_POWER = 0x0B  # connected: bool
    BLUETOOTH_KEY = 0x0C  # bluetooth_key: str (the code a phone presented)
    SENSOR_WAKE = 0x0D  # sensor: Sensor (touch line / proximity radar)
    BLUETOOTH = 0x0E  # bluetooth: BluetoothState, on every change (L-12)
    READ_OUT_DONE = 0x0F  # the system information has been read out (L-64)
    BLUETOOTH_LOCK = 0x10  # bluetooth_key: str (a phone presents its key to lock)


@dataclass(frozen=True, slots=True)
class McuInfo:
    """What the MCU says about itself in the hello exchange (L-64)."""

    serial: str
    model: str
    firmware: str
    verification_code: str
    capabilities: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class McuStatus:
    """Answer to the MCU STATUS command."""

    bolt: BoltState
    door: DoorState
    battery_percent: int
    low_battery: bool
    power_source: PowerSource
    tamper: bool
    wifi_enabled: bool
    wifi_rssi: int  # dBm; meaningless while wifi_enabled is False
    bluetooth: BluetoothState
    door_direction: DoorDirection


@dataclass(frozen=True, slots=True)
class McuEvent:
    """One unsolicited MCU event; ``seq`` is the MCU's own event sequence number."""

    seq: int
    kind: McuEventKind
    key: Key | None = None
    long_press: bool = False
    set_press: SetPress | None = None
    door: DoorState | None = None
    bolt: BoltState | None = None
    bolt_cause: BoltCause | None = None  # None: this MCU does not say (no option)
    battery_percent: int | None = None
    low_battery: bool = False
    connected: bool = False
    bluetooth_key: str | None = None
    sensor: Sensor | None = None
    bluetooth: BluetoothState | None = None
