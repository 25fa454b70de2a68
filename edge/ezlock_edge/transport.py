"""One serial link per device, through serialx (docs/serial-protocol.md, "Ports").

A :class:`SerialPort` opens a device path or a ``socket://host:port`` URL, hands every
received chunk to its receiver, and when the port vanishes (USB adapter pulled, TCP
bridge gone) reports ``DISCONNECTED`` and reopens it with exponential backoff until it
is back. It knows nothing about frames.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import logging

import serialx
from serialx.common import UnknownUriScheme, UnsupportedSetting
from serialx.descriptor_transport import DescriptorTransport

from ezlock_edge.clock import Clock, SystemClock, sleep, timeout
from ezlock_edge.vocabulary.errors import DeviceDisconnected
from ezlock_edge.vocabulary.link import LinkState

_LOGGER = logging.getLogger(__name__)

BACKOFF_MIN = 0.05
BACKOFF_MAX = 2.0
READ_SIZE = 4096
"""Bytes asked of the kernel per read of a device path (serialx asks 256 KiB).

A frame is tens of bytes and a full window of MCU events under 2 KiB; more is read on
the next loop turn. A 256 KiB buffer is above glibc's mmap threshold, so every read
mapped and unmapped memory: about 10 µs of CPU per read (docs/performance.md, sixth
round).
"""

type StateListener = Callable[[LinkState], None]


class SerialPort:
    """A UART that keeps itself open."""

    def __init__(
        self,
        url: str,
        baudrate: int,
        *,
        name: str,
        clock: Clock | None = None,
        backoff: tuple[float, float] = (BACKOFF_MIN, BACKOFF_MAX),
    ) -> None:
        """Describe the port; nothing is opened until :meth:`start`.

        ``backoff`` is the first and the longest wait between two reopen attempts, in
        seconds of ``clock`` (the system's by default).
        """
        self.url = url
        self.baudrate = baudrate
        self.name = name
        self.clock = clock or SystemClock()
        self._backoff = backoff
        self._receiver: Callable[[bytes], None] = _drop
        self._listeners: list[StateListener] = []
        self._transport: serialx.BaseSerialTransport | None = None
        self._lost: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._state = LinkState.DISCONNECTED
        self._up = asyncio.Event()
        self.bytes_sent = 0
        """Bytes handed to the port so far (a simulator's clock watches them)."""
        self.bytes_received = 0
        """Bytes received from the port so far."""

    @property
    def state(self) -> LinkState:
        """Whether the port is open now."""
        return self._state

    def set_receiver(self, receiver: Callable[[bytes], None]) -> None:
        """Send every received chunk to ``receiver`` (the protocol layer)."""
        self._receiver = receiver

    def add_state_listener(self, listener: StateListener) -> None:
        """Call ``listener`` on every state change (the protocol and device layers)."""
        self._listeners.append(listener)

    async def start(self) -> None:
        """Try to open the port once, then keep it open in the background.

        A port that is missing now is not an error (it is retried); a URL serialx
        cannot handle at all is, and raises ``serialx.SerialException`` here.
        """
        if self._task is not None:
            return
        try:
            await self._open()
        except UnknownUriScheme, UnsupportedSetting:
            raise
        except (OSError, serialx.SerialException) as err:
            _LOGGER.warning(
                "%s: cannot open %s yet: %s", self.name, self._safe_url, err
            )
        self._task = asyncio.create_task(
            self._keep_open(), name=f"ezlock {self.name} port"
        )

    async def close(self) -> None:
        """Close the port and stop reopening it; return once it is closed.

        serialx closes the descriptor in a task of its own: until it has, the port's
        lock is held, and opening the port again (a driver restarted in the same
        process, another program) would find it taken.
        """
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
            self._set_state(LinkState.DISCONNECTED)
            await transport.wait_closed()

    def write(self, data: bytes) -> None:
        """Send ``data`` now; raise :class:`DeviceDisconnected` if the port is down.

        While a vanished port is being closed (its loss not reported yet), the data
        is lost as on a cut cable: the sender's timeout and retransmission handle it.
        """
        if self._transport is None:
            raise DeviceDisconnected(f"{self.name}: port {self._safe_url} is not open")
        if self._transport.is_closing():
            _LOGGER.debug("%s: %d bytes lost, port closing", self.name, len(data))
            return
        self._transport.write(data)
        self.bytes_sent += len(data)

    async def connected_within(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the port to be open; return whether it is."""
        if self._state is LinkState.CONNECTED:
            return True  # every command asks: no timer for an open port
        with contextlib.suppress(TimeoutError):
            async with timeout(self.clock, seconds):
                await self._up.wait()
        return self._up.is_set()  # set exactly while connected (_set_state)

    @property
    def _safe_url(self) -> str:
        return serialx.redact_uri(self.url)

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await serialx.create_serial_connection(
            loop, lambda: _PortProtocol(self), self.url, baudrate=self.baudrate
        )
        if isinstance(transport, DescriptorTransport):
            transport.max_size = READ_SIZE
        self._transport = transport
        self._lost = loop.create_future()
        self._set_state(LinkState.CONNECTED)
        _LOGGER.info("%s: connected to %s", self.name, self._safe_url)

    async def _keep_open(self) -> None:
        delay = self._backoff[0]
        while True:
            if self._lost is not None:
                await self._lost
                self._lost = None
                delay = self._backoff[0]
            await sleep(self.clock, delay)
            try:
                await self._open()
            except (OSError, serialx.SerialException) as err:
                _LOGGER.debug("%s: reopen failed: %s", self.name, err)
                delay = min(delay * 2, self._backoff[1])

    def _data_received(self, data: bytes) -> None:
        self.bytes_received += len(data)
        self._receiver(data)

    def _connection_lost(self, transport: asyncio.BaseTransport | None) -> None:
        if transport is None or transport is not self._transport:
            return  # an earlier connection, or closed on purpose
        self._transport = None
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        _LOGGER.warning("%s: port %s lost; reconnecting", self.name, self._safe_url)
        self._set_state(LinkState.DISCONNECTED)

    def _set_state(self, state: LinkState) -> None:
        if state is self._state:
            return
        self._state = state
        if state is LinkState.CONNECTED:
            self._up.set()
        else:
            self._up.clear()
        for listener in list(self._listeners):
            listener(state)


class _PortProtocol(asyncio.Protocol):
    """serialx's callbacks, forwarded to the port that owns the connection."""

    def __init__(self, port: SerialPort) -> None:
        self._port = port
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._port._data_received(data)  # noqa: SLF001 - the port's own protocol

    def connection_lost(self, exc: Exception | None) -> None:
        self._port._connection_lost(self._transport)  # noqa: SLF001 - the port's own protocol


def _drop(data: bytes) -> None:
    """Bytes arriving before a receiver is attached have nobody to go to."""
