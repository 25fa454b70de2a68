"""What every device on a UART shares: its port, the port's state, and closing it."""

from __future__ import annotations

from collections.abc import Callable

from ezlock_edge.transport import SerialPort
from ezlock_edge.vocabulary.link import LinkState


class UartDevice:
    """A device behind one serial port (the MCU or a biometric module)."""

    def __init__(self, port: SerialPort) -> None:
        """Own ``port``: the device closes it."""
        self._port = port

    @property
    def link_state(self) -> LinkState:
        """Whether the UART link is up."""
        return self._port.state

    def add_link_listener(self, listener: Callable[[LinkState], None]) -> None:
        """Call ``listener`` on every change of the link's state (cable pulled, back)."""
        self._port.add_state_listener(listener)

    @property
    def traffic(self) -> tuple[int, int]:
        """Bytes sent and received on the link so far."""
        return self._port.bytes_sent, self._port.bytes_received

    async def close(self) -> None:
        """Close the port."""
        await self._port.close()
