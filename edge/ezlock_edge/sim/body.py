"""The physical lock around the simulated MCU: bolt and motor, door, battery, people.

Physics only: everything the controller decides (events, the jam, keypad wake and
sleep, LEDs, prompts, the siren's time) is the firmware's (``sim.mcu``). This module
moves the bolt while the firmware drives the motor, closes and opens switches, holds a
battery voltage on the ADC, touches the keypad's electrodes, and records what a person
sees and hears. Its time is the injected ``Clock``: a test with a ``ManualClock`` moves
motor travel, battery drain and the Bluetooth session with ``advance``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
import random
from typing import TYPE_CHECKING, Any

from ezlock_mcu.battery import cell_of_percent
from ezlock_mcu.readout import PHRASE_CODE, PHRASE_FIRMWARE, PHRASE_SERIAL, clips_of
from ezlock_mcu_sim.board import CELLS, DIVIDER, LONG_PRESS_MS, SENSE_OHMS, adc_u16

from ezlock_edge.clock import Clock
from ezlock_edge.vocabulary.mcu import (
    PROMPT_TEXT,
    BoltState,
    DoorDirection,
    DoorState,
    Key,
    Led,
    LedMode,
    Prompt,
    Sensor,
    SetPress,
)

from .errors import SimulationError

if TYPE_CHECKING:
    from .mcu import Message, VirtualMcu

DRAIN_PER_HOUR = 0.05
"""Idle drain in percent per hour: a full pack lasts months, as on the real lock."""
MOTOR_DRAIN = 0.01
"""Percent of charge one motor movement costs."""
BLUETOOTH_SESSION = 3.0
"""Seconds a phone stays connected after presenting a Bluetooth key."""
WIFI_RSSI = -58
"""Typical Wi-Fi signal in dBm (jittered by a few dB at each power-up)."""
PROMPT_LOG_SIZE = 200
"""Prompts kept for the panel; older ones are forgotten."""
RUN_AMPS = 0.3
STALL_AMPS = 1.0
KEY_HOLD_MS = 2000
"""How long a person holds a key for a long press (the firmware's threshold)."""
_DRAIN_TICK = 60.0
_PROXIMITY = 0x1000
_SENSOR_LINES = {
    Sensor.FINGERPRINT: "fingerprint_touch",
    Sensor.FACE: "face_radar",
    Sensor.PALM: "palm_radar",
}
_LED_CODES = [*Key, *Led]


@dataclass(frozen=True, slots=True)
class SpokenPrompt:
    """One voice prompt the lock played (or one item of the system information)."""

    name: str
    text: str
    time: str


_READ_OUT_PHRASES = {
    PHRASE_SERIAL: ("serial_number", "Serial number:"),
    PHRASE_FIRMWARE: ("firmware_version", "Firmware version:"),
    PHRASE_CODE: ("verification_code", "Verification code:"),
}
"""The read-out's phrase clips (L-64, ``ezlock_mcu.readout``): transcript name, words."""
_READ_OUT_CHARS = {
    clip: ("point" if char == "." else "dash" if char == "-" else char)
    for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-"
    for clip in clips_of(char)
}


def _electrode(key: Key) -> tuple[int, int]:
    """(chip, electrode) of ``key``: 0x5A has 0-9, back, confirm; 0x5B away, doorbell."""
    if key is Key.AWAY:
        return 1, 0
    if key is Key.DOORBELL:
        return 1, 1
    return 0, int(key)


class LockBody:
    """The lock's mechanics and what a person does to them."""

    def __init__(
        self,
        clock: Clock,
        mcu: VirtualMcu,
        rng: random.Random,
        *,
        motor_travel: float = 0.4,
        handing: int = DoorDirection.RIGHT,
    ) -> None:
        """Start locked, door closed, battery full, no power bank."""
        if motor_travel < 0:
            raise ValueError("motor travel cannot be negative")
        self._clock = clock
        self._mcu = mcu
        self._rng = rng
        self.motor_travel = motor_travel
        self.handing = DoorDirection(handing)
        self._position = 1.0  # 1 = thrown (locked end), 0 = retracted (unlocked end)
        self.door = DoorState.CLOSED
        self.last_motor_direction: DoorDirection | None = None
        self._charge = 100.0
        self.emergency_power = False
        self.tamper = False
        self.bluetooth = False
        self.prompts: list[SpokenPrompt] = []
        self._jam_next = False
        self._motion: tuple[float, float, float] | None = None  # from, to, started
        self._arrival: asyncio.Handle | None = None
        self._driven: int = 0  # -1 retracting, +1 throwing, 0 stopped
        self._bluetooth_end: asyncio.Handle | None = None
        self._drain: asyncio.Handle | None = None
        self._set_held = False

    # -- life cycle ---------------------------------------------------------------

    def start(self) -> None:
        """Insert the battery: drain begins, the controller boots."""
        self._drain = self._clock.call_later(_DRAIN_TICK, self._drain_tick)
        self._power_up()

    def stop(self) -> None:
        """Cancel every timer; the lock keeps its state."""
        for handle in (self._arrival, self._bluetooth_end, self._drain):
            if handle is not None:
                handle.cancel()
        self._arrival = self._bluetooth_end = self._drain = None

    @property
    def powered(self) -> bool:
        """A flat battery with no power bank leaves the electronics dead (L-08)."""
        return self.emergency_power or self._charge > 0

    # -- what the controller drove --------------------------------------------------

    def firmware_drove(self, outputs: Message) -> None:
        """React to the firmware's outputs: the motor, the sounds."""
        out = outputs["out"]
        driven = 0
        if out["motor_sleep"] and out["motor_in1"] != out["motor_in2"]:
            forward = bool(out["motor_in1"])
            retract = forward == (self.handing is DoorDirection.RIGHT)
            driven = -1 if retract else 1
            if retract:
                self.last_motor_direction = (
                    DoorDirection.RIGHT if forward else DoorDirection.LEFT
                )
        if driven != self._driven:
            self._motor_changed(driven)
        if outputs["volume"]:
            for track in outputs["played"]:
                self._heard(track)
        del self.prompts[:-PROMPT_LOG_SIZE]

    def _heard(self, track: int) -> None:
        """Add what the voice module played to the transcript."""
        now = self._clock.now().isoformat()
        if track in Prompt._value2member_map_:
            prompt = Prompt(track)
            self.prompts.append(
                SpokenPrompt(prompt.name.lower(), PROMPT_TEXT[prompt], now)
            )
        elif track in _READ_OUT_PHRASES:
            self.prompts.append(SpokenPrompt(*_READ_OUT_PHRASES[track], now))
        elif track in _READ_OUT_CHARS and self.prompts:
            # A spelled character goes on with the item being read out.
            last = self.prompts[-1]
            self.prompts[-1] = replace(
                last, text=f"{last.text} {_READ_OUT_CHARS[track]}"
            )

    # -- what the MCU shows ----------------------------------------------------------

    def panel(self) -> dict[str, Any]:
        """Describe what a person standing at the door sees and hears."""
        outputs, looks = self._mcu.outputs, self._mcu.looks()
        modes = list(looks.get("modes", [0] * 0x11))
        showing = looks.get("showing", -1)
        if showing >= 0:
            # A number or a flash has the keys for a moment (L-21, L-48).
            for key in Key:
                modes[key] = LedMode.ON if showing & (1 << key) else LedMode.OFF
        leds = {
            _led_name(led): LedMode(modes[int(led)]).name.lower()
            for led in _LED_CODES
            if modes[int(led)] != LedMode.OFF
        }
        bolt = BoltState(outputs.get("bolt", BoltState.UNKNOWN))
        battery = outputs.get("battery", -1)
        return {
            "awake": bool(looks.get("leds", [0] * 16)[15]),
            "leds": dict(sorted(leds.items())),
            "prompts": [
                {"prompt": p.name, "text": p.text, "time": p.time} for p in self.prompts
            ],
            "volume": outputs.get("volume", 0),
            "siren": bool(outputs.get("out", {}).get("siren", False)),
            "bolt": bolt.name.lower(),
            "door": self.door.name.lower(),
            "door_direction": DoorDirection(
                outputs.get("door_direction", DoorDirection.RIGHT)
            ).name.lower(),
            "last_motor_direction": (
                self.last_motor_direction.name.lower()
                if self.last_motor_direction is not None
                else None
            ),
            "battery_percent": max(battery, 0),
            "low_battery": bool(outputs.get("low_battery", False)),
            "emergency_power": self.emergency_power,
            "tamper": self.tamper,
            "wifi_enabled": bool(outputs.get("wifi", False)),
            "bluetooth": "connected" if self.bluetooth else "idle",
        }

    # -- what a person (or the world) does --------------------------------------------

    def keypad(self, keys: Sequence[Key], hold: Key | None = None) -> None:
        """Bring a hand near (the keypad wakes), tap ``keys``, then hold ``hold``."""
        self._require_power()
        if not self.panel()["awake"]:
            self._touch(0, _PROXIMITY)
            self._touch(0, 0)
        for key in keys:
            chip, electrode = _electrode(key)
            self._touch(chip, 1 << electrode)
            self._touch(chip, 0)
        if hold is not None:
            chip, electrode = _electrode(hold)
            self._touch(chip, 1 << electrode, ago=KEY_HOLD_MS)
            self._touch(chip, 0)

    def sensor_woken(self, sensor: Sensor) -> None:
        """Touch the reader with a finger, or come close to the radar."""
        self._pulse(_SENSOR_LINES[sensor])

    def bluetooth_key(self, code: str, lock: bool = False) -> None:
        """Connect a phone that presents a Bluetooth key to open, or to lock (L-31)."""
        self._require_power()
        self.bluetooth = True
        self._mcu.world({"op": "radio", "connected": True, "key": code, "lock": lock})
        if self._bluetooth_end is not None:
            self._bluetooth_end.cancel()
        self._bluetooth_end = self._clock.call_later(
            BLUETOOTH_SESSION, self._bluetooth_disconnect
        )

    def mechanical_key(self, turn: BoltState) -> None:
        """Turn the key cylinder: its switch closes, the bolt moves by hand (L-07)."""
        if turn not in (BoltState.LOCKED, BoltState.UNLOCKED):
            raise ValueError("a key turns to locked or unlocked")
        self._pulse("cylinder")
        self._move_by_hand(1.0 if turn is BoltState.LOCKED else 0.0)

    def set_door(self, state: DoorState) -> None:
        """Open or close the door.

        Opening a locked door can only be done from inside with the handle, which
        retracts the bolt of the mortise (as the 6068 lock body does).
        """
        if state is self.door:
            return
        if state is DoorState.OPEN and self._position > 0:
            self._move_by_hand(0.0)
        self.door = state
        self._input("door_closed", state is DoorState.CLOSED)

    def set_button(self, press: SetPress) -> None:
        """Press SET on the rear panel (L-04): short, long, or held at power-up (L-63)."""
        self._require_power()
        if press is SetPress.HELD_AT_POWER_UP:
            self._mcu.power_off()
            self._set_held = True
            self._power_up()
            self._set_held = False
            self._input("set_button", False)
            return
        ago = LONG_PRESS_MS if press is SetPress.LONG else 0
        self._input("set_button", True, ago)
        self._input("set_button", False)

    def lock_button(self) -> None:
        """Press the electronic lock button on the rear panel (L-44)."""
        self._require_power()
        self._pulse("lock_button")

    def set_tamper(self, removed: bool) -> None:
        """Pry the front panel off (L-05), or put it back."""
        self.tamper = removed
        self._input("tamper", removed)

    def set_battery(self, percent: float) -> None:
        """Swap in a battery charged to ``percent``: the controller restarts (L-06).

        With a power bank on the USB-C port it keeps running and sees the new
        voltage at its next measurement.
        """
        if not 0 <= percent <= 100:
            raise ValueError(f"battery percent must be within 0..100, not {percent}")
        self._charge = float(percent)
        if self.emergency_power:
            self._report_voltage()
            return
        self._mcu.power_off()
        self._power_up()

    def set_emergency_power(self, connected: bool) -> None:
        """Plug a power bank into the front USB-C port (L-08), or unplug it."""
        if connected is self.emergency_power:
            return
        self.emergency_power = connected
        if self._mcu.powered and not self.powered:
            self._mcu.power_off()
        elif not self._mcu.powered:
            self._power_up()
        else:
            self._input("usb_power", connected)

    def jam(self, next_move: bool) -> None:
        """Make the next motor movement stall halfway (something blocks the bolt)."""
        self._jam_next = next_move

    # -- internals -------------------------------------------------------------------

    def _power_up(self) -> None:
        if not self.powered or self._mcu.powered:
            return
        self._driven = 0
        self._motion = None
        self._mcu.power_on(self._inputs(), {"battery": self._battery_u16()})
        self._mcu.world({"op": "radio", "rssi": WIFI_RSSI + self._rng.randint(-3, 3)})

    def _inputs(self) -> dict[str, bool]:
        return {
            "door_closed": self.door is DoorState.CLOSED,
            "tamper": self.tamper,
            "set_button": self._set_held,
            "usb_power": self.emergency_power,
            "locked_end": self._position >= 1.0,
            "unlocked_end": self._position <= 0.0,
        }

    def _require_power(self) -> None:
        if not self.powered:
            raise SimulationError("the lock has no power (flat battery)")

    def _input(self, name: str, active: bool, ago: int = 0) -> None:
        self._mcu.world({"op": "input", "name": name, "active": active, "ago": ago})

    def _pulse(self, name: str) -> None:
        self._input(name, True)
        self._input(name, False)

    def _touch(self, chip: int, bits: int, ago: int = 0) -> None:
        self._mcu.world({"op": "touch", "chip": chip, "bits": bits, "ago": ago})

    def _end_stops(self) -> None:
        self._input("locked_end", self._position >= 1.0)
        self._input("unlocked_end", self._position <= 0.0)

    def _motor_changed(self, driven: int) -> None:
        """Follow the bridge: the motor started, stopped or reversed."""
        self._halt()
        self._driven = driven
        if driven == 0:
            self._current(0.0)
            return
        self._use_charge(MOTOR_DRAIN)
        target = 0.0 if driven < 0 else 1.0
        jam, self._jam_next = self._jam_next, False
        if self._position == target:
            self._current(STALL_AMPS)  # pushing against the end
            return
        stop_at = target
        if jam:  # an obstacle halfway, or right here if the bolt is past it
            ahead = (self._position - 0.5) * (target - 0.5) < 0
            stop_at = 0.5 if ahead else self._position
        travel = abs(stop_at - self._position) * self.motor_travel
        self._current(RUN_AMPS)
        self._motion = (self._position, stop_at, self._clock.monotonic())
        if travel == 0:
            self._arrive(stop_at, target)
        else:
            self._arrival = self._clock.call_later(
                travel, lambda: self._arrive(stop_at, target)
            )

    def _arrive(self, where: float, target: float) -> None:
        self._arrival = None
        self._motion = None
        self._position = where
        if where != target:
            self._current(STALL_AMPS)  # blocked: the motor stalls
        self._end_stops()

    def _halt(self) -> None:
        """Stop where the bolt is now."""
        if self._arrival is not None:
            self._arrival.cancel()
            self._arrival = None
        if self._motion is not None:
            start, end, started = self._motion
            if self.motor_travel > 0:
                done = (self._clock.monotonic() - started) / self.motor_travel
                step = min(abs(end - start), done)
                self._position = start + step * (1 if end > start else -1)
            self._motion = None

    def _move_by_hand(self, where: float) -> None:
        self._halt()
        self._position = where
        self._end_stops()

    def _current(self, amps: float) -> None:
        self._mcu.world(
            {"op": "adc", "name": "motor_current", "value": adc_u16(amps * SENSE_OHMS)}
        )

    def _battery_u16(self) -> int:
        return adc_u16(cell_of_percent(self._charge) * CELLS * DIVIDER)

    def _report_voltage(self) -> None:
        self._mcu.world({"op": "adc", "name": "battery", "value": self._battery_u16()})

    def _bluetooth_disconnect(self) -> None:
        self._bluetooth_end = None
        self.bluetooth = False
        self._mcu.world({"op": "radio", "connected": False})

    def _drain_tick(self) -> None:
        self._drain = self._clock.call_later(_DRAIN_TICK, self._drain_tick)
        self._use_charge(DRAIN_PER_HOUR * _DRAIN_TICK / 3600)

    def _use_charge(self, percent: float) -> None:
        if self.emergency_power:
            return
        self._charge = max(0.0, self._charge - percent)
        if not self.powered:
            self._mcu.power_off()
        else:
            self._report_voltage()


def _led_name(led: Key | Led) -> str:
    return led.label if isinstance(led, Key) else led.name.lower()
