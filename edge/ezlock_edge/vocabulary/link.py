"""Whether a UART link is up: reported by the transport, passed up through every layer."""

from __future__ import annotations

from enum import StrEnum


class LinkState(StrEnum):
    """Whether a UART link to a device is up."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
