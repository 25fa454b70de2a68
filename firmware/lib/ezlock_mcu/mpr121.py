"""NXP MPR121 capacitive touch controller on I2C (datasheet Rev. 4, AN3944 settings).

Twelve electrodes and a thirteenth, virtual "proximity" electrode (ELEPROX) that
combines them: a hand near the keypad wakes it before a key is touched. The IRQ output
goes low when the touch status changes and clears when the status is read.
"""

from .hal import I2c, const

TOUCH_STATUS = const(0x00)  # 0x00..0x01: bits 0..11 electrodes, bit 12 ELEPROX
ECR = const(0x5E)  # electrode configuration: 0 = stop mode (config writable)
SOFT_RESET = const(0x80)
CONFIG_2 = const(0x5D)
PROXIMITY = const(0x1000)
_RESET_CODE = const(0x63)
_CONFIG_2_DEFAULT = const(0x24)  # after a soft reset (datasheet table 2)
_TOUCH = const(12)
_RELEASE = const(6)


class Mpr121:
    """One MPR121 at ``address`` with ``electrodes`` keys (and optional proximity)."""

    def __init__(
        self, i2c: I2c, address: int, electrodes: int, proximity: bool
    ) -> None:
        """Nothing is written until :meth:`start`."""
        self._i2c = i2c
        self.address = address
        self._electrodes = electrodes
        self._proximity = proximity
        self._buf = bytearray(2)

    def start(self) -> None:
        """Reset and configure; raise OSError when the chip is missing or not an MPR121."""
        i2c, address = self._i2c, self.address
        i2c.writeto_mem(address, SOFT_RESET, bytes((_RESET_CODE,)))
        one = bytearray(1)
        i2c.readfrom_mem_into(address, CONFIG_2, one)
        if one[0] != _CONFIG_2_DEFAULT:
            raise OSError(f"no MPR121 at 0x{address:02X}")
        i2c.writeto_mem(address, ECR, b"\x00")  # stop mode while configuring
        # Baseline filters, rising / falling / touched (AN3944 "typical" values).
        i2c.writeto_mem(address, 0x2B, b"\x01\x01\x00\x00\x01\x01\xff\x02\x00\x00\x00")
        # Proximity electrode filters (0x36..0x40), slower so a hand is seen, not noise.
        i2c.writeto_mem(address, 0x36, b"\xff\xff\x00\x00\x01\x01\xff\xff\x00\x00\x00")
        thresholds = bytearray()
        for _ in range(13):  # 12 electrodes, then ELEPROX at 0x59 / 0x5A
            thresholds.extend((_TOUCH, _RELEASE))
        i2c.writeto_mem(address, 0x41, bytes(thresholds))
        i2c.writeto_mem(address, 0x5B, b"\x11")  # debounce: 1 sample touch and release
        i2c.writeto_mem(address, 0x5C, b"\x10")  # 6 samples first filter, 16 uA
        i2c.writeto_mem(address, CONFIG_2, b"\x24")  # 0.5 us, 4 samples, 16 ms period
        # Auto-configuration for 3.3 V: USL 202, LSL 131, target 182 (AN3889).
        i2c.writeto_mem(address, 0x7B, b"\x0b\x00\xca\x83\xb6")
        prox = 0x30 if self._proximity else 0x00  # ELEPROX_EN: ELE0..11 combined
        i2c.writeto_mem(address, ECR, bytes((0x80 | prox | self._electrodes,)))

    def touched(self) -> int:
        """Return the touch bits (electrodes 0..11, PROXIMITY); reading clears the IRQ."""
        self._i2c.readfrom_mem_into(self.address, TOUCH_STATUS, self._buf)
        return (self._buf[0] | (self._buf[1] << 8)) & 0x1FFF
