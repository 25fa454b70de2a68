"""Keypad LEDs on an NXP PCA9685 16-channel PWM driver (I2C): key backlights and low battery.

Channel *n* lights key *n* (``Key`` 00..0D), channel 14 the low-battery LED and channel
15 the keypad's general backlight (on while the keypad is awake). Blinking LEDs toggle
together every 500 ms; only channels that change are written.

A *show* takes the keys over for a moment: a new user's number, digit after digit, each
key slowly lit once (L-21), or the whole keypad flashing (L-48). Meanwhile the host's
LED commands still set the modes underneath, which come back when the show ends.
"""

from . import wire
from .hal import Clock, I2c, const

MODE1 = const(0x00)
MODE2 = const(0x01)
LED0_ON_L = const(0x06)
PRESCALE = const(0xFE)
BACKLIGHT = const(15)
LOW_BATTERY_CHANNEL = const(14)
BLINK_MS = const(500)
DIGIT_ON_MS = const(600)
DIGIT_OFF_MS = const(400)
FLASH_ON_MS = const(300)
FLASH_OFF_MS = const(300)
KEY_CHANNELS = const(14)
ALL_KEY_BITS = const(0x3FFF)
_AUTO_INCREMENT = const(0x20)
_SLEEP = const(0x10)
_TOTEM_POLE = const(0x04)
_FULL_ON = b"\x00\x10\x00\x00"
_FULL_OFF = b"\x00\x00\x00\x10"
_DIM = b"\x00\x00\x00\x04"  # on for 1024 of 4096 counts: the backlight at a quarter


def channel_of(code: int) -> int:
    """PCA9685 channel of the LED with protocol code ``code``."""
    return LOW_BATTERY_CHANNEL if code == wire.LED_LOW_BATTERY else code


class Pca9685:
    """The chip: one register write per channel change."""

    def __init__(self, i2c: I2c, address: int) -> None:
        """Nothing is written until :meth:`start`."""
        self._i2c = i2c
        self.address = address

    def start(self) -> None:
        """Wake the oscillator, totem-pole outputs, every channel off."""
        i2c = self._i2c
        i2c.writeto_mem(self.address, MODE1, bytes((_SLEEP | _AUTO_INCREMENT,)))
        i2c.writeto_mem(self.address, PRESCALE, b"\x1e")  # 200 Hz: no visible flicker
        i2c.writeto_mem(self.address, MODE2, bytes((_TOTEM_POLE,)))
        i2c.writeto_mem(self.address, MODE1, bytes((_AUTO_INCREMENT,)))
        for channel in range(16):
            self.set(channel, 0)

    def set(self, channel: int, level: int) -> None:
        """0 off, 1 dim, 2 full on."""
        data = _FULL_OFF if level == 0 else _DIM if level == 1 else _FULL_ON
        self._i2c.writeto_mem(self.address, LED0_ON_L + 4 * channel, data)


class Leds:
    """What each LED should show (off, on, blink) and the blink phase."""

    def __init__(self, chip: Pca9685, clock: Clock) -> None:
        """All off."""
        self._chip = chip
        self._clock = clock
        self._modes = bytearray(16)  # per channel: wire.LED_OFF / LED_ON / LED_BLINK
        self._shown = bytearray(16)  # level written to the chip
        self._blink_on = True
        self._toggle_at = 0
        self.backlight = False
        self._show: list[tuple[int, int]] = []  # (key bits lit, ms), the first is shown
        self._step_at = 0

    def start(self) -> None:
        """Configure the chip (OSError if it does not answer); everything dark."""
        self._chip.start()
        for channel in range(16):
            self._shown[channel] = 0
        self._refresh()

    def set(self, bitmap: int, mode: int) -> None:
        """Apply ``mode`` to every LED whose code bit is set in ``bitmap``."""
        for code in range(0x11):
            if bitmap & (1 << code):
                self._modes[channel_of(code)] = mode
        self._refresh()

    def set_backlight(self, on: bool) -> None:
        """Switch the keypad's general backlight (on while awake)."""
        self.backlight = on
        self._refresh()

    def darken(self) -> None:
        """Keypad going dark: LEDs that are on go off; blinking ones keep blinking."""
        for channel in range(16):
            if self._modes[channel] == wire.LED_ON:
                self._modes[channel] = wire.LED_OFF
        self.backlight = False
        self._refresh()

    def show_number(self, digits: bytes, now_ms: int) -> None:
        """Light each digit's key once, slowly, one after the other (L-21)."""
        steps = []
        for digit in digits:
            steps.append((1 << digit, DIGIT_ON_MS))
            steps.append((0, DIGIT_OFF_MS))
        self._start_show(steps, now_ms)

    def flash(self, count: int, now_ms: int) -> None:
        """Flash every key ``count`` times (L-48)."""
        self._start_show(
            [(ALL_KEY_BITS, FLASH_ON_MS), (0, FLASH_OFF_MS)] * count, now_ms
        )

    def showing(self) -> int:
        """Key bits a show lights now (-1: no show running)."""
        return self._show[0][0] if self._show else -1

    def _start_show(self, steps: list[tuple[int, int]], now_ms: int) -> None:
        self._show = steps
        self._step_at = self._clock.add(now_ms, steps[0][1])
        self._refresh()

    def mode(self, code: int) -> int:
        """Return the mode of the LED with protocol code ``code``."""
        return self._modes[channel_of(code)]

    def poll(self, now_ms: int) -> None:
        """Toggle the blink phase and step a show when due."""
        changed = False
        if self._blinking() and self._clock.diff(now_ms, self._toggle_at) >= 0:
            self._blink_on = not self._blink_on
            self._toggle_at = self._clock.add(now_ms, BLINK_MS)
            changed = True
        while self._show and self._clock.diff(now_ms, self._step_at) >= 0:
            self._show.pop(0)
            changed = True
            if self._show:
                self._step_at = self._clock.add(self._step_at, self._show[0][1])
        if changed:
            self._refresh()

    def next_due(self, now_ms: int) -> int:
        """Milliseconds until the next blink toggle or show step (-1: none)."""
        waits = []
        if self._blinking():
            waits.append(max(0, self._clock.diff(self._toggle_at, now_ms)))
        if self._show:
            waits.append(max(0, self._clock.diff(self._step_at, now_ms)))
        return min(waits) if waits else -1

    def _blinking(self) -> bool:
        # MicroPython has no ``in`` for a bytearray
        return any(mode == wire.LED_BLINK for mode in self._modes)

    def _refresh(self) -> None:
        for channel in range(16):
            mode = self._modes[channel]
            if channel == BACKLIGHT:
                level = 1 if self.backlight else 0
            elif self._show and channel < KEY_CHANNELS:
                level = 2 if self._show[0][0] & (1 << channel) else 0
            elif mode == wire.LED_ON or (mode == wire.LED_BLINK and self._blink_on):
                level = 2
            else:
                level = 0
            if level != self._shown[channel]:
                self._chip.set(channel, level)
                self._shown[channel] = level
