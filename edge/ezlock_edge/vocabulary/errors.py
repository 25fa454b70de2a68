"""Errors of the hardware (docs/architecture.md, device contract).

The transport and protocol layers raise these too, so the lock core handles one
vocabulary whatever layer noticed the problem. Names follow the contract.
"""

from __future__ import annotations


class DeviceError(Exception):
    """A device could not do what was asked."""


class DeviceTimeout(DeviceError):  # noqa: N818 - contract name
    """The device did not answer in time, or nobody presented a finger, face or palm."""


class DeviceDisconnected(DeviceError):  # noqa: N818 - contract name
    """The device's UART link is down (port unplugged or not reachable)."""


class DeviceRejected(DeviceError):  # noqa: N818 - contract name
    """The device answered, but refused or failed the command."""


class DeviceBusy(DeviceRejected):
    """The device cannot do it yet (its motor still runs); the same command may later."""


class DuplicateTemplate(DeviceRejected):
    """The finger, face or palm being enrolled is already stored (L-24).

    ``existing_slot`` is None when the module would not say where (some face module
    firmwares answer FACE_ENROLLED without the user id, and the face was gone before
    the driver could ask).
    """

    def __init__(self, existing_slot: int | None) -> None:
        """Keep the slot that already holds it, if known."""
        where = (
            "a slot the module did not name"
            if existing_slot is None
            else (f"slot {existing_slot}")
        )
        super().__init__(f"already enrolled in {where}")
        self.existing_slot = existing_slot


class SlotOccupied(DeviceRejected):
    """The module already holds a template the lock does not know in that slot.

    Stored by another host, or before the lock's own data was reset: reported, never
    overwritten.
    """

    def __init__(self, slot: int) -> None:
        """Keep the occupied slot."""
        super().__init__(f"slot {slot} holds a template this lock did not store")
        self.slot = slot


class CapacityFull(DeviceRejected):
    """Every template slot of the module is used (L-22)."""


class LivenessFailed(DeviceRejected):
    """The module saw a photo, mask or fake palm rather than a live person."""
