"""The physical lock behind the simulated MCU: motor, door, battery, keypad, siren, radios.

Everything here happens in the lock's own time (the injected ``Clock``): motor travel,
keypad sleep, the siren's run time, battery drain and the Bluetooth session. A test with
a ``ManualClock`` moves those forward with ``advance``. The MCU protocol peer
(``sim.mcu``) turns host commands into calls here and numbers the events emitted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
import math
import random
from typing import Any

from ezlock_edge.clock import Clock
from ezlock_edge.vocabulary.mcu import (
    PROMPT_TEXT,
    BluetoothState,
    BoltState,
    DoorDirection,
    DoorState,
    Key,
    Led,
    LedMode,
    McuEvent,
    McuEventKind,
    McuStatus,
    PowerSource,
    Prompt,
    Sensor,
    SetPress,
)

from .errors import SimulationError

KEYPAD_IDLE_SLEEP = 20.0
"""Seconds without a touch or host activity before the keypad goes dark (manual)."""
LOW_BATTERY_PERCENT = 20
"""Below this the battery is low (L-62)."""
DRAIN_PER_HOUR = 0.05
"""Idle drain in percent per hour: a full pack lasts months, as on the real lock."""
MOTOR_DRAIN = 0.01
"""Percent of charge one motor movement costs."""
BLUETOOTH_SESSION = 3.0
"""Seconds a phone stays connected after presenting a Bluetooth key."""
WIFI_RSSI = -58
"""Typical Wi-Fi signal in dBm; each STATUS read jitters it by a few dB."""
PROMPT_LOG_SIZE = 200
"""Prompts kept for the panel; older ones are forgotten."""
_DRAIN_TICK = 60.0

EventSink = Callable[[McuEvent], None]


@dataclass(frozen=True, slots=True)
class SpokenPrompt:
    """One voice prompt the lock played."""

    prompt: Prompt
    text: str
    time: str


class LockBody:
    """The lock's mechanics and electronics, as the MCU firmware sees them.

    Events go to ``emit`` with ``seq`` 0: the MCU link numbers them.
    """

    def __init__(
        self,
        clock: Clock,
        emit: EventSink,
        rng: random.Random,
        *,
        motor_travel: float = 0.4,
    ) -> None:
        """Start locked, door closed, battery full, keypad asleep."""
        if motor_travel < 0:
            raise ValueError("motor travel cannot be negative")
        self._clock = clock
        self._emit_event = emit
        self._rng = rng
        self.motor_travel = motor_travel
        self.bolt = BoltState.LOCKED
        self.door = DoorState.CLOSED
        self.door_direction = DoorDirection.RIGHT
        self.last_motor_direction: DoorDirection | None = None
        self._charge = 100.0
        self._reported_percent = 100
        self.emergency_power = False
        self.tamper = False
        self.siren = False
        self.volume = 2
        self.wifi_enabled = True
        self.bluetooth = BluetoothState.IDLE
        self.awake = False
        self.leds: dict[Key | Led, LedMode] = {}
        self.prompts: list[SpokenPrompt] = []
        self._jam_next = False
        self._motor: asyncio.Handle | asyncio.TimerHandle | None = None
        self._idle: asyncio.Handle | None = None
        self._siren_off: asyncio.Handle | None = None
        self._bluetooth_end: asyncio.Handle | None = None
        self._drain: asyncio.Handle | None = None

    # -- life cycle ---------------------------------------------------------------

    def start(self) -> None:
        """Start the battery's slow drain."""
        self._drain = self._clock.call_later(_DRAIN_TICK, self._drain_tick)

    def stop(self) -> None:
        """Cancel every timer; the lock keeps its state."""
        for handle in (
            self._motor,
            self._idle,
            self._siren_off,
            self._bluetooth_end,
            self._drain,
        ):
            if handle is not None:
                handle.cancel()
        self._motor = self._idle = self._siren_off = None
        self._bluetooth_end = self._drain = None

    # -- what the MCU reads ---------------------------------------------------------

    @property
    def battery_percent(self) -> int:
        """Battery level as the fuel gauge reports it (whole percent)."""
        return self._reported_percent

    @property
    def low_battery(self) -> bool:
        """Whether the low-voltage warning is on (L-62)."""
        return self._reported_percent < LOW_BATTERY_PERCENT

    @property
    def motor_running(self) -> bool:
        """Whether the bolt is moving (a new motor command is refused as BUSY)."""
        return self._motor is not None

    @property
    def powered(self) -> bool:
        """A flat battery with no power bank leaves the electronics dead (L-08)."""
        return self.emergency_power or self._charge > 0

    def status(self) -> McuStatus:
        """Answer the STATUS command."""
        return McuStatus(
            bolt=self.bolt,
            door=self.door,
            battery_percent=self.battery_percent,
            low_battery=self.low_battery,
            power_source=(
                PowerSource.EMERGENCY if self.emergency_power else PowerSource.BATTERY
            ),
            tamper=self.tamper,
            wifi_enabled=self.wifi_enabled,
            wifi_rssi=WIFI_RSSI + self._rng.randint(-3, 3) if self.wifi_enabled else 0,
            bluetooth=self.bluetooth,
            door_direction=self.door_direction,
        )

    def panel(self) -> dict[str, Any]:
        """Describe what a person standing at the door sees and hears."""
        return {
            "awake": self.awake,
            "leds": {
                _led_name(led): mode.name.lower()
                for led, mode in sorted(self.leds.items())
                if mode is not LedMode.OFF
            },
            "prompts": [
                {"prompt": p.prompt.name.lower(), "text": p.text, "time": p.time}
                for p in self.prompts
            ],
            "volume": self.volume,
            "siren": self.siren,
            "bolt": self.bolt.name.lower(),
            "door": self.door.name.lower(),
            "door_direction": self.door_direction.name.lower(),
            "last_motor_direction": (
                self.last_motor_direction.name.lower()
                if self.last_motor_direction is not None
                else None
            ),
            "battery_percent": self.battery_percent,
            "low_battery": self.low_battery,
            "emergency_power": self.emergency_power,
            "tamper": self.tamper,
            "wifi_enabled": self.wifi_enabled,
            "bluetooth": self.bluetooth.name.lower(),
        }

    # -- host commands --------------------------------------------------------------

    def lock(self) -> None:
        """Throw the bolt; BOLT events report LOCKING, then LOCKED (or JAMMED)."""
        self._move(BoltState.LOCKED)

    def unlock(self, direction: DoorDirection) -> None:
        """Retract the bolt, turning the motor for a ``direction``-opening door (L-46)."""
        self.last_motor_direction = direction
        self._move(BoltState.UNLOCKED)

    def set_leds(self, leds: Collection[Key | Led], mode: LedMode) -> None:
        """Light, blink or darken some keypad LEDs.

        Lighting keys steadily wakes the panel silently. Darkening every key puts it
        to sleep at once, so the next touch is a ``KEYPAD_WAKE`` again; blinking LEDs
        (pairing 0, low battery) blink on a sleeping panel too.
        """
        for led in leds:
            self.leds[led] = mode
        if mode is LedMode.ON:
            self.awake = True
        elif mode is LedMode.OFF and set(Key) <= set(leds):
            self._cancel_idle()
            self.awake = False
            return
        self._host_activity()

    def clear_leds(self) -> None:
        """Darken every keypad LED."""
        self.leds.clear()

    def play(self, prompt: Prompt) -> None:
        """Speak a prompt, unless the volume is 0 (L-48)."""
        self._host_activity()
        if self.volume == 0:
            return
        self.prompts.append(
            SpokenPrompt(prompt, PROMPT_TEXT[prompt], self._clock.now().isoformat())
        )
        del self.prompts[:-PROMPT_LOG_SIZE]

    def set_volume(self, level: int) -> None:
        """0 (mute) to 3."""
        if not 0 <= level <= 3:
            raise ValueError(f"volume must be 0..3, not {level}")
        self.volume = level

    def sound_siren(self, on: bool, seconds: float) -> None:
        """Start the siren for ``seconds`` (L-60), or stop it."""
        if self._siren_off is not None:
            self._siren_off.cancel()
            self._siren_off = None
        self.siren = on
        if on:
            self._siren_off = self._clock.call_later(seconds, self._siren_timeout)

    def set_door_direction(self, direction: DoorDirection) -> None:
        """Remember which way the door opens (L-46)."""
        self.door_direction = direction

    def set_wifi(self, enabled: bool) -> None:
        """Switch the Wi-Fi radio (L-12)."""
        self.wifi_enabled = enabled

    # -- what a person (or the world) does --------------------------------------------

    def keypad(self, keys: Sequence[Key], hold: Key | None = None) -> None:
        """Touch the keypad (waking it), press ``keys``, then long-press ``hold``."""
        self._require_power()
        if not self.awake:
            self.awake = True
            self._emit(McuEventKind.KEYPAD_WAKE)
        for key in keys:
            self._emit(McuEventKind.KEY, key=key)
        if hold is not None:
            self._emit(McuEventKind.KEY, key=hold, long_press=True)
        self._restart_idle()

    def sensor_woken(self, sensor: Sensor) -> None:
        """Report a finger touching the reader, or the radar seeing someone come."""
        if self.powered:
            self._emit(McuEventKind.SENSOR_WAKE, sensor=sensor)

    def bluetooth_key(self, code: str) -> None:
        """Connect a phone that presents a Bluetooth key (L-31)."""
        self._require_power()
        self.bluetooth = BluetoothState.CONNECTED
        self._emit(McuEventKind.BLUETOOTH_KEY, bluetooth_key=code)
        if self._bluetooth_end is not None:
            self._bluetooth_end.cancel()
        self._bluetooth_end = self._clock.call_later(
            BLUETOOTH_SESSION, self._bluetooth_disconnect
        )

    def mechanical_key(self, turn: BoltState) -> None:
        """Turn the key cylinder: the bolt moves by hand, no motor (L-07)."""
        if turn not in (BoltState.LOCKED, BoltState.UNLOCKED):
            raise ValueError("a key turns to locked or unlocked")
        self._stop_motor()
        self._emit(McuEventKind.MECHANICAL_KEY)
        self._set_bolt(turn)

    def set_door(self, state: DoorState) -> None:
        """Open or close the door.

        Opening a locked door can only be done from inside with the handle, which
        retracts the bolt of the mortise (as the 6068 lock body does).
        """
        if state is self.door:
            return
        if state is DoorState.OPEN and self.bolt is not BoltState.UNLOCKED:
            self._stop_motor()
            self._set_bolt(BoltState.UNLOCKED)
        self.door = state
        self._emit(McuEventKind.DOOR, door=state)

    def set_button(self, press: SetPress) -> None:
        """Press the SET button on the rear panel (L-04)."""
        self._require_power()
        self._emit(McuEventKind.SET_BUTTON, set_press=press)

    def lock_button(self) -> None:
        """Press the electronic lock button on the rear panel (L-44)."""
        self._require_power()
        self._emit(McuEventKind.LOCK_BUTTON)

    def set_tamper(self, removed: bool) -> None:
        """Pry the front panel off (L-05), or put it back (no event)."""
        if removed and not self.tamper:
            self._emit(McuEventKind.TAMPER)
        self.tamper = removed

    def set_battery(self, percent: float) -> None:
        """Swap in a battery charged to ``percent``."""
        if not 0 <= percent <= 100:
            raise ValueError(f"battery percent must be within 0..100, not {percent}")
        self._charge = float(percent)
        self._report_battery(force=True)

    def set_emergency_power(self, connected: bool) -> None:
        """Plug a power bank into the front USB-C port (L-08), or unplug it."""
        if connected is self.emergency_power:
            return
        self.emergency_power = connected
        self._emit(McuEventKind.EMERGENCY_POWER, connected=connected)

    def jam(self, next_move: bool) -> None:
        """Make the next motor movement end JAMMED (or cancel that)."""
        self._jam_next = next_move

    # -- internals -------------------------------------------------------------------

    def _emit(self, kind: McuEventKind, **fields: Any) -> None:
        if self.powered:
            self._emit_event(McuEvent(seq=0, kind=kind, **fields))

    def _require_power(self) -> None:
        if not self.powered:
            raise SimulationError("the lock has no power (flat battery)")

    def _move(self, target: BoltState) -> None:
        self._stop_motor()
        self._set_bolt(
            BoltState.LOCKING if target is BoltState.LOCKED else BoltState.UNLOCKING
        )
        end = BoltState.JAMMED if self._jam_next else target
        self._jam_next = False
        self._use_charge(MOTOR_DRAIN)
        if self.motor_travel == 0:
            self._motor = asyncio.get_running_loop().call_soon(self._motor_done, end)
        else:
            self._motor = self._clock.call_later(
                self.motor_travel, lambda: self._motor_done(end)
            )

    def _motor_done(self, end: BoltState) -> None:
        self._motor = None
        self._set_bolt(end)

    def _stop_motor(self) -> None:
        if self._motor is not None:
            self._motor.cancel()
            self._motor = None

    def _set_bolt(self, state: BoltState) -> None:
        self.bolt = state
        self._emit(McuEventKind.BOLT, bolt=state)

    def _host_activity(self) -> None:
        if self.awake:
            self._restart_idle()

    def _restart_idle(self) -> None:
        self._cancel_idle()
        self._idle = self._clock.call_later(KEYPAD_IDLE_SLEEP, self._sleep)

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _sleep(self) -> None:
        """Darken the panel; blinking LEDs (pairing 0, low battery) keep blinking."""
        self._idle = None
        self.awake = False
        self.leds = {
            led: mode for led, mode in self.leds.items() if mode is LedMode.BLINK
        }
        self._emit(McuEventKind.KEYPAD_SLEEP)

    def _siren_timeout(self) -> None:
        self._siren_off = None
        self.siren = False

    def _bluetooth_disconnect(self) -> None:
        self._bluetooth_end = None
        self.bluetooth = BluetoothState.IDLE

    def _drain_tick(self) -> None:
        self._drain = self._clock.call_later(_DRAIN_TICK, self._drain_tick)
        self._use_charge(DRAIN_PER_HOUR * _DRAIN_TICK / 3600)

    def _use_charge(self, percent: float) -> None:
        if self.emergency_power:
            return
        self._charge = max(0.0, self._charge - percent)
        self._report_battery(force=False)

    def _report_battery(self, *, force: bool) -> None:
        percent = math.ceil(self._charge)
        if percent == self._reported_percent and not force:
            return
        self._reported_percent = percent
        self._emit(
            McuEventKind.BATTERY,
            battery_percent=percent,
            low_battery=percent < LOW_BATTERY_PERCENT,
        )


def _led_name(led: Key | Led) -> str:
    return led.label if isinstance(led, Key) else led.name.lower()
