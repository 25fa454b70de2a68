"""The simulated board: the firmware's ``Controller`` wired to simulated parts.

The physics talks to it in messages (dicts), the same in-process (the edge driver's
simulator) and over a socket (``bridge.py`` under MicroPython's Unix port): each
message sets the time and something the world did, runs one main-loop pass, and the
answer says what the firmware did (bytes sent to the host, motor and siren lines,
LEDs, sounds) and when it wants its next pass.
"""

from ezlock_mcu import FIRMWARE_VERSION, wire
from ezlock_mcu.battery import Battery
from ezlock_mcu.controller import Controller
from ezlock_mcu.hal import TYPE_CHECKING, Watchdog
from ezlock_mcu.inputs import Button, Switch
from ezlock_mcu.keypad import Keypad
from ezlock_mcu.leds import Leds, Pca9685
from ezlock_mcu.motor import Bolt, MotorTiming
from ezlock_mcu.mpr121 import Mpr121
from ezlock_mcu.store import FileStore, MemoryStore
from ezlock_mcu.voice import DfPlayer, Siren

from .parts import (
    DfPlayerModel,
    Mpr121Model,
    Pca9685Model,
    SimAdc,
    SimClock,
    SimI2c,
    SimInput,
    SimOutput,
    SimRadio,
    SimUart,
)

if TYPE_CHECKING:
    from typing import Any

KEYS_A = bytes(range(12))  # MPR121 at 0x5A: digits 0..9, back, confirm
KEYS_B = bytes((wire.KEY_AWAY, wire.KEY_DOORBELL))  # MPR121 at 0x5B
INPUTS = (
    "door_closed",
    "tamper",
    "set_button",
    "lock_button",
    "cylinder",
    "usb_power",
    "locked_end",
    "unlocked_end",
    "motor_fault",
    "fingerprint_touch",
    "face_radar",
    "palm_radar",
)
DIVIDER = 33 / 133
"""ADC volts per pack volt: the 100 k / 33 k divider of docs/hardware.md."""
CELLS = 2
SENSE_OHMS = 0.2
LONG_PRESS_MS = 3000
CAPABILITIES = [
    "bluetooth",
    "door_sensor",
    "emergency_power",
    "face",
    "fingerprint",
    "keypad",
    "palm",
    "siren",
    "tamper",
    "voice",
    "wifi",
]


def adc_u16(volts: float) -> int:
    """Return the 16-bit reading of ``volts`` at the ADC pin (3.3 V reference)."""
    return max(0, min(65535, int(volts / 3.3 * 65535 + 0.5)))


