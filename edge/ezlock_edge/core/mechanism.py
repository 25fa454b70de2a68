"""The lock's mechanism: the bolt it moves, the door, and what follows an unlock.

The bolt is thrown and retracted here, so a movement nobody commanded (or, from an MCU
that says what moved the bolt, one its motor did not make) is a hand's (L-01, L-07). Bolt and door movements become events and alarms (L-44 to L-47,
L-67); what follows an unlock (L-45, L-47, L-48), the countdown lock and the
door-left-open timer run here. The alarms themselves and the tamper timer are
``alarms.py``'s (L-60), battery, power and radios ``readings.py``'s (L-06, L-08, L-12,
L-62); ``Mechanism`` builds on both. Decisions about people (who may open) are not
made here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
import logging
from typing import Any

from ezlock_edge.clock import Clock, sleep
from ezlock_edge.vocabulary.errors import DeviceBusy, DeviceError
from ezlock_edge.vocabulary.mcu import (
    BoltCause,
    BoltState,
    DoorState,
    Key,
    LedMode,
    Prompt,
)

from .alarms import SIREN_SECONDS
from .device_contract import Mcu
from .errors import BusyError, LockOfflineError
from .events import EventLog
from .models import JsonDict, Settings, UnlockMethod
from .panel import Panel
from .readings import STATUS_POLL_SECONDS, Readings
from .settings import LockSettings
from .store import Store

__all__ = [
    "BUSY_RETRY_SECONDS",
    "DOOR_LEFT_OPEN_SECONDS",
    "MOTOR_BUSY_SECONDS",
    "SIREN_SECONDS",
    "STATUS_POLL_SECONDS",
    "Mechanism",
]

_LOGGER = logging.getLogger(__name__)
_EXPECTED_KEY = "mechanism_expected"  # meta: the movement a command asked for

DOOR_LEFT_OPEN_SECONDS = 120.0  # L-67 (our decision)
MOTOR_BUSY_SECONDS = 10.0
"""Longest a command at the lock waits for the motor (beyond any travel timeout)."""
BUSY_RETRY_SECONDS = 0.2
"""How often a command at the lock asks again while the motor runs."""


class Mechanism(Readings):
    """Moves the bolt, and keeps the last reported bolt, door, battery, power, tamper, radios."""

    def __init__(
        self,
        mcu: Mcu,
        events: EventLog,
        clock: Clock,
        settings: LockSettings,
        panel: Panel,
        on_change: Callable[[], None],
        store: Store,
    ) -> None:
        """Report through ``events``; ``on_change`` runs when the state changed.

        ``store`` keeps the movement a command asked for across a restart.
        """
        super().__init__(mcu, events, clock, panel, on_change)
        self._store = store
        self._settings = settings
        self.countdown_at: datetime | None = None
        # The movements motor commands asked for, oldest first, each until the bolt
        # reports it: a lock sent as the unlock's motor stops is answered by "unlocked"
        # first. Killed while the bolt moves for a remote unlock, the restarted driver
        # hears the MCU resend "unlocked" and must not take it for a hand's (issue
        # #11.6): an MCU that says what moved the bolt (McuOption.BOLT_CAUSE) tells
        # it; with one that does not, the list is stored, durable before the command.
        # A driver before this stored one name, not a list.
        expected = store.get_meta(_EXPECTED_KEY)
        names = [expected] if isinstance(expected, str) else expected or []
        self._stored: list[str] | None = names or None
        self._expected: list[BoltState] = [
            BoltState[name] for name in names if name in BoltState.__members__
        ]
        self._turned_by_key = False
        self._coming_in = False  # an unlock from outside: the next opening comes in
        self._leaving = False  # the door was opened from inside (L-44)
        self._countdown: asyncio.Handle | None = None
        self._countdown_seconds: float | None = None  # set while a countdown applies
        self._door_timer: asyncio.Handle | None = None
        settings.listen(self._settings_changed)

    async def stop(self) -> None:
        """Cancel timers and background work."""
        self._cancel(self._countdown)
        self._cancel(self._door_timer)
        await super().stop()

    # the bolt (L-43 .. L-46)

    @property
    def moving(self) -> bool:
        """Whether the bolt is on its way (commanded and not arrived, or reported so)."""
        return self.bolt in {BoltState.LOCKING, BoltState.UNLOCKING} or (
            bool(self._expected) and self.bolt is not self._expected[-1]
        )

    def _refuse_while_moving(self) -> None:
        if self.moving:
            raise BusyError("The bolt is moving; retry when it has stopped")

    async def lock(
        self,
        source: str,
        *,
        visitor: JsonDict | None = None,
        refuse_if_moving: bool = False,
    ) -> None:
        """Throw the bolt (``lock_offline``); ``bolt`` events follow as it moves.

        ``visitor``: the Bluetooth key's ``{id, name}`` that asked (L-31).
        ``refuse_if_moving`` (the app): ``busy`` while the bolt moves. At the lock the
        command goes to the MCU, which takes it once the motor has stopped.
        """
        await self._move(BoltState.LOCKED, self._mcu.lock, refuse_if_moving)
        self._events.append("locked", source=source, visitor=visitor)

    async def unlock(self, *, refuse_if_moving: bool = False) -> None:
        """Retract the bolt for the door direction (L-46, ``lock_offline``; ``busy``)."""
        direction = self._settings.current.door_direction
        await self._move(
            BoltState.UNLOCKED, lambda: self._mcu.unlock(direction), refuse_if_moving
        )

    async def after_unlock(self, method: UnlockMethod) -> None:
        """Disarm away mode (L-47), end the mute (L-48), start the countdown (L-45)."""
        settings = self._settings.current
        changes: dict[str, Any] = {}
        if method.from_outside and settings.away_mode:
            changes["away_mode"] = False
        if method.from_outside_by_person and settings.muted:
            changes["muted"] = False
        # The next opening is whoever unlocked coming in; any other is from inside.
        self._coming_in = method.from_outside or method is UnlockMethod.REMOTE
        if changes:
            await self._settings.change(replace(settings, **changes))
        if method not in {UnlockMethod.INSIDE, UnlockMethod.MECHANICAL_KEY}:
            # Said in order with later prompts, not waited for: the unlock is done
            # (committed) and a remote one is answered now (issue #18).
            self._panel.say_soon(Prompt.DOOR_UNLOCKED)
        settings = self._settings.current
        if settings.countdown_lock_enabled:
            self.start_countdown(settings.countdown_lock_seconds)

    async def _move(
        self,
        bolt: BoltState,
        command: Callable[[], Awaitable[None]],
        refuse_if_moving: bool,
    ) -> None:
        """Send a motor ``command`` for ``bolt``, noted so its movement is not a hand's.

        The MCU refuses a motor command while its motor runs (BUSY). The app is told
        ``busy``; at the lock the command goes again once the motor has stopped: the
        MCU stops it by itself within its travel timeout, so this waits on the lock's
        clock, not for the bolt report, which comes behind the event being handled.
        """
        if refuse_if_moving:
            self._refuse_while_moving()
        if bolt is BoltState.LOCKED:
            self.stop_countdown()
        deadline = self._clock.monotonic() + MOTOR_BUSY_SECONDS
        while True:
            self._expect(bolt)
            try:
                await command()
            except DeviceBusy as err:
                self._forget(bolt)
                if refuse_if_moving:
                    raise BusyError(
                        "The bolt is moving; retry when it has stopped"
                    ) from err
                if self._clock.monotonic() >= deadline:
                    raise LockOfflineError("The lock's motor does not stop") from err
                await sleep(self._clock, BUSY_RETRY_SECONDS)
                continue
            except DeviceError as err:
                self._forget(bolt)
                raise LockOfflineError("The lock does not answer") from err
            return

    def _expect(self, bolt: BoltState) -> None:
        """Note ``bolt`` as asked for, before the command (it may report at once).

        Stored only for an MCU whose reports do not say what moved the bolt: then it
        is durable at once, also when a keypad entry or a Bluetooth key asks from
        within a batch of MCU events, whose group commit would hold it until the
        batch ends. An MCU that says so needs it in memory only (``moving``).
        """
        expected = [*self._expected, bolt]
        if self._mcu.bolt_causes:
            self._set_expected(expected)
            return
        with self._store.durable_now():
            self._set_expected(expected)

    def _forget(self, bolt: BoltState) -> None:
        """Drop the newest expectation of ``bolt``: its command was not taken."""
        expected = list(self._expected)
        if bolt in expected:
            del expected[len(expected) - 1 - expected[::-1].index(bolt)]
        self._set_expected(expected)

    def _set_expected(self, expected: list[BoltState]) -> None:
        """Keep ``expected``; store it while the MCU does not say what moved the bolt.

        With one that says so nothing is stored (a list left by a session with an
        older MCU is cleared at the first change).
        """
        self._expected = expected
        names = None if self._mcu.bolt_causes else [bolt.name for bolt in expected]
        stored = names or None
        if stored != self._stored:
            self._stored = stored
            self._store.set_meta(_EXPECTED_KEY, stored)

    # reports

    async def door_moved(self, door: DoorState) -> None:
        """L-02: the door opened or closed."""
        self.door = door
        self._events.append("door", state=door.name.lower())
        if door is DoorState.OPEN:
            self._pause_countdown()
            self._cancel(self._door_timer)
            self._door_timer = self._clock.call_later(
                DOOR_LEFT_OPEN_SECONDS, self._left_open
            )
            self._leaving, self._coming_in = not self._coming_in, False
            if self._settings.current.away_mode:
                self._raise("away_intrusion")  # L-47
                await self._siren()
            if self._leaving:
                await self._offer_outside_lock()
            return
        self._cancel(self._door_timer)
        self._door_timer = None
        self.clear_alarm("door_left_open")
        if self._leaving:
            await self._offer_outside_lock()  # the keypad's 20 s start when it is shut
        if self._countdown_seconds is not None and self.bolt is BoltState.UNLOCKED:
            self.start_countdown(self._countdown_seconds)  # L-45: restarts on close

    async def bolt_moved(self, bolt: BoltState, cause: BoltCause | None = None) -> None:
        """L-01: the bolt moved; a movement nobody commanded was made by hand.

        ``cause``: what the MCU says moved it (None: an MCU that does not say; then a
        movement is commanded when a command asked for it).
        """
        self.bolt = bolt
        expected = bolt in self._expected
        commanded = expected if cause is None else cause is BoltCause.MOTOR
        with self._store.transaction():
            # One commit: the report, and that the command it answers is done. A kill
            # in between would otherwise replay the report as a movement by hand.
            self._events.append("bolt", state=bolt.name.lower())
            if expected:  # that command, and any before it, is done
                self._set_expected(self._expected[self._expected.index(bolt) + 1 :])
            elif bolt in {BoltState.LOCKED, BoltState.UNLOCKED, BoltState.JAMMED}:
                self._set_expected([])
        if bolt is BoltState.JAMMED:
            self._raise("jammed")  # L-67
            return
        if bolt not in {BoltState.LOCKED, BoltState.UNLOCKED}:
            return
        self.clear_alarm("jammed")
        if bolt is BoltState.LOCKED:
            self.stop_countdown()
            if self._leaving:
                self._leaving = False
                await self._panel.light([Key.CONFIRM], LedMode.OFF)
        if self._turned_by_key:
            self._turned_by_key = False
            await self._by_hand(bolt, "mechanical_key", UnlockMethod.MECHANICAL_KEY)
        elif not commanded:
            await self._by_hand(bolt, "inside", UnlockMethod.INSIDE)

    async def _offer_outside_lock(self) -> None:
        """L-44: "當門從內部打開時，前面板鍵盤上的「√」會亮起，按下「√」以確認上鎖"."""
        await self._panel.light([Key.CONFIRM], LedMode.ON)

    def key_turned(self) -> None:
        """L-07: the key cylinder turns; the next bolt report is the key's doing."""
        self._turned_by_key = True

    # countdown lock (L-45)

    def start_countdown(self, seconds: float) -> None:
        """Lock ``seconds`` from now (or from when the open door closes)."""
        self._cancel(self._countdown)
        self._countdown_seconds = seconds
        if self.door is DoorState.OPEN:
            self._countdown, self.countdown_at = None, None
        else:
            self._countdown = self._clock.call_later(seconds, self._countdown_due)
            self.countdown_at = self._clock.now() + timedelta(seconds=seconds)
        self._on_change()

    def stop_countdown(self) -> None:
        """Forget any countdown."""
        self._pause_countdown()
        self._countdown_seconds = None

    async def _by_hand(
        self, bolt: BoltState, source: str, method: UnlockMethod
    ) -> None:
        if bolt is BoltState.LOCKED:
            self._events.append("locked", source=source, visitor=None)
            return
        self._events.append(
            "unlocked", method=method.value, user=None, credential_id=None, slot=None
        )
        await self.after_unlock(method)

    def _pause_countdown(self) -> None:
        self._cancel(self._countdown)
        self._countdown, self.countdown_at = None, None

    def _countdown_due(self) -> None:
        self._countdown, self.countdown_at, self._countdown_seconds = None, None, None
        if self.bolt is not BoltState.LOCKED:
            self._tasks.spawn(self._lock_by_countdown())

    async def _lock_by_countdown(self) -> None:
        try:
            await self.lock("countdown")
        except LockOfflineError as err:
            _LOGGER.warning("Countdown lock failed: %s", err)

    def _left_open(self) -> None:
        self._door_timer = None
        self._raise("door_left_open")
        self._on_change()

    def _settings_changed(self, previous: Settings, settings: Settings) -> None:
        if previous.countdown_lock_enabled and not settings.countdown_lock_enabled:
            self.stop_countdown()
        if not settings.away_mode:
            self.clear_alarm("away_intrusion")
