"""A simulated UART: a pseudo-terminal whose slave the driver opens like a real port.

The driver opens a stable path (a symlink in the simulator's directory) that points at
the current pty slave, so unplugging (closing the pty: the driver's reads fail and the
path vanishes) and plugging back (a new pty behind the same path) look to the driver
exactly like a USB-serial adapter pulled out and put back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import fcntl
import logging
import os
from pathlib import Path
import struct
import termios
import tty

from .noise import LineNoise

_LOGGER = logging.getLogger(__name__)

_READ_SIZE = 4096
# A real UART has no flow control here: output the driver does not read in time is
# lost. The pty buffers this much before the simulator starts dropping the oldest bytes.
_MAX_PENDING = 64 * 1024


class VirtualPort:
    """The device side of one simulated serial link."""

    def __init__(self, path: Path, noise: LineNoise) -> None:
        """Serve the link at ``path``; set ``on_receive`` to get what the driver sends."""
        self.path = path
        self.noise = noise
        self.on_receive: Callable[[bytes], None] = _discard
        self._master: int | None = None
        self._slave: int | None = None
        self._pending = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.sent = 0
        """Bytes written to the driver so far (after the line's damage)."""
        self.received = 0
        """Bytes read from the driver so far (before the line's damage)."""

    @property
    def plugged(self) -> bool:
        """Whether the port currently exists."""
        return self._master is not None

    def queued(self) -> int:
        """Bytes on their way, either direction, that their reader has not taken yet."""
        if self._master is None or self._slave is None:
            return 0
        return len(self._pending) + _unread(self._master) + _unread(self._slave)

    def plug(self) -> None:
        """Create the pty and point the stable path at its slave."""
        if self._master is not None:
            return
        self._loop = asyncio.get_running_loop()
        master, slave = os.openpty()
        # The simulator keeps the slave open too, so the master never reads EIO while
        # no driver has the port open; raw mode means no echo and no line discipline.
        tty.setraw(slave)
        os.set_blocking(master, False)
        temporary = self.path.with_name(f".{self.path.name}.new")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        temporary.symlink_to(os.ttyname(slave))
        temporary.replace(self.path)
        self._master, self._slave = master, slave
        self._loop.add_reader(master, self._read)

    def unplug(self) -> None:
        """Remove the port: the driver's open port fails and the path disappears."""
        if self._master is None or self._slave is None or self._loop is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._loop.remove_reader(self._master)
        self._loop.remove_writer(self._master)
        os.close(self._master)
        os.close(self._slave)
        self._master = self._slave = None
        self._pending.clear()

    def write(self, data: bytes) -> bool:
        """Send ``data`` to the driver through the (possibly noisy) line; never blocks.

        Returns whether it left intact on a plugged cable: False when the cable is out
        or noise damaged it, so that the driver cannot have it as it was sent.
        """
        if self._master is None or self._loop is None:
            return False
        sent = self.noise.apply(data)
        if self._pending:
            self._queue(sent)
            return sent == data
        try:
            written = os.write(self._master, sent)
        except BlockingIOError:
            written = 0
        self.sent += written
        if written < len(sent):
            self._queue(sent[written:])
            self._loop.add_writer(self._master, self._flush)
        return sent == data

    def _queue(self, data: bytes) -> None:
        self._pending += data
        overflow = len(self._pending) - _MAX_PENDING
        if overflow > 0:
            _LOGGER.debug("%s: driver not reading, %d bytes lost", self.path, overflow)
            del self._pending[:overflow]

    def _flush(self) -> None:
        if self._master is None or self._loop is None:
            return
        try:
            written = os.write(self._master, self._pending)
        except BlockingIOError:
            return
        del self._pending[:written]
        self.sent += written
        if not self._pending:
            self._loop.remove_writer(self._master)

    def _read(self) -> None:
        if self._master is None:
            return
        try:
            data = os.read(self._master, _READ_SIZE)
        except BlockingIOError:
            return
        if data:
            self.received += len(data)
            received = self.noise.apply(data)
            if received:
                self.on_receive(received)


def _unread(fd: int) -> int:
    """Bytes waiting to be read on a pty end (FIONREAD)."""
    try:
        (count,) = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, bytes(4)))
    except OSError:
        return 0
    return int(count)


def _discard(data: bytes) -> None:
    """Bytes sent to a device nobody simulates are lost, as on an open wire."""
