"""``ezlock_mcu.hal`` on the RP2040: thin wrappers of ``machine`` (Pico / Pico W)."""

import time

from ezlock_mcu import hal
import machine


class PicoClock(hal.Clock):
    """``time.ticks_ms``: wraps after 2**30 ms, so differences use ``ticks_diff``."""

    def ticks_ms(self) -> int:
        """Return the tick counter."""
        return time.ticks_ms()

    def diff(self, later: int, earlier: int) -> int:
        """Return the signed difference across the wrap."""
        return time.ticks_diff(later, earlier)

    def add(self, ticks: int, delta: int) -> int:
        """Return ``ticks`` plus ``delta`` on the wrapping counter."""
        return time.ticks_add(ticks, delta)


class PicoInput(hal.Input):
    """A GPIO input with the pull the wiring needs; ``active_low`` for contacts to GND."""

    def __init__(
        self, pin: int, *, pull: int = machine.Pin.PULL_UP, active_low: bool = True
    ) -> None:
        """Configure the pin (the RP2040's inputs have Schmitt triggers)."""
        self._pin = machine.Pin(pin, machine.Pin.IN, pull)
        self._active_low = active_low
        self._handler = None

    def active(self) -> bool:
        """Return whether the contact is closed."""
        return self._pin.value() == (0 if self._active_low else 1)

    def on_change(self, handler) -> None:
        """Call ``handler`` from a hard interrupt on both edges (it must not allocate)."""
        self._handler = handler
        self._pin.irq(
            trigger=machine.Pin.IRQ_FALLING | machine.Pin.IRQ_RISING,
            handler=self._irq,
            hard=True,
        )

    def _irq(self, pin) -> None:
        self._handler()


class PicoOutput(hal.Output):
    """A GPIO output."""

    def __init__(self, pin: int) -> None:
        """Low at start."""
        self._pin = machine.Pin(pin, machine.Pin.OUT, value=0)

    def set(self, on: bool) -> None:
        """Drive the pin."""
        self._pin.value(1 if on else 0)


class PicoPwm(hal.Pwm):
    """A PWM slice on a pin (the buzzer)."""

    def __init__(self, pin: int) -> None:
        """Silent."""
        self._pwm = machine.PWM(machine.Pin(pin), freq=2000, duty_u16=0)

    def duty(self, fraction_u16: int) -> None:
        """Set the duty."""
        self._pwm.duty_u16(fraction_u16)

    def freq(self, hertz: int) -> None:
        """Set the frequency."""
        self._pwm.freq(hertz)


class PicoAdc(hal.Adc):
    """An ADC input (GP26..GP28)."""

    def __init__(self, pin: int) -> None:
        """Configure the pin as analogue."""
        self._adc = machine.ADC(machine.Pin(pin))

    def read_u16(self) -> int:
        """Return one conversion (12 bits scaled to 16)."""
        return self._adc.read_u16()


class PicoI2c(hal.I2c):
    """``machine.I2C`` (400 kHz)."""

    def __init__(self, bus: int, sda: int, scl: int) -> None:
        """Open the bus."""
        self._i2c = machine.I2C(
            bus, sda=machine.Pin(sda), scl=machine.Pin(scl), freq=400_000
        )

    def writeto_mem(self, address: int, register: int, data: bytes) -> None:
        """Write registers."""
        self._i2c.writeto_mem(address, register, data)

    def readfrom_mem_into(self, address: int, register: int, buf: bytearray) -> None:
        """Read registers."""
        self._i2c.readfrom_mem_into(address, register, buf)


class PicoUart(hal.Uart):
    """``machine.UART`` with a receive ring large enough for the flash-write stalls."""

    def __init__(self, bus: int, tx: int, rx: int, baudrate: int) -> None:
        """Open the port, 8N1, no flow control."""
        self._uart = machine.UART(
            bus,
            baudrate=baudrate,
            tx=machine.Pin(tx),
            rx=machine.Pin(rx),
            rxbuf=1024,
            txbuf=1024,
        )

    def readinto(self, buf: bytearray) -> int:
        """Read what arrived, without waiting."""
        if not self._uart.any():
            return 0
        return self._uart.readinto(buf) or 0

    def write(self, data: bytes) -> None:
        """Queue bytes for sending."""
        self._uart.write(data)


class PicoWatchdog(hal.Watchdog):
    """``machine.WDT``: resets the RP2040 when the main loop stops for ``timeout_ms``."""

    def __init__(self, timeout_ms: int) -> None:
        """Start the watchdog (it cannot be stopped again)."""
        self._wdt = machine.WDT(timeout=timeout_ms)

    def feed(self) -> None:
        """Prove the loop is alive."""
        self._wdt.feed()
