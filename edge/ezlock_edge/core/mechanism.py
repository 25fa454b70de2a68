"""The lock's mechanism: the bolt it moves, and what follows from each MCU report.

The bolt is thrown and retracted here, so a movement nobody commanded is known to be a
hand's (L-01, L-07). Bolt and door movements, battery, power and tamper become events and
alarms (L-44 to L-47, L-60, L-62, L-67); what follows an unlock (L-45, L-47, L-48), the
countdown lock and the door-left-open and tamper timers run here. Decisions about
people (who may open) are not made here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
import logging
from typing import Any

from ezlock_edge.clock import Clock, sleep
from ezlock_edge.tasks import BackgroundTasks
from ezlock_edge.vocabulary.errors import DeviceBusy, DeviceError
from ezlock_edge.vocabulary.mcu import (
    BluetoothState,
    BoltState,
    DoorState,
    Key,
    Led,
    LedMode,
    McuStatus,
    PowerSource,
    Prompt,
)

from .device_contract import Mcu
from .errors import BusyError, LockOfflineError
from .events import EventLog
from .models import JsonDict, Settings, UnlockMethod
from .panel import Panel
from .settings import LockSettings
from .store import Store

_LOGGER = logging.getLogger(__name__)
_EXPECTED_KEY = "mechanism_expected"  # meta: the movement a command asked for

SIREN_SECONDS = 60  # L-60: about one minute
DOOR_LEFT_OPEN_SECONDS = 120.0  # L-67 (our decision)
MOTOR_BUSY_SECONDS = 10.0
"""Longest a command at the lock waits for the motor (beyond any travel timeout)."""
BUSY_RETRY_SECONDS = 0.2
"""How often a command at the lock asks again while the motor runs."""
STATUS_POLL_SECONDS = 60.0  # Wi-Fi signal has no event; battery and radios checked too


class Mechanism:
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
        self._mcu = mcu
        self._store = store
        self._events = events
        self._clock = clock
        self._settings = settings
        self._panel = panel
        self._on_change = on_change
        self.bolt = BoltState.UNKNOWN
        self.door = DoorState.UNKNOWN
        self.battery_percent = 100
        self.low_battery = False
        self.power_source = PowerSource.BATTERY
        self.tamper = False
        self.wifi_rssi: int | None = None
        self.bluetooth = BluetoothState.OFF
        self._reports = 0  # battery, power and Bluetooth reports so far (see _status)
        self.countdown_at: datetime | None = None
        # The movements motor commands asked for, oldest first, each until the bolt
        # reports it: a lock sent as the unlock's motor stops is answered by "unlocked"
        # first. Stored: killed while the bolt moves for a remote unlock, the restarted
        # driver hears the MCU resend "unlocked" and must not take it for a hand's
        # (issue #11.6). A driver before this stored one name, not a list.
        expected = store.get_meta(_EXPECTED_KEY)
        names = [expected] if isinstance(expected, str) else expected or []
        self._expected: list[BoltState] = [
            BoltState[name] for name in names if name in BoltState.__members__
        ]
        self._turned_by_key = False
        self._coming_in = False  # an unlock from outside: the next opening comes in
        self._leaving = False  # the door was opened from inside (L-44)
        self._alarms: set[str] = set()
        self._countdown: asyncio.Handle | None = None
        self._countdown_seconds: float | None = None  # set while a countdown applies
        self._door_timer: asyncio.Handle | None = None
        self._tamper_timer: asyncio.Handle | None = None
        self._poll: asyncio.Handle | None = None
        self._tasks = BackgroundTasks(_LOGGER)
        settings.listen(self._settings_changed)

    async def start(self) -> None:
        """Read the MCU's status and keep its radios' readings fresh."""
        await self._refresh()

    async def stop(self) -> None:
        """Cancel timers and background work."""
        for handle in (
            self._countdown,
            self._door_timer,
            self._tamper_timer,
            self._poll,
        ):
            if handle is not None:
                handle.cancel()
        await self._tasks.cancel()

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
            await self._panel.say(Prompt.DOOR_UNLOCKED)
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
            self._set_expected([*self._expected, bolt])  # before: it may report at once
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

    def _forget(self, bolt: BoltState) -> None:
        """Drop the newest expectation of ``bolt``: its command was not taken."""
        expected = list(self._expected)
        if bolt in expected:
            del expected[len(expected) - 1 - expected[::-1].index(bolt)]
        self._set_expected(expected)

    def _set_expected(self, expected: list[BoltState]) -> None:
        if expected == self._expected:
            return
        self._expected = expected
        self._store.set_meta(_EXPECTED_KEY, [bolt.name for bolt in expected] or None)

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

    async def bolt_moved(self, bolt: BoltState) -> None:
        """L-01: the bolt moved; a movement nobody commanded was made by hand."""
        self.bolt = bolt
        commanded = bolt in self._expected
        with self._store.transaction():
            # One commit: the report, and that the command it answers is done. A kill
            # in between would otherwise replay the report as a movement by hand.
            self._events.append("bolt", state=bolt.name.lower())
            if commanded:  # that command, and any before it, is done
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

    async def tampered(self) -> None:
        """L-60: about a minute of siren, an event, and the tamper flag meanwhile."""
        self.tamper = True
        self._raise("tamper")
        await self._siren()
        await self._panel.say(Prompt.TAMPER_ALARM)
        self._cancel(self._tamper_timer)
        self._tamper_timer = self._clock.call_later(SIREN_SECONDS, self._tamper_over)

    async def battery_report(self, percent: int, low: bool) -> None:
        """L-62: the level as an event; a warning by voice and LED when it gets low."""
        self._reports += 1
        await self._battery(percent, low)

    async def _battery(self, percent: int, low: bool) -> None:
        if (percent, low) == (self.battery_percent, self.low_battery):
            return
        was_low, self.battery_percent, self.low_battery = self.low_battery, percent, low
        self._events.append("battery", percent=percent, low=low)
        self._panel.stand(Led.LOW_BATTERY, low)
        if low and not was_low:
            self._raise("low_battery")
            await self._panel.say(Prompt.LOW_BATTERY)
            await self._panel.light([Led.LOW_BATTERY], LedMode.BLINK)
        elif was_low and not low:
            self.clear_alarm("low_battery")
            await self._panel.light([Led.LOW_BATTERY], LedMode.OFF)

    async def power_report(self, emergency: bool) -> None:
        """L-08, L-67: running from a power bank is an event and an alarm.

        The battery is read again at once: a flat battery could not report itself
        while the electronics were dead, and a power bank changes nothing about it.
        """
        self._reports += 1
        self._power(PowerSource.EMERGENCY if emergency else PowerSource.BATTERY)
        try:
            status, fresh = await self._status()
        except DeviceError as err:
            _LOGGER.warning("The MCU did not report its battery: %s", err)
            return
        if fresh:
            await self._reconcile(status)

    def _power(self, source: PowerSource) -> None:
        self.power_source = source
        self._events.append("power", source=source.name.lower())
        if source is PowerSource.EMERGENCY:
            self._raise("emergency_power")
        else:
            self.clear_alarm("emergency_power")

    def bluetooth_connected(self) -> None:
        """L-12: a phone connected (it presented a key)."""
        self.bluetooth_report(BluetoothState.CONNECTED)

    def bluetooth_report(self, state: BluetoothState) -> None:
        """L-12: the MCU reports every change of its Bluetooth state."""
        self._reports += 1
        self.bluetooth = state

    def clear_alarm(self, alarm: str) -> None:
        """Report the end of an alarm that was raised."""
        if alarm in self._alarms:
            self._alarms.discard(alarm)
            self._events.append("alarm_cleared", alarm=alarm)

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

    # internals

    def load(self, status: McuStatus) -> None:
        """Take the MCU's own view (at start, and for the radios on every poll)."""
        self.bolt, self.door = status.bolt, status.door
        self.battery_percent, self.low_battery = (
            status.battery_percent,
            status.low_battery,
        )
        self.power_source, self.tamper = status.power_source, status.tamper
        self.wifi_rssi, self.bluetooth = status.wifi_rssi, status.bluetooth
        self._panel.stand(Led.LOW_BATTERY, self.low_battery)

    async def _refresh(self) -> None:
        try:
            status, fresh = await self._status()
        except DeviceError as err:
            _LOGGER.warning("The MCU did not report its status: %s", err)
        else:
            if self.bolt is BoltState.UNKNOWN:
                self.load(status)
            else:
                self.wifi_rssi = status.wifi_rssi
                if fresh:
                    await self._reconcile(status)
            self._on_change()
        self._poll = self._clock.call_later(STATUS_POLL_SECONDS, self._poll_due)

    async def _status(self) -> tuple[McuStatus, bool]:
        """Read STATUS; also say whether no report came meanwhile (else it is older)."""
        reports = self._reports
        status = await self._mcu.status()
        return status, self._reports == reports

    async def _reconcile(self, status: McuStatus) -> None:
        """Take battery, power and Bluetooth as the MCU reads them, should a report be lost."""
        self.bluetooth = status.bluetooth
        if status.power_source is not self.power_source:
            self._power(status.power_source)
        await self._battery(status.battery_percent, status.low_battery)

    def _poll_due(self) -> None:
        self._tasks.spawn(self._refresh())

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

    def _tamper_over(self) -> None:
        self._tamper_timer = None
        self.tamper = False
        self.clear_alarm("tamper")
        self._on_change()

    def _settings_changed(self, previous: Settings, settings: Settings) -> None:
        if previous.countdown_lock_enabled and not settings.countdown_lock_enabled:
            self.stop_countdown()
        if not settings.away_mode:
            self.clear_alarm("away_intrusion")

    def _raise(self, alarm: str) -> None:
        self._alarms.add(alarm)
        self._events.append("alarm", alarm=alarm)

    async def _siren(self) -> None:
        try:
            await self._mcu.siren(True, SIREN_SECONDS)
        except DeviceError as err:
            _LOGGER.warning("Siren failed: %s", err)

    @staticmethod
    def _cancel(handle: asyncio.Handle | None) -> None:
        if handle is not None:
            handle.cancel()
