"""``Hardware``: the lock's four devices, opened from four port URLs."""

from __future__ import annotations

import contextlib

from ezlock_edge.clock import Clock
from ezlock_edge.vocabulary.link import LinkState
from ezlock_edge.vocabulary.modules import ModuleSettings

from .biometric import FACE, PALM, BiometricDevice
from .fingerprint import FingerprintDevice
from .mcu import McuDevice


class Hardware:
    """The MCU and the fingerprint, face and palm-vein modules of one lock."""

    def __init__(
        self,
        mcu: McuDevice,
        fingerprint: FingerprintDevice,
        face: BiometricDevice,
        palm: BiometricDevice,
    ) -> None:
        """Use :meth:`open`."""
        self.mcu = mcu
        self.fingerprint = fingerprint
        self.face = face
        self.palm = palm

    @classmethod
    async def open(
        cls,
        *,
        mcu: str,
        fingerprint: str,
        face: str,
        palm: str,
        clock: Clock | None = None,
        modules: ModuleSettings | None = None,
        wire_clock: Clock | None = None,
    ) -> Hardware:
        """Open the four ports (device paths or ``socket://host:port``).

        The MCU must answer (its HELLO gives the lock's identity); the modules may be
        missing and are connected when they appear. How long a person is given to
        present a finger, face or palm runs on ``clock`` (the lock's); every link
        timeout, poll and reconnect on ``wire_clock`` (``clock`` unless given; the
        system's when neither is). ``modules``: the modules' own address, password
        and baud rates (factory values by default).
        """
        settings = modules or ModuleSettings()
        wire = wire_clock or clock
        async with contextlib.AsyncExitStack() as stack:
            finger_device = await FingerprintDevice.open(
                fingerprint,
                settings.fingerprint_baudrate,
                address=settings.fingerprint_address,
                password=settings.fingerprint_password,
                clock=clock,
                wire_clock=wire,
            )
            stack.push_async_callback(finger_device.close)
            face_device = await BiometricDevice.open(
                face, FACE, settings.face_baudrate, clock=clock, wire_clock=wire
            )
            stack.push_async_callback(face_device.close)
            palm_device = await BiometricDevice.open(
                palm, PALM, settings.palm_baudrate, clock=clock, wire_clock=wire
            )
            stack.push_async_callback(palm_device.close)
            mcu_device = await McuDevice.open(mcu, clock=wire)
            stack.pop_all()
        return cls(mcu_device, finger_device, face_device, palm_device)

    @property
    def connected(self) -> dict[str, bool]:
        """Whether each device's link is up, by device name."""
        return {
            name: device.link_state is LinkState.CONNECTED
            for name, device in (
                ("mcu", self.mcu),
                ("fingerprint", self.fingerprint),
                ("face", self.face),
                ("palm", self.palm),
            )
        }

    async def close(self) -> None:
        """Close every port."""
        for device in (self.mcu, self.fingerprint, self.face, self.palm):
            await device.close()

    def traffic(self) -> dict[str, tuple[int, int]]:
        """Bytes sent and received so far on each device's link, by device name."""
        return {
            "mcu": self.mcu.traffic,
            "fingerprint": self.fingerprint.traffic,
            "face": self.face.traffic,
            "palm": self.palm.traffic,
        }
