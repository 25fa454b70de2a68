"""One simulated part per ``ezlock_mcu.hal`` interface, and the chips on the I2C bus."""

from ezlock_mcu import hal
from ezlock_mcu.hal import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class SimClock(hal.Clock):
    """Milliseconds the physics sets (its own clock); never wraps."""

    def __init__(self) -> None:
        """Start at 0 until the physics says otherwise."""
        self.now = 0
        self.backdate = 0

    def ticks_ms(self) -> int:
        """Return the current time, moved back while an old edge is replayed."""
        return self.now - self.backdate

    def diff(self, later: int, earlier: int) -> int:
        """Plain subtraction: this counter does not wrap."""
        return later - earlier

    def add(self, ticks: int, delta: int) -> int:
        """Plain addition."""
        return ticks + delta


class SimInput(hal.Input):
    """A line the physics drives; its interrupt runs when the level changes."""

    def __init__(self, clock: SimClock, active: bool = False) -> None:
        """Start at ``active``."""
        self._clock = clock
        self.level = active
        self._handler: Callable[[], None] | None = None

    def active(self) -> bool:
        """Return the level."""
        return self.level

    def on_change(self, handler: Callable[[], None]) -> None:
        """Remember the interrupt handler."""
        self._handler = handler

    def set(self, active: bool, ago_ms: int = 0) -> None:
        """Change the level; the edge happened ``ago_ms`` ago (a press held that long)."""
        if active == self.level:
            return
        self.level = active
        if self._handler is not None:
            self._clock.backdate = ago_ms
            try:
                self._handler()
            finally:
                self._clock.backdate = 0


class SimOutput(hal.Output):
    """A line the firmware drives."""

    def __init__(self) -> None:
        """Off."""
        self.on = False

    def set(self, on: bool) -> None:
        """Drive it."""
        self.on = bool(on)


class SimPwm(hal.Pwm):
    """A PWM line (a buzzer): its duty and frequency."""

    def __init__(self) -> None:
        """Silent."""
        self.level = 0
        self.hertz = 0

    def duty(self, fraction_u16: int) -> None:
        """Set the duty."""
        self.level = fraction_u16

    def freq(self, hertz: int) -> None:
        """Set the frequency."""
        self.hertz = hertz


class SimAdc(hal.Adc):
    """A voltage the physics sets, as a 16-bit reading."""

    def __init__(self, value: int = 0) -> None:
        """Start at ``value``."""
        self.value = value

    def read_u16(self) -> int:
        """Return the reading."""
        return self.value


class SimUart(hal.Uart):
    """A serial port: bytes the physics delivers, bytes the firmware sent."""

    def __init__(self, size: int = 4096) -> None:
        """Start with an empty receive buffer of ``size`` bytes (overflow loses bytes)."""
        self._rx = bytearray()
        self._size = size
        self.tx = bytearray()
        self.lost = 0

    def deliver(self, data: bytes) -> None:
        """Bytes arriving on the line."""
        room = self._size - len(self._rx)
        self._rx.extend(data[:room])
        self.lost += max(0, len(data) - room)

    def readinto(self, buf: bytearray) -> int:
        """Move what arrived into ``buf``."""
        count = min(len(buf), len(self._rx))
        buf[:count] = self._rx[:count]
        self._rx = self._rx[count:]
        return count

    def write(self, data: bytes) -> None:
        """Collect what the firmware sends."""
        self.tx.extend(data)

    def take(self) -> bytes:
        """Return and forget what was sent."""
        data = bytes(self.tx)
        self.tx = bytearray()
        return data


class SimRadio(hal.Radio):
    """Wi-Fi and Bluetooth as the physics sets them."""

    has_wifi = True
    has_bluetooth = True

    def __init__(self) -> None:
        """Radio on, a typical signal, nobody connected."""
        self.wifi_on = True
        self.rssi = -58
        self.connected = False
        self.key: tuple[str, bool] | None = None
        """The key a phone presents, and whether it asks to lock."""

    def set_wifi(self, enabled: bool) -> None:
        """Switch the radio."""
        self.wifi_on = enabled

    def wifi_rssi(self) -> int:
        """Return the signal."""
        return self.rssi

    def bluetooth_connected(self) -> bool:
        """Return whether a phone is connected."""
        return self.connected

    def take_bluetooth_key(self) -> tuple[str, bool] | None:
        """Return the key a phone presented and whether to lock, once."""
        key, self.key = self.key, None
        return key