class SimBoard:
    """One powered-up controller on simulated parts."""

    def __init__(self, config: dict[str, Any]) -> None:
        """Build the parts and the firmware from ``config`` (see :meth:`boot`)."""
        self.clock = SimClock()
        self.clock.now = config["t"]
        initial = config.get("inputs", {})
        self.inputs = {
            name: SimInput(self.clock, bool(initial.get(name))) for name in INPUTS
        }
        self.keypad_irq = SimInput(self.clock)
        self.adcs = {
            "battery": SimAdc(config.get("battery", 0)),
            "motor_current": SimAdc(),
        }
        self.outputs = {
            name: SimOutput()
            for name in ("motor_in1", "motor_in2", "motor_sleep", "siren")
        }
        self.host = SimUart()
        self.voice = DfPlayerModel()
        self.radio = SimRadio()
        self.i2c = SimI2c()
        self.touch_a = Mpr121Model(self.keypad_irq)
        self.touch_b = Mpr121Model(self.keypad_irq)
        self.led_chip = Pca9685Model()
        self.i2c.chips.update(
            {0x5A: self.touch_a, 0x5B: self.touch_b, 0x40: self.led_chip}
        )
        path = config.get("store")
        self.store: FileStore | MemoryStore = FileStore(path) if path else MemoryStore()
        if isinstance(self.store, MemoryStore) and config.get("record") is not None:
            self.store.record = dict(config["record"])  # what the flash holds
        self.controller = self._build(config)
        self.controller.start(self.clock.now)
        self._played = 0

    def _build(self, config: dict[str, Any]) -> Controller:
        clock = self.clock
        timing = config.get("motor", {})

        def switch(name: str) -> Switch:
            return Switch(self.inputs[name], clock)

        bolt = Bolt(
            self.outputs["motor_in1"],
            self.outputs["motor_in2"],
            self.outputs["motor_sleep"],
            self.inputs["motor_fault"],
            self.adcs["motor_current"],
            switch("locked_end"),
            switch("unlocked_end"),
            MotorTiming(
                travel_timeout_ms=timing.get("travel_timeout_ms", 3000),
                inrush_ms=timing.get("inrush_ms", 150),
                stall_ms=timing.get("stall_ms", 60),
                stall_u16=adc_u16(0.8 * SENSE_OHMS),
            ),
            clock,
        )
        leds = Leds(Pca9685(self.i2c, 0x40), clock)
        return Controller(
            clock=clock,
            host=self.host,
            store=self.store,
            identity=(
                config["serial"],
                config["model"],
                config.get("firmware", FIRMWARE_VERSION + "-sim"),
                config["verification_code"],
            ),
            capabilities=CAPABILITIES,
            options=config.get("options", wire.OPTIONS),
            bolt=bolt,
            door=switch("door_closed"),
            tamper=switch("tamper"),
            set_button=Button(switch("set_button"), clock, LONG_PRESS_MS),
            lock_button=Button(switch("lock_button"), clock, LONG_PRESS_MS),
            cylinder=switch("cylinder"),
            usb_power=switch("usb_power"),
            sensors=[
                (switch("fingerprint_touch"), wire.SENSOR_FINGERPRINT),
                (switch("face_radar"), wire.SENSOR_FACE),
                (switch("palm_radar"), wire.SENSOR_PALM),
            ],
            keypad=Keypad(
                [
                    (Mpr121(self.i2c, 0x5A, 12, True), KEYS_A),
                    (Mpr121(self.i2c, 0x5B, 2, False), KEYS_B),
                ],
                self.keypad_irq,
                leds,
                clock,
                self._emit,
            ),
            leds=leds,
            voice=DfPlayer(self.voice),
            siren=Siren(self.outputs["siren"], clock),
            battery=Battery(self.adcs["battery"], CELLS, DIVIDER),
            radio=self.radio,
            watchdog=Watchdog(),
            event_capacity=config.get("event_capacity", 1024),
        )

    def _emit(self, kind: int, data: bytes) -> None:
        self.controller.emit(kind, data)

    def handle(self, message: dict[str, Any], looks: bool = True) -> dict[str, Any]:
        """Apply what the world did at time ``t``, run a pass, return what came out.

        ``looks=False`` leaves out what only a person's eyes need (:meth:`looks`): a
        caller in the same process asks for it when someone looks, not at every pass.
        """
        self.clock.now = message["t"]
        op = message["op"]
        if op == "rx":
            self.host.deliver(message["data"])
        elif op == "input":
            self.inputs[message["name"]].set(message["active"], message.get("ago", 0))
        elif op == "adc":
            self.adcs[message["name"]].value = message["value"]
        elif op == "touch":
            chip = self.touch_a if message["chip"] == 0 else self.touch_b
            chip.touch(message["bits"], message.get("ago", 0))
        elif op == "radio":
            self.radio.connected = message.get("connected", self.radio.connected)
            self.radio.rssi = message.get("rssi", self.radio.rssi)
            if message.get("key") is not None:
                self.radio.key = (message["key"], bool(message.get("lock", False)))
        due = self.controller.step(self.clock.now)
        return self.outputs_now(due, looks)

    def outputs_now(self, due: int, looks: bool = True) -> dict[str, Any]:
        """Return what the firmware drives now, and when it wants its next pass."""
        controller = self.controller
        played = self.voice.played[self._played :]
        self._played = len(self.voice.played)
        outputs = {
            "tx": self.host.take(),
            "out": {name: output.on for name, output in self.outputs.items()},
            "played": played,
            "volume": controller.volume,
            "wifi": self.radio.wifi_on,
            "bolt": controller.bolt.state,
            "door_direction": controller.door_direction,
            "battery": controller.battery.percent,
            "low_battery": controller.battery.low,
            "due": due,
            "events": controller.events.count,
        }
        if looks:
            outputs.update(self.looks())
        return outputs

    def looks(self) -> dict[str, Any]:
        """Return what the panel shows: each LED driver channel, each LED's mode."""
        leds = self.controller.leds
        return {
            "leds": [self.led_chip.level(channel) for channel in range(16)],
            "modes": [leds.mode(code) for code in range(0x11)],
            "showing": leds.showing(),
        }

    def shutdown(self) -> None:
        """Power going away: stop the motor."""
        self.controller.shutdown()
