"""Biometric identification: who is at the fingerprint reader, the camera or the palm sensor.

The MCU wakes a sensor (touch line, proximity radar, a keypad touch for the face, L-10);
a match then runs in the background on that module and its result goes to the keypad
dialogue (an admin verifying for the menu, L-20) or to the unlock decision. Each module
does one thing at a time, so an enrollment first waits for a running match to finish.

A wake that comes while its sensor's match still runs (someone presents again right
after a failure, while the lock is still saying so) is not dropped: once the running
match is over, the sensor matches once more. Wakes meanwhile coalesce into that one
match; one that finds nobody ends quietly (no attempt).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
import logging

from ezlock_edge.tasks import BackgroundTasks
from ezlock_edge.vocabulary.errors import DeviceError, DeviceTimeout, LivenessFailed
from ezlock_edge.vocabulary.mcu import Sensor

from .device_contract import LockHardware
from .directory import Directory
from .enrollment import Enroller
from .keypad import Keypad, Mode
from .lockout import Lockout
from .models import CredentialType, UnlockMethod
from .unlock_decision import Presented, UnlockDecision

_LOGGER = logging.getLogger(__name__)

SENSORS = {
    Sensor.FINGERPRINT: (UnlockMethod.FINGERPRINT, CredentialType.FINGERPRINT),
    Sensor.FACE: (UnlockMethod.FACE, CredentialType.FACE),
    Sensor.PALM: (UnlockMethod.PALM, CredentialType.PALM),
}
"""Each biometric sensor, the unlock method it serves and the credentials it matches."""
_SENSOR_OF = {kind: sensor for sensor, (_, kind) in SENSORS.items()}


class Identification:
    """Runs at most one match per sensor and hands its result on."""

    def __init__(
        self,
        hardware: LockHardware,
        directory: Directory,
        lockout: Lockout,
        access: UnlockDecision,
        keypad: Keypad,
        enroller: Enroller,
        on_change: Callable[[], None],
        verify_timeout: float,
    ) -> None:
        """Match on ``hardware``'s modules; ``verify_timeout`` bounds a face or palm match."""
        self._hardware = hardware
        self._directory = directory
        self._lockout = lockout
        self._access = access
        self._keypad = keypad
        self._enroller = enroller
        self._on_change = on_change
        self._verify_timeout = verify_timeout
        self._running: dict[Sensor, asyncio.Task[None]] = {}
        self._again: dict[Sensor, bool] = {}
        """Sensors woken again during their match, and whether every such wake was manual."""
        self._tasks = BackgroundTasks(_LOGGER)

    def start(self, sensor: Sensor, *, manual: bool) -> None:
        """Start matching whoever is at ``sensor``, unless the lock is not ready for it.

        ``manual``: the face match a keypad touch starts (L-10); a locked-out lock does
        not count it as an attempt. A wake during the sensor's running match is kept for
        when it ends.
        """
        if sensor in self._running:
            self._again[sensor] = manual and self._again.get(sensor, True)
            return
        if (
            self._enroller.busy
            or not self._directory.admin_exists
            or self._keypad.mode not in {Mode.IDLE, Mode.VERIFY_ADMIN}
        ):
            return
        # At once, within the wake's handler: the module's command goes out before
        # the wake's acknowledgement and whatever else the loop has ready.
        task = self._tasks.spawn(self._run(sensor, manual), eager=True)
        if not task.done():  # a match that ended at once has nothing left to run
            self._running[sensor] = task

    def matching(self, kind: CredentialType) -> bool:
        """Return whether a match runs on the module ``kind`` is enrolled on."""
        return _SENSOR_OF[kind] in self._running

    async def release(self, kind: CredentialType) -> None:
        """Wait for a match running on the module ``kind`` is enrolled on (an enrollment is next).

        A match cannot be taken back halfway, so this waits (at most its own timeout).
        """
        task = self._running.get(_SENSOR_OF[kind])
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def stop(self) -> None:
        """Cancel running matches."""
        self._again.clear()
        await self._tasks.cancel()

    async def _run(self, sensor: Sensor, manual: bool) -> None:
        try:
            await self._identify(sensor, manual)
        finally:
            self._running.pop(sensor, None)
            self._on_change()
        # Not reached when cancelled (stopping): only a finished match starts the next.
        again = self._again.pop(sensor, None)
        if again is not None:
            self.start(sensor, manual=again)

    async def _identify(self, sensor: Sensor, manual: bool) -> None:
        method, kind = SENSORS[sensor]
        try:
            if self._lockout.active and self._keypad.mode is Mode.IDLE:
                if not manual:
                    await self._access.attempt(Presented(method))
                return
            slot: int | None = None
            spoofed = False
            try:
                slot = await self._match(sensor)
            except LivenessFailed:
                spoofed = True
            except DeviceTimeout as err:
                _LOGGER.debug("Nobody at %s: %s", sensor.name, err)
                return  # nobody came close enough
            presented = replace(
                self._access.by_slot(method, kind, slot), spoofed=spoofed
            )
            if self._keypad.mode is Mode.VERIFY_ADMIN:
                await self._keypad.admin_presented(presented)
            elif self._keypad.mode is Mode.IDLE:
                await self._access.attempt(presented)
        except DeviceError as err:
            _LOGGER.warning("Biometric match on %s failed: %s", sensor.name, err)

    async def _match(self, sensor: Sensor) -> int | None:
        hardware = self._hardware
        if sensor is Sensor.FINGERPRINT:
            finger = await hardware.fingerprint.identify()
            return finger.slot if finger is not None else None
        module = hardware.face if sensor is Sensor.FACE else hardware.palm
        match = await module.verify(timeout=self._verify_timeout)
        return match.slot if match is not None else None