class Chip:
    """A register-file I2C device."""

    def __init__(self) -> None:
        """Start with registers 0x00..0xFF at zero."""
        self.registers = bytearray(256)

    def write(self, register: int, data: bytes) -> None:
        """Auto-incrementing write."""
        for offset in range(len(data)):
            self.registers[(register + offset) & 0xFF] = data[offset]

    def read(self, register: int, count: int) -> bytes:
        """Auto-incrementing read."""
        return bytes(
            self.registers[(register + offset) & 0xFF] for offset in range(count)
        )


class Mpr121Model(Chip):
    """MPR121: soft reset defaults, touch status set by the physics, IRQ line."""

    def __init__(self, irq: SimInput) -> None:
        """Chip in its reset state; ``irq`` is the firmware's (active = asserted) line."""
        super().__init__()
        self._irq = irq
        self.touched = 0
        self._reset()

    def _reset(self) -> None:
        self.registers = bytearray(256)
        self.registers[0x5C] = 0x10
        self.registers[0x5D] = 0x24

    def write(self, register: int, data: bytes) -> None:
        """0x80 <- 0x63 resets the chip."""
        if register == 0x80 and data[:1] == b"\x63":
            self._reset()
            return
        super().write(register, data)

    def read(self, register: int, count: int) -> bytes:
        """Read registers; reading the touch status releases the IRQ line."""
        if register == 0x00:
            self.registers[0] = self.touched & 0xFF
            self.registers[1] = (self.touched >> 8) & 0x1F
            self._irq.set(False)
        return super().read(register, count)

    @property
    def running(self) -> bool:
        """Whether the firmware started the electrodes (ECR not in stop mode)."""
        return self.registers[0x5E] & 0x0F != 0 or self.registers[0x5E] & 0x30 != 0

    def touch(self, bits: int, ago_ms: int = 0) -> None:
        """Set the touched electrodes (bit 12: proximity); the IRQ line asserts."""
        if not self.running:
            return
        if bits != self.touched:
            self.touched = bits
            self._irq.set(True, ago_ms)


class Pca9685Model(Chip):
    """PCA9685: the level of each of its 16 channels."""

    def level(self, channel: int) -> int:
        """0 off, 1 partly on (PWM), 2 fully on."""
        base = 0x06 + 4 * channel
        on_h, off_l, off_h = (
            self.registers[base + 1],
            self.registers[base + 2],
            self.registers[base + 3],
        )
        if self.registers[0x00] & 0x10:  # oscillator asleep
            return 0
        if off_h & 0x10:
            return 0
        if on_h & 0x10:
            return 2
        return 1 if off_l or off_h & 0x0F else 0


class SimI2c(hal.I2c):
    """A bus with chips at addresses; a missing address NACKs (OSError)."""

    def __init__(self) -> None:
        """No chips."""
        self.chips: dict[int, Chip] = {}

    def writeto_mem(self, address: int, register: int, data: bytes) -> None:
        """Write to the chip at ``address``."""
        self._chip(address).write(register, data)

    def readfrom_mem_into(self, address: int, register: int, buf: bytearray) -> None:
        """Read from the chip at ``address``."""
        buf[:] = self._chip(address).read(register, len(buf))

    def _chip(self, address: int) -> Chip:
        chip = self.chips.get(address)
        if chip is None:
            raise OSError(19)  # ENODEV, what machine.I2C raises on a NACK
        return chip


class DfPlayerModel(hal.Uart):
    """A DFPlayer Mini on the voice UART: which files it played, at what volume."""

    def __init__(self) -> None:
        """Volume 30 at power-up, as the module starts."""
        self.volume = 30
        self.played: list[int] = []
        self._buf = bytearray()

    def readinto(self, buf: bytearray) -> int:
        """Return nothing: the module's answers are not used (no feedback asked)."""
        return 0

    def write(self, data: bytes) -> None:
        """Parse 10-byte command frames, checking start, length, checksum and end."""
        self._buf.extend(data)
        while len(self._buf) >= 10:
            if self._buf[0] != 0x7E:
                self._buf = self._buf[1:]
                continue
            frame = self._buf[:10]
            self._buf = self._buf[10:]
            checksum = (frame[7] << 8) | frame[8]
            if (
                frame[9] != 0xEF
                or frame[2] != 0x06
                or (sum(frame[1:7]) + checksum) & 0xFFFF
            ):
                continue
            parameter = (frame[5] << 8) | frame[6]
            if frame[3] == 0x12:
                self.played.append(parameter)
            elif frame[3] == 0x06:
                self.volume = parameter
