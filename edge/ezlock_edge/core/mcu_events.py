"""What the lock does with each MCU event: the one place MCU reports enter the core.

Handling policy (docs/architecture.md, device contract): the MCU link recognises a
resend whose ACK was lost and retries a handler that failed; the core recognises, from
the database, an event whose effects are already stored (its number is stored with the
events it produced, so this holds across a restart too). A failure is raised, not swallowed, so that the link's retry runs. The link hands
over a window of events inside :meth:`McuEvents.batch`: they are committed together,
with one sync, before the link acknowledges them, and are one burst for the panel
(doorbell presses in it ring once).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
import logging

from ezlock_edge.vocabulary.mcu import McuEvent, McuEventKind, Prompt, Sensor

from .errors import best_effort
from .events import EventLog, handling_mcu_event
from .identification import Identification
from .keypad import Keypad
from .lockout import Lockout
from .mechanism import Mechanism
from .panel import Panel
from .unlock_decision import UnlockDecision

_LOGGER = logging.getLogger(__name__)


class McuEvents:
    """Hands each MCU event to the part of the lock it concerns."""

    def __init__(
        self,
        events: EventLog,
        keypad: Keypad,
        mechanism: Mechanism,
        access: UnlockDecision,
        identification: Identification,
        lockout: Lockout,
        panel: Panel,
        on_change: Callable[[], None],
        *,
        serial: Callable[[], str],
        batch: Callable[[], AbstractAsyncContextManager[None]],
    ) -> None:
        """Dispatch to these; ``on_change`` runs after every handled event.

        ``serial`` names the MCU now connected; ``batch`` is the store's group commit.
        """
        self._serial = serial
        self._group_commit = batch
        self._events = events
        self._keypad = keypad
        self._mechanism = mechanism
        self._access = access
        self._identification = identification
        self._lockout = lockout
        self._panel = panel
        self._on_change = on_change

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """Scope the events that arrived together: one commit, one burst."""
        with self._panel.burst():
            async with self._group_commit():
                yield

    async def handle(self, event: McuEvent) -> None:
        """Handle ``event`` once; raise if that failed (the link retries it)."""
        serial = self._serial()
        if self._events.mcu_event_handled(event.seq, serial):
            _LOGGER.debug("MCU event %d was handled already", event.seq)
            return
        with handling_mcu_event(event.seq, serial):
            await self._dispatch(event)

    async def _dispatch(self, event: McuEvent) -> None:
        kind, mechanism = event.kind, self._mechanism
        if kind is McuEventKind.KEY and event.key is not None:
            await self._keypad.key(event.key, event.long_press)
        elif kind is McuEventKind.KEYPAD_WAKE:
            await self._keypad.wake()
            if mechanism.low_battery:
                await self._panel.say(Prompt.LOW_BATTERY)
            if not self._lockout.active:
                self._identification.start(Sensor.FACE, manual=True)  # L-10
        elif kind is McuEventKind.KEYPAD_SLEEP:
            await self._keypad.sleep()
        elif kind is McuEventKind.SET_BUTTON and event.set_press is not None:
            await self._keypad.set_button(event.set_press)
        elif kind is McuEventKind.LOCK_BUTTON:
            await best_effort(mechanism.lock("lock_button"))
        elif kind is McuEventKind.DOOR and event.door is not None:
            await mechanism.door_moved(event.door)
        elif kind is McuEventKind.BOLT and event.bolt is not None:
            await mechanism.bolt_moved(event.bolt, event.bolt_cause)
        elif kind is McuEventKind.TAMPER:
            await mechanism.tampered()
        elif kind is McuEventKind.BATTERY and event.battery_percent is not None:
            await mechanism.battery_report(event.battery_percent, event.low_battery)
        elif kind is McuEventKind.MECHANICAL_KEY:
            mechanism.key_turned()
        elif kind is McuEventKind.EMERGENCY_POWER:
            await mechanism.power_report(event.connected)
        elif kind is McuEventKind.BLUETOOTH and event.bluetooth is not None:
            mechanism.bluetooth_report(event.bluetooth)
        elif kind is McuEventKind.READ_OUT_DONE:
            await self._keypad.read_out_done()
        elif kind is McuEventKind.BLUETOOTH_KEY and event.bluetooth_key is not None:
            mechanism.bluetooth_connected()
            await self._access.bluetooth(event.bluetooth_key)
        elif kind is McuEventKind.BLUETOOTH_LOCK and event.bluetooth_key is not None:
            mechanism.bluetooth_connected()
            await self._access.bluetooth_lock(event.bluetooth_key)
        elif kind is McuEventKind.SENSOR_WAKE and event.sensor is not None:
            self._identification.start(event.sensor, manual=False)
        self._on_change()
