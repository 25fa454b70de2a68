"""Battery level (L-06, L-62): the pack's voltage on an ADC, through a charge curve.

The pack is 2S lithium-ion (7.2 V nominal, 8.4 V full). A 100 kOhm / 33 kOhm divider
brings it into the ADC's 0..3.3 V range. Voltage is read as the average of 16
conversions, at power-up, every minute and 2 s after the motor stopped (never under the
motor's load, which sags the pack), and turned into percent by the resting-voltage curve
of a lithium-ion cell. A new level is reported once it moved by 0.6 % or more, so ADC
noise does not make it flap.

The low flag (L-62: the warning, the low-battery LED, and the camera off) has hysteresis
of its own: the pack becomes low when its level falls below 20 % and stops being low
only once it is back at 25 % or more, so a pack resting near 20 % (its voltage recovers
a little after every motor run) warns once instead of on and off. At power-up there is
no history: a pack below 20 % is low, one at 20 % or more is not.
"""

from .hal import Adc, const

LOW_PERCENT = const(20)
"""Below this level the pack becomes low."""
CLEAR_PERCENT = const(25)
"""At this level or above a low pack stops being low."""
PERIOD_MS = const(60_000)
AFTER_MOTOR_MS = const(2_000)
_SAMPLES = const(16)
_HYSTERESIS = 0.6
CURVE = (
    (3.00, 0.0),
    (3.45, 5.0),
    (3.60, 10.0),
    (3.66, 20.0),
    (3.70, 30.0),
    (3.74, 40.0),
    (3.79, 50.0),
    (3.85, 60.0),
    (3.92, 70.0),
    (4.00, 80.0),
    (4.10, 90.0),
    (4.20, 100.0),
)
"""Resting cell voltage -> state of charge, lithium-ion (NMC), linear in between."""


def percent_of_cell(volts: float) -> float:
    """State of charge of one cell at ``volts``."""
    if volts <= CURVE[0][0]:
        return 0.0
    for index in range(1, len(CURVE)):
        high_v, high_p = CURVE[index]
        if volts <= high_v:
            low_v, low_p = CURVE[index - 1]
            return low_p + (high_p - low_p) * (volts - low_v) / (high_v - low_v)
    return 100.0


def cell_of_percent(percent: float) -> float:
    """Inverse of :func:`percent_of_cell` (the simulator's pack uses it)."""
    if percent <= 0:
        return CURVE[0][0]
    for index in range(1, len(CURVE)):
        high_v, high_p = CURVE[index]
        if percent <= high_p:
            low_v, low_p = CURVE[index - 1]
            return low_v + (high_v - low_v) * (percent - low_p) / (high_p - low_p)
    return CURVE[-1][0]


class Battery:
    """The pack as the controller reports it: whole percent and the low flag."""

    def __init__(self, adc: Adc, cells: int, divider: float, vref: float = 3.3) -> None:
        """``divider``: ADC volts per pack volt (33 / 133 for 100 k / 33 k)."""
        self._adc = adc
        self._volts_per_count = vref / 65535 / divider / cells
        self.percent = -1
        self.low = False
        """Below 20 % until back at 25 % or more (see the module's doc)."""
        self._exact = 0.0

    def measure(self) -> bool:
        """Read the pack; return whether the reported level changed."""
        total = 0
        for _ in range(_SAMPLES):
            total += self._adc.read_u16()
        self._exact = percent_of_cell(total / _SAMPLES * self._volts_per_count)
        if self.percent >= 0 and abs(self._exact - self.percent) < _HYSTERESIS:
            return False
        value = int(self._exact + 0.5)
        if value == self.percent:
            return False
        self.percent = value
        if value < LOW_PERCENT:
            self.low = True
        elif value >= CLEAR_PERCENT:
            self.low = False
        return True
