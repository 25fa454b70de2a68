"""The hardware the firmware drives, as small interfaces (one class per kind of part).

On the Pico, ``firmware/pico/machine_hal.py`` wraps ``machine.Pin``, ``I2C``, ``ADC``,
``UART`` and ``PWM``; in the simulator and under the Unix port, ``ezlock_mcu_sim``
implements them on simulated parts fed by the simulator's physics. The firmware's logic
imports only this module, never ``machine``.
"""

TYPE_CHECKING = False
"""Type checkers take ``if TYPE_CHECKING:`` blocks as true; MicroPython has no ``typing``
and never evaluates annotations, so the imports in those blocks never run."""

if TYPE_CHECKING:
    from collections.abc import Callable

    def const(value: int) -> int:
        """MicroPython's compile-time constant."""
        return value

else:
    try:
        from micropython import const
    except ImportError:

        def const(value):  # noqa: D103 - CPython stand-in
            return value


class Clock:
    """Milliseconds on a wrapping tick counter (``time.ticks_ms`` on the Pico)."""

    def ticks_ms(self) -> int:
        """Return the current tick."""
        raise NotImplementedError

    def diff(self, later: int, earlier: int) -> int:
        """Return ``later - earlier`` in ms, correct across the counter's wrap."""
        raise NotImplementedError

    def add(self, ticks: int, delta: int) -> int:
        """Return the tick ``delta`` ms after ``ticks``."""
        raise NotImplementedError


class Input:
    """A digital input; ``active`` means the switch is closed (whatever its wiring)."""

    def active(self) -> bool:
        """Return whether the contact is closed now."""
        raise NotImplementedError

    def on_change(self, handler: Callable[[], None]) -> None:
        """Call ``handler`` from the edge interrupt (it must not allocate)."""
        raise NotImplementedError


class Output:
    """A digital output."""

    def set(self, on: bool) -> None:
        """Drive the output on (True) or off."""
        raise NotImplementedError


class Pwm:
    """A PWM output (H-bridge inputs, buzzer)."""

    def duty(self, fraction_u16: int) -> None:
        """Set the duty cycle, 0..65535."""
        raise NotImplementedError

    def freq(self, hertz: int) -> None:
        """Set the frequency."""
        raise NotImplementedError


class Adc:
    """An analogue input scaled to 0..65535 over 0..3.3 V (``ADC.read_u16``)."""

    def read_u16(self) -> int:
        """Return one conversion."""
        raise NotImplementedError


class I2c:
    """An I2C bus (``machine.I2C``'s memory-register calls)."""

    def writeto_mem(self, address: int, register: int, data: bytes) -> None:
        """Write ``data`` starting at ``register``; raise OSError on NACK."""
        raise NotImplementedError

    def readfrom_mem_into(self, address: int, register: int, buf: bytearray) -> None:
        """Read ``len(buf)`` bytes starting at ``register``; raise OSError on NACK."""
        raise NotImplementedError


class Uart:
    """A serial port (``machine.UART``)."""

    def readinto(self, buf: bytearray) -> int:
        """Read what has arrived (at most ``len(buf)``) without waiting; return the count."""
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        """Queue ``data`` for sending."""
        raise NotImplementedError


class Store:
    """A small record in non-volatile memory (a file on the Pico's flash)."""

    def load(self) -> dict[str, int] | None:
        """Return the record, or None if there is none (or it is damaged)."""
        raise NotImplementedError

    def save(self, record: dict[str, int]) -> None:
        """Replace the record atomically (a reset mid-write keeps the old one)."""
        raise NotImplementedError


class Radio:
    """Wi-Fi and Bluetooth (the Pico W's CYW43439), or none."""

    has_wifi = False
    has_bluetooth = False

    def set_wifi(self, enabled: bool) -> None:
        """Switch the Wi-Fi radio on or off."""

    def wifi_rssi(self) -> int:
        """Return the signal of the joined network in dBm (0 when none)."""
        return 0

    def bluetooth_connected(self) -> bool:
        """Return whether a phone is connected."""
        return False

    def take_bluetooth_key(self) -> tuple[str, bool] | None:
        """Return the key code a phone wrote since the last call, and whether to lock.

        A phone presents its key to open the door, or to lock it (L-12, L-31).
        """
        return None


class Watchdog:
    """Resets the MCU unless fed (``machine.WDT``)."""

    def feed(self) -> None:
        """Prove the main loop is alive."""
