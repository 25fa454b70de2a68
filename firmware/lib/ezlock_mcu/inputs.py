"""Contacts and logic lines: door reed, tamper, rear buttons, key cylinder, sensors.

Each input's interrupt only records that an edge happened and when (two integer
stores: no allocation, so it can run as a hard IRQ). The main loop then compares the
line's level with the last accepted one. Mechanical contacts are debounced in hardware
(10 kOhm / 100 nF and the RP2040's Schmitt-trigger inputs, docs/hardware.md), so a
level change is real at once; a press and release both seen between two loop passes
still counts as a pulse.
"""

from . import wire
from .hal import Clock, Input, const

NONE = const(0)
ACTIVATED = const(1)
RELEASED = const(2)
PULSE = const(3)  # activated and released again between two looks


class Switch:
    """One input whose changes the main loop collects."""

    def __init__(self, line: Input, clock: Clock) -> None:
        """Start from the line's level now (power-up state)."""
        self._line = line
        self._clock = clock
        self.active = line.active()
        self.changed_ms = clock.ticks_ms()
        self._edges = 0
        self._seen = 0
        self._edge_ms = self.changed_ms
        line.on_change(self._irq)

    def _irq(self) -> None:
        self._edge_ms = self._clock.ticks_ms()
        self._edges += 1

    def poll(self) -> int:
        """Return what happened since the last call: NONE, ACTIVATED, RELEASED or PULSE."""
        level = self._line.active()
        edges, self._seen = self._edges - self._seen, self._edges
        if level != self.active:
            self.active = level
            self.changed_ms = self._edge_ms if edges else self._clock.ticks_ms()
            return ACTIVATED if level else RELEASED
        if edges >= 2 and not level:
            self.changed_ms = self._edge_ms
            return PULSE
        return NONE


class Button:
    """A push button: SHORT on release, LONG once held for ``long_ms`` (while held)."""

    def __init__(self, switch: Switch, clock: Clock, long_ms: int) -> None:
        """Follow ``switch``; held at power-up it reports only HELD_AT_POWER_UP."""
        self._switch = switch
        self._clock = clock
        self._long_ms = long_ms
        self._pressed_ms = switch.changed_ms
        self.held_at_power_up = switch.active
        self._long_sent = switch.active

    def poll(self, now_ms: int) -> int:
        """Return 0 or the press just recognised (``wire.PRESS_SHORT`` / ``PRESS_LONG``)."""
        change = self._switch.poll()
        if change == ACTIVATED:
            self._pressed_ms = self._switch.changed_ms
            self._long_sent = False
        elif change == PULSE:
            return wire.PRESS_SHORT
        elif change == RELEASED:
            pressed, self._long_sent = not self._long_sent, True
            return wire.PRESS_SHORT if pressed else 0
        if (
            self._switch.active
            and not self._long_sent
            and self._clock.diff(now_ms, self._pressed_ms) >= self._long_ms
        ):
            self._long_sent = True
            return wire.PRESS_LONG
        return 0

    def next_due(self, now_ms: int) -> int:
        """Milliseconds until a held press becomes LONG (-1: nothing to wait for)."""
        if not self._switch.active or self._long_sent:
            return -1
        return max(0, self._long_ms - self._clock.diff(now_ms, self._pressed_ms))
