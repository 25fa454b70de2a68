"""The keypad's LEDs and the voice: what the lock shows and says.

Both are best effort (a prompt the MCU cannot play is no reason to stop a dialogue).
Some indicators stand while a condition lasts (the pairing window's blinking 0, the
low-battery LED): darkening the keypad keeps them. A chime (the doorbell) asked again
within one burst of MCU events, with nothing else shown or said in between, is not
started again: presses that arrived together ring once (a person hears one ring
either way; a storm of presses no longer costs a request to the MCU per press).

Prompts are spoken in the order they are asked for. One may be asked for without
waiting for the MCU to have played it (:meth:`Panel.say_soon`: the door-unlocked
prompt, so that a remote unlock is answered once it is committed); a prompt asked for
after it then waits behind it, never overtakes it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Collection, Iterator
import contextlib
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from ezlock_edge.vocabulary.mcu import Key, Led, LedMode, Prompt

from .device_contract import Mcu
from .errors import best_effort


@dataclass(slots=True)
class _Burst:
    """A burst being handled: the chime it rang and the panel's output count then."""

    rung: Prompt | None = None
    outputs: int = 0


# The burst of MCU events the running task handles (the MCU link's event worker).
_BURST: ContextVar[_Burst | None] = ContextVar("ezlock_panel_burst", default=None)


class Panel:
    """Voice prompts and keypad LEDs, through the MCU."""

    def __init__(self, mcu: Mcu) -> None:
        """Speak and light through ``mcu``."""
        self._mcu = mcu
        self._standing: dict[Key | Led, None] = {}  # insertion-ordered set
        self._outputs = 0  # prompts and LED changes asked for so far, by anyone
        # Prompts behind one asked for without waiting, in order; each with the
        # future its asker awaits (None: nobody waits).
        self._prompts: deque[tuple[Prompt, asyncio.Future[None] | None]] = deque()
        self._speaker: asyncio.Task[None] | None = None

    @contextmanager
    def burst(self) -> Iterator[None]:
        """Scope one burst of MCU events (those that arrived together) in this task."""
        token = _BURST.set(_Burst())
        try:
            yield
        finally:
            _BURST.reset(token)

    async def chime(self, prompt: Prompt) -> None:
        """Ring ``prompt``, unless it rang last in this burst (L-49, the doorbell)."""
        burst = _BURST.get()
        if burst is not None:
            if burst.rung is prompt and burst.outputs == self._outputs:
                return  # nothing shown or said since it rang
            burst.rung = prompt
            burst.outputs = self._outputs + 1
        await self.say(prompt)

    async def say(self, prompt: Prompt) -> None:
        """Speak a prompt (dropped by the MCU while muted, L-48)."""
        self._outputs += 1
        if self._speaker is None:
            await best_effort(self._mcu.play(prompt))
            return
        spoken = asyncio.get_running_loop().create_future()
        self._prompts.append((prompt, spoken))
        await spoken

    def say_soon(self, prompt: Prompt) -> None:
        """Have ``prompt`` spoken after those asked for before, without waiting for it."""
        self._outputs += 1
        self._prompts.append((prompt, None))
        if self._speaker is None:
            self._speaker = asyncio.get_running_loop().create_task(self._speak())

    async def _speak(self) -> None:
        try:
            while self._prompts:
                prompt, spoken = self._prompts.popleft()
                await best_effort(self._mcu.play(prompt))
                if spoken is not None and not spoken.done():
                    spoken.set_result(None)
        finally:
            self._speaker = None

    async def stop(self) -> None:
        """Stop speaking what is still to be said (the driver is stopping)."""
        speaker = self._speaker
        if speaker is not None:
            speaker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await speaker
        while self._prompts:
            _, spoken = self._prompts.popleft()
            if spoken is not None and not spoken.done():
                spoken.cancel()

    async def light(self, keys: Collection[Key | Led], mode: LedMode) -> None:
        """Light, blink or darken keypad LEDs."""
        self._outputs += 1
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
        self._outputs += 1
        await best_effort(self._mcu.show_number(digits))

    async def flash(self, count: int = 2) -> None:
        """Flash the whole keypad ``count`` times (L-48)."""
        self._outputs += 1
        await best_effort(self._mcu.flash_keypad(count))

    async def read_out_info(self, on: bool = True) -> None:
        """Have the lock read out its system information, or stop (L-64)."""
        self._outputs += 1
        await best_effort(self._mcu.read_out_info(on))

    async def dark(self) -> None:
        """Darken the keypad, keeping the standing indicators blinking."""
        self._outputs += 1
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
