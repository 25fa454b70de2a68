"""The front keypad (L-03): touches become KEY events; wake on touch, dark after 20 s.

A dark keypad wakes on a touch or on the proximity electrode (a hand near it):
KEYPAD_WAKE, and the backlight comes on. A key reports KEY (short) when released, or
KEY (long) once held for 2 s (hold 0 = one-time mute, L-48). After 20 s without a touch,
LED or prompt command the keypad goes dark: KEYPAD_SLEEP, lit LEDs off, blinking ones
(pairing 0, low battery) keep blinking.
"""

from . import wire
from .hal import TYPE_CHECKING, Clock, Input, const
from .leds import Leds
from .mpr121 import PROXIMITY, Mpr121

if TYPE_CHECKING:
    from collections.abc import Callable

IDLE_SLEEP_MS = const(20_000)
LONG_PRESS_MS = const(2_000)


class Keypad:
    """Key chips, their shared IRQ line and the LEDs of the panel."""

    def __init__(
        self,
        chips: list[tuple[Mpr121, bytes]],
        irq: Input,
        leds: Leds,
        clock: Clock,
        emit: Callable[[int, bytes], None],
    ) -> None:
        """``chips``: each MPR121 with the key code of each of its electrodes."""
        self._chips = chips
        self._irq = irq
        self._leds = leds
        self._clock = clock
        self._emit = emit
        self.awake = False
        self._idle_at = 0
        self._touched = [0] * len(chips)
        self._pressed_ms = [0] * 14  # per key code
        self._long_sent = bytearray(14)
        self._pending = True
        self._irq_ms = clock.ticks_ms()
        irq.on_change(self._on_irq)

    def start(self) -> None:
        """Configure the chips (OSError if one does not answer)."""
        for chip, _ in self._chips:
            chip.start()

    def _on_irq(self) -> None:
        self._irq_ms = self._clock.ticks_ms()
        self._pending = True

    def darken_all(self) -> None:
        """SET_LEDS OFF for every key: dark at once (no event); the next touch wakes it."""
        self.awake = False
        self._leds.set_backlight(False)

    def host_activity(self, now_ms: int, lights: bool) -> None:
        """Note an LED or prompt command: it keeps the keypad awake; lit LEDs wake it."""
        if lights and not self.awake:
            self.awake = True
            self._leds.set_backlight(True)
        if self.awake:
            self._idle_at = self._clock.add(now_ms, IDLE_SLEEP_MS)

    def poll(self, now_ms: int) -> None:
        """Read the chips after an IRQ, time long presses, go dark when idle."""
        if self._pending or self._irq.active():
            self._pending = False
            edge_ms = self._irq_ms  # reading the chips releases the line
            for index in range(len(self._chips)):
                self._read(index, now_ms, edge_ms)
        down = self._any_down()  # no key down (most passes): no key to look at
        for key in range(14) if down else ():
            held = self._clock.diff(now_ms, self._pressed_ms[key])
            if (
                held >= LONG_PRESS_MS
                and self._is_down(key)
                and not self._long_sent[key]
            ):
                self._long_sent[key] = 1
                self._emit(wire.EV_KEY, bytes((key, 1)))
        if self.awake and not down and self._clock.diff(now_ms, self._idle_at) >= 0:
            self.awake = False
            self._leds.darken()
            self._emit(wire.EV_KEYPAD_SLEEP, b"")

    def next_due(self, now_ms: int) -> int:
        """Milliseconds until a long press or the idle sleep is due (-1: none)."""
        down = self._any_down()
        waits = [
            LONG_PRESS_MS - self._clock.diff(now_ms, self._pressed_ms[key])
            for key in (range(14) if down else ())
            if self._is_down(key) and not self._long_sent[key]
        ]
        if self.awake and not down:  # a release interrupts, then sleeps
            waits.append(self._clock.diff(self._idle_at, now_ms))
        return max(0, min(waits)) if waits else -1

    def _read(self, index: int, now_ms: int, edge_ms: int) -> None:
        chip, keys = self._chips[index]
        bits = chip.touched()
        before, self._touched[index] = self._touched[index], bits
        if bits and not self.awake:
            self.awake = True
            self._leds.set_backlight(True)
            self._emit(wire.EV_KEYPAD_WAKE, b"")
        if bits or before:
            self._idle_at = self._clock.add(now_ms, IDLE_SLEEP_MS)
        for electrode in range(len(keys)):
            mask = 1 << electrode
            key = keys[electrode]
            if bits & mask and not before & mask:
                self._pressed_ms[key] = edge_ms
                self._long_sent[key] = 0
            elif before & mask and not bits & mask:
                if not self._long_sent[key]:
                    self._emit(wire.EV_KEY, bytes((key, 0)))
                self._long_sent[key] = 1

    def _is_down(self, key: int) -> bool:
        for index in range(len(self._chips)):
            keys, bits = self._chips[index][1], self._touched[index]
            for electrode in range(len(keys)):
                if keys[electrode] == key and bits & (1 << electrode):
                    return True
        return False

    def _any_down(self) -> bool:
        return any(bits & ~PROXIMITY for bits in self._touched)
