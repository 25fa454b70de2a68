"""What the lock core needs from the device layer (docs/architecture.md, device contract).

Structural types, so the core depends on the contract rather than on the drivers, and the
drivers (``ezlock_edge.devices``) satisfy them without importing the core.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from ezlock_edge.devices.models import BiometricMatch, FingerMatch
from ezlock_edge.vocabulary.link import LinkState
from ezlock_edge.vocabulary.mcu import (
    DoorDirection,
    Key,
    Led,
    LedMode,
    McuEvent,
    McuInfo,
    McuStatus,
    Prompt,
)

type Progress = Callable[[int, int], Awaitable[None]]


class Mcu(Protocol):
    """The lock controller: bolt, keypad, voice, radios, and its event stream."""

    @property
    def info(self) -> McuInfo:
        """Identity from the hello exchange."""

    @property
    def bolt_causes(self) -> bool:
        """Whether BOLT reports say if the motor moved the bolt (issue #11.6)."""

    @property
    def link_state(self) -> LinkState:
        """Whether the UART link is up."""

    def add_link_listener(self, listener: Callable[[LinkState], None]) -> None:
        """Call ``listener`` on every change of the link's state."""

    async def status(self) -> McuStatus:
        """Read everything the MCU knows now."""

    async def lock(self) -> None:
        """Throw the bolt (``DeviceBusy`` while the motor still runs)."""

    async def unlock(self, direction: DoorDirection) -> None:
        """Retract the bolt, turning the motor for ``direction`` (``DeviceBusy`` too)."""

    async def set_leds(self, leds: Collection[Key | Led], mode: LedMode) -> None:
        """Light, blink or darken some keypad LEDs."""

    async def clear_leds(self) -> None:
        """Darken every keypad LED."""

    async def play(self, prompt: Prompt) -> None:
        """Speak a voice prompt."""

    async def set_volume(self, level: int) -> None:
        """Set the voice volume, 0 (mute) to 3."""

    async def siren(self, on: bool, seconds: int = 60) -> None:
        """Sound or silence the siren."""

    async def show_number(self, digits: str) -> None:
        """Show digits one after the other on the keypad."""

    async def flash_keypad(self, count: int = 2) -> None:
        """Flash the whole keypad."""

    async def read_out_info(self, on: bool = True) -> None:
        """Read out serial, firmware and verification code (or stop)."""

    async def set_door_direction(self, direction: DoorDirection) -> None:
        """Tell the motor which way the door opens."""

    async def set_wifi(self, enabled: bool) -> None:
        """Switch the Wi-Fi radio."""

    def set_event_handler(
        self,
        handler: Callable[[McuEvent], Awaitable[None]],
        batch: Callable[[], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        """Receive MCU events; acknowledged once handled and ``batch()`` has ended."""


class Fingerprint(Protocol):
    """The fingerprint module."""

    @property
    def link_state(self) -> LinkState:
        """Whether the UART link is up."""

    def add_link_listener(self, listener: Callable[[LinkState], None]) -> None:
        """Call ``listener`` on every change of the link's state."""

    async def identify(self, timeout: float = 2.0) -> FingerMatch | None:  # noqa: ASYNC109
        """Search the finger on the reader; None if it is unknown."""

    async def enroll(
        self,
        slot: int,
        captures: int = 4,
        progress: Progress | None = None,
        capture_timeout: float = 10.0,
    ) -> None:
        """Enroll a finger into ``slot`` from several captures."""

    async def delete(self, slot: int) -> None:
        """Delete one template."""

    async def delete_all(self) -> None:
        """Delete every template."""

    async def slots(self) -> set[int]:
        """Return the pages that hold a template, in the module's whole library.

        The lock's pages 0..49 and any other (another host's templates anywhere).
        """


class Biometric(Protocol):
    """The face or the palm-vein module."""

    @property
    def link_state(self) -> LinkState:
        """Whether the UART link is up."""

    def add_link_listener(self, listener: Callable[[LinkState], None]) -> None:
        """Call ``listener`` on every change of the link's state."""

    async def verify(self, timeout: float = 5.0) -> BiometricMatch | None:  # noqa: ASYNC109
        """Match the face or palm in view; None if it is unknown."""

    async def enroll(
        self,
        progress: Progress | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> int:
        """Enroll; return the slot the module chose."""

    async def delete(self, slot: int) -> None:
        """Delete one template."""

    async def delete_all(self) -> None:
        """Delete every template."""

    async def slots(self) -> set[int]:
        """Return the slots that hold a template (the lock's or another host's)."""


class LockHardware(Protocol):
    """The four devices of one lock."""

    @property
    def mcu(self) -> Mcu:
        """The controller."""

    @property
    def fingerprint(self) -> Fingerprint:
        """The fingerprint module."""

    @property
    def face(self) -> Biometric:
        """The face module."""

    @property
    def palm(self) -> Biometric:
        """The palm-vein module."""
