"""The one place with the pins: the ezlock controller on a Raspberry Pi Pico (W).

docs/hardware.md has the same tables for the wiring; change a pin here and there.
"""

from ezlock_mcu import FIRMWARE_VERSION, wire
from ezlock_mcu.battery import Battery
from ezlock_mcu.controller import Controller
from ezlock_mcu.hal import Radio
from ezlock_mcu.inputs import Button, Switch
from ezlock_mcu.keypad import Keypad
from ezlock_mcu.leds import Leds, Pca9685
from ezlock_mcu.motor import Bolt, MotorTiming
from ezlock_mcu.mpr121 import Mpr121
from ezlock_mcu.store import FileStore
from ezlock_mcu.voice import DfPlayer, Siren, Tones
import machine
from machine_hal import (
    PicoAdc,
    PicoClock,
    PicoI2c,
    PicoInput,
    PicoOutput,
    PicoPwm,
    PicoUart,
    PicoWatchdog,
)

MODEL = "EZLOCK-PICO"
# Host link (Raspberry Pi): UART0
HOST_UART, HOST_TX, HOST_RX, HOST_BAUD = 0, 0, 1, 115200
# Voice module (DFPlayer Mini): UART1 TX only
VOICE_UART, VOICE_TX, VOICE_RX, VOICE_BAUD = 1, 4, 5, 9600
USE_VOICE_MODULE = True  # False: a passive buzzer on BUZZER plays tones instead
BUZZER = 22
# Keypad and LEDs: I2C1
I2C_BUS, I2C_SDA, I2C_SCL = 1, 6, 7
KEYPAD_IRQ = 8  # both MPR121 IRQ outputs (open drain, wired together)
TOUCH_A, TOUCH_B, LED_DRIVER = 0x5A, 0x5B, 0x40
# Motor: DRV8833 channel A
MOTOR_IN1, MOTOR_IN2, MOTOR_SLEEP, MOTOR_FAULT = 10, 11, 12, 13
MOTOR_CURRENT_ADC = 27  # ADC1: the voltage on AISEN (0.2 Ohm sense resistor)
SENSE_OHMS = 0.2
STALL_AMPS = 0.8
# End stops, door, tamper, buttons, key cylinder (contacts to GND, RC-debounced)
LOCKED_END, UNLOCKED_END = 14, 15
DOOR_REED = 16  # closed (active) while the door's magnet is near
TAMPER = 17  # NC contact held shut by the mounted panel: active = removed
SET_BUTTON, LOCK_BUTTON = 18, 19
CYLINDER = 20  # microswitch on the key cylinder's cam
USB_POWER = 21  # USB-C VBUS through a 10 k / 20 k divider: active high
# Sensor wake lines (logic outputs, active high)
FINGER_TOUCH, FACE_RADAR, PALM_RADAR = 2, 3, 9
SIREN = 26
BATTERY_ADC = 28  # ADC2: pack through 100 k / 33 k
CELLS, DIVIDER = 2, 33 / 133
LONG_PRESS_MS = 3000
WATCHDOG_MS = 2000
EVENT_CAPACITY = 1024
STORE_PATH = "/ezlock.json"


def _identity(store: FileStore) -> "tuple[str, str]":
    """Return the serial (from the flash chip's id) and the verification code (made once)."""
    record = store.load() or {}
    serial = "EZ" + "".join(f"{b:02X}" for b in machine.unique_id()[-4:])
    code = record.get("code")
    if not code:
        import os

        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        code = "".join(letters[b % len(letters)] for b in os.urandom(6))
        record["code"] = code
        store.save(record)
    return serial, str(code)


def _radio() -> Radio:
    try:
        from pico_radio import PicoWRadio

        return PicoWRadio()
    except ImportError:  # a plain Pico: no CYW43 chip
        return Radio()


def build() -> Controller:
    """Wire the drivers to the pins above and return the controller (not started)."""
    clock = PicoClock()
    store = FileStore(STORE_PATH)
    serial, code = _identity(store)

    def contact(pin: int) -> Switch:
        return Switch(PicoInput(pin), clock)

    def logic(pin: int) -> Switch:
        return Switch(
            PicoInput(pin, pull=machine.Pin.PULL_DOWN, active_low=False), clock
        )

    i2c = PicoI2c(I2C_BUS, I2C_SDA, I2C_SCL)
    leds = Leds(Pca9685(i2c, LED_DRIVER), clock)
    radio = _radio()
    capabilities = [
        "door_sensor",
        "emergency_power",
        "face",
        "fingerprint",
        "keypad",
        "palm",
        "siren",
        "tamper",
        "voice",
    ]
    if radio.has_wifi:
        capabilities.append("wifi")
    if radio.has_bluetooth:
        capabilities.append("bluetooth")
    voice = (
        DfPlayer(PicoUart(VOICE_UART, VOICE_TX, VOICE_RX, VOICE_BAUD))
        if USE_VOICE_MODULE
        else Tones(PicoPwm(BUZZER), clock)
    )
    stall = int(STALL_AMPS * SENSE_OHMS / 3.3 * 65535)
    built: list[Controller] = []  # the keypad reports through the controller
    controller = Controller(
        clock=clock,
        host=PicoUart(HOST_UART, HOST_TX, HOST_RX, HOST_BAUD),
        store=store,
        identity=(serial, MODEL, FIRMWARE_VERSION, code),
        capabilities=capabilities,
        bolt=Bolt(
            PicoOutput(MOTOR_IN1),
            PicoOutput(MOTOR_IN2),
            PicoOutput(MOTOR_SLEEP),
            PicoInput(MOTOR_FAULT),  # nFAULT: open drain, low on a fault
            PicoAdc(MOTOR_CURRENT_ADC),
            contact(LOCKED_END),
            contact(UNLOCKED_END),
            MotorTiming(
                travel_timeout_ms=3000, inrush_ms=150, stall_ms=60, stall_u16=stall
            ),
            clock,
        ),
        door=contact(DOOR_REED),
        tamper=Switch(PicoInput(TAMPER, active_low=False), clock),
        set_button=Button(contact(SET_BUTTON), clock, LONG_PRESS_MS),
        lock_button=Button(contact(LOCK_BUTTON), clock, LONG_PRESS_MS),
        cylinder=contact(CYLINDER),
        usb_power=logic(USB_POWER),
        sensors=[
            (logic(FINGER_TOUCH), wire.SENSOR_FINGERPRINT),
            (logic(FACE_RADAR), wire.SENSOR_FACE),
            (logic(PALM_RADAR), wire.SENSOR_PALM),
        ],
        keypad=Keypad(
            [
                (Mpr121(i2c, TOUCH_A, 12, True), bytes(range(12))),
                (
                    Mpr121(i2c, TOUCH_B, 2, False),
                    bytes((wire.KEY_AWAY, wire.KEY_DOORBELL)),
                ),
            ],
            PicoInput(KEYPAD_IRQ),
            leds,
            clock,
            lambda kind, data: built[0].emit(kind, data),
        ),
        leds=leds,
        voice=voice,
        siren=Siren(PicoOutput(SIREN), clock),
        battery=Battery(PicoAdc(BATTERY_ADC), CELLS, DIVIDER),
        radio=radio,
        watchdog=PicoWatchdog(WATCHDOG_MS),
        event_capacity=EVENT_CAPACITY,
    )
    built.append(controller)
    return controller
