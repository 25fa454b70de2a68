"""The keypad's LEDs and the voice: what the lock shows and says.

Both are best effort (a prompt the MCU cannot play is no reason to stop a dialogue).
Some indicators stand while a condition lasts (the pairing window's blinking 0, the
low-battery LED): darkening the keypad keeps them. A chime (the doorbell) asked again
within one burst of MCU events, with nothing else shown or said in between, is not
started again: presses that arrived together ring once (a person hears one ring
either way; a storm of presses no longer costs a request to the MCU per press).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager

from ezlock_edge.vocabulary.mcu import Key, Led, LedMode, Prompt

from .device_contract import Mcu
from .errors import best_effort


class Panel:
    """Voice prompts and keypad LEDs, through the MCU."""

    def __init__(self, mcu: Mcu) -> None:
        """Speak and light through ``mcu``."""
        self._mcu = mcu
        self._standing: dict[Key | Led, None] = {}  # insertion-ordered set
        self._in_burst = False
        self._rung: Prompt | None = None  # chimed in this burst, nothing since

    @contextmanager
    def burst(self) -> Iterator[None]:
        """Scope one burst of MCU events (those that arrived together)."""
        self._in_burst = True
        try:
            yield
        finally:
            self._in_burst = False
            self._rung = None

    async def chime(self, prompt: Prompt) -> None:
        """Ring ``prompt``, unless it rang last in this burst (L-49, the doorbell)."""
        if self._in_burst and self._rung is prompt:
            return
        self._rung = prompt if self._in_burst else None
        await best_effort(self._mcu.play(prompt))

    async def say(self, prompt: Prompt) -> None:
        """Speak a prompt (dropped by the MCU while muted, L-48)."""
        self._rung = None
        await best_effort(self._mcu.play(prompt))

    async def light(self, keys: Collection[Key | Led], mode: LedMode) -> None:
        """Light, blink or darken keypad LEDs."""
        self._rung = None
        await best_effort(self._mcu.set_leds(keys, mode))

    async def show_keys(self, keys: Collection[Key]) -> None:
        """Light exactly ``keys`` (the others go dark; the keypad stays awake)."""
        others = [key for key in Key if key not in keys]
        if others:
            await self.light(others, LedMode.OFF)
        if keys:
            await self.light(keys, LedMode.ON)

    async def show_number(self, digits: str) -> None:
        """Show digits one after the other, each key slowly lit once (L-21)."""
        self._rung = None
        await best_effort(self._mcu.show_number(digits))

    async def flash(self, count: int = 2) -> None:
        """Flash the whole keypad ``count`` times (L-48)."""
        self._rung = None
        await best_effort(self._mcu.flash_keypad(count))

    async def read_out_info(self, on: bool = True) -> None:
        """Have the lock read out its system information, or stop (L-64)."""
        self._rung = None
        await best_effort(self._mcu.read_out_info(on))

    async def dark(self) -> None:
        """Darken the keypad, keeping the standing indicators blinking."""
        self._rung = None
        await best_effort(self._mcu.clear_leds())
        for indicator in self._standing:
            await self.light([indicator], LedMode.BLINK)

    def stand(self, indicator: Key | Led, standing: bool) -> None:
        """Keep ``indicator`` blinking through :meth:`dark` while ``standing`` (or not).

        Only the bookkeeping: the owner lights or darkens it as it changes.
        """
        if standing:
            self._standing[indicator] = None
        else:
            self._standing.pop(indicator, None)
