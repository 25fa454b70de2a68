"""The keypad's LEDs and the voice: what the lock shows and says.

Both are best effort (a prompt the MCU cannot play is no reason to stop a dialogue).
Some indicators stand while a condition lasts (the pairing window's blinking 0, the
low-battery LED): darkening the keypad keeps them.
"""

from __future__ import annotations

from collections.abc import Collection

from ezlock_edge.vocabulary.mcu import Key, Led, LedMode, Prompt

from .device_contract import Mcu
from .errors import best_effort


class Panel:
    """Voice prompts and keypad LEDs, through the MCU."""

    def __init__(self, mcu: Mcu) -> None:
        """Speak and light through ``mcu``."""
        self._mcu = mcu
        self._standing: dict[Key | Led, None] = {}  # insertion-ordered set

    async def say(self, prompt: Prompt) -> None:
        """Speak a prompt (dropped by the MCU while muted, L-48)."""
        await best_effort(self._mcu.play(prompt))

    async def light(self, keys: Collection[Key | Led], mode: LedMode) -> None:
        """Light, blink or darken keypad LEDs."""
        await best_effort(self._mcu.set_leds(keys, mode))

    async def dark(self) -> None:
        """Darken the keypad, keeping the standing indicators blinking."""
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
