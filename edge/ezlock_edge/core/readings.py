"""The lock's readings: battery, power source and radios, as reported and as polled.

Each report becomes an event and, where it says so, an alarm (L-08, L-12, L-62, L-67);
STATUS is read at start and every minute (the Wi-Fi signal has no event), and a
reading no report contradicts replaces one that may have been lost (L-06).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging

from ezlock_edge.clock import Clock
from ezlock_edge.tasks import BackgroundTasks
from ezlock_edge.vocabulary.errors import DeviceError
from ezlock_edge.vocabulary.mcu import (
    BluetoothState,
    BoltState,
    DoorState,
    Led,
    LedMode,
    McuStatus,
    PowerSource,
    Prompt,
)

from .alarms import Alarms
from .device_contract import Mcu
from .events import EventLog
from .panel import Panel

_LOGGER = logging.getLogger(__name__)

STATUS_POLL_SECONDS = 60.0  # Wi-Fi signal has no event; battery and radios checked too


class Readings(Alarms):
    """The last reported bolt, door, battery, power and radios, kept fresh by a poll."""

    def __init__(
        self,
        mcu: Mcu,
        events: EventLog,
        clock: Clock,
        panel: Panel,
        on_change: Callable[[], None],
    ) -> None:
        """Report through ``events``; ``on_change`` runs when the state changed."""
        super().__init__(mcu, events, clock, panel, on_change)
        self.bolt = BoltState.UNKNOWN
        self.door = DoorState.UNKNOWN
        self.battery_percent = 100
        self.low_battery = False
        self.power_source = PowerSource.BATTERY
        self.wifi_rssi: int | None = None
        self.bluetooth = BluetoothState.OFF
        self._reports = 0  # battery, power and Bluetooth reports so far (see _status)
        self._poll: asyncio.Handle | None = None
        self._tasks = BackgroundTasks(_LOGGER)

    async def start(self) -> None:
        """Read the MCU's status and keep its radios' readings fresh."""
        await self._refresh()

    async def stop(self) -> None:
        """Cancel the poll and background work."""
        self._cancel(self._poll)
        await super().stop()
        await self._tasks.cancel()

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
