"""What the keypad dialogue does to the lock once a person has asked for it.

The dialogue (``keypad.py``) knows which keys mean what; these are the acts at the end
of it: lock from outside (L-44), away mode (L-47), mute (L-48), the doorbell (L-49),
the door direction (L-46), deleting a user (L-27), pairing (L-65), factory reset
(L-63) and system information (L-64).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ezlock_edge.vocabulary.mcu import DoorDirection, DoorState, Prompt

from .errors import LockOfflineError
from .events import EventLog
from .lockout import Lockout
from .mechanism import Mechanism
from .pairing import PairingWindow
from .panel import Panel
from .settings import LockSettings
from .store import Store
from .templates import Templates


class KeypadActions:
    """The lock's side of the keypad dialogue (``keypad.KeypadHost``)."""

    def __init__(
        self,
        store: Store,
        events: EventLog,
        settings: LockSettings,
        mechanism: Mechanism,
        panel: Panel,
        templates: Templates,
        lockout: Lockout,
        pairing: PairingWindow,
        on_change: Callable[[], None],
    ) -> None:
        """Act on these parts of the lock; ``on_change`` when the state changed quietly."""
        self._store = store
        self._events = events
        self._settings = settings
        self._mechanism = mechanism
        self._panel = panel
        self._templates = templates
        self._lockout = lockout
        self._pairing = pairing
        self._on_change = on_change

    async def lock_from_outside(self) -> None:
        """L-44: confirm on the keypad locks a closed, unlocked door."""
        if self._mechanism.door is DoorState.OPEN:
            await self._panel.say(Prompt.DOOR_NOT_LOCKED)
            return
        try:
            await self._mechanism.lock("keypad")
        except LockOfflineError:
            return
        await self._panel.say(Prompt.DOOR_LOCKED)

    async def arm_away(self) -> None:
        """L-47: arm away mode from the keypad."""
        await self._settings.change(replace(self._settings.current, away_mode=True))
        await self._panel.say(Prompt.AWAY_MODE_ON)

    async def mute_once(self) -> None:
        """L-48: "按住「0」鍵直到鍵盤閃爍兩次": the keypad flashes twice, prompts go silent."""
        await self._panel.flash(2)
        await self._settings.change(replace(self._settings.current, muted=True))

    async def doorbell(self) -> None:
        """L-49: ring (presses that arrived together ring once: ``Panel.chime``)."""
        self._events.append("doorbell")
        await self._panel.chime(Prompt.DOORBELL)

    async def choose_door_direction(self, direction: DoorDirection) -> None:
        """L-46: chosen on the keypad at installation."""
        settings = self._settings.current
        await self._settings.change(replace(settings, door_direction=direction))

    async def delete_user(self, number: int) -> None:
        """L-27: delete a user, their credentials and their templates."""
        await self._templates.delete_user(number)

    async def open_pairing(self) -> None:
        """L-65: a long press on SET opens the 3-minute window."""
        self._pairing.open()  # reopening restarts the window without an event
        self._on_change()

    async def factory_reset(self) -> None:
        """L-63: delete every user, credential, visitor, client and setting."""
        await self._templates.delete_all()
        with self._store.transaction():
            self._store.wipe()
            self._events.append("factory_reset")
        self._lockout.clear()
        self._pairing.close()
        await self._settings.reset()
        await self._panel.say(Prompt.FACTORY_RESET_DONE)

    async def system_info(self, on: bool = True) -> None:
        """L-64: the lock reads out serial number, firmware and verification code.

        The MCU reads its own identity (the code is not sent to it) and reports
        READ_OUT_DONE at the end, or after ``on=False`` stopped it.
        """
        await self._panel.read_out_info(on)
