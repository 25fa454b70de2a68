"""A TCP port in front of a simulated UART, as ser2net puts one in front of a real UART.

Software on another machine (or any program that speaks ``socket://`` but cannot open a
pty) reaches the simulated module through it. The bridge opens the link's pty as a host
would, once a TCP client connects, and copies bytes both ways until either side goes.
One client at a time, as one cable: a second is refused while the first is connected.
Bytes the module sends while nobody is connected are not kept (as on an open wire).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import serialx

_LOGGER = logging.getLogger(__name__)

_CHUNK = 4096


class TcpBridge:
    """``socket://host:port`` for the simulated UART at ``path``."""

    def __init__(self, name: str, path: Path, baudrate: int) -> None:
        """Bridge the link ``name`` (its pty at ``path``); nothing runs before start."""
        self.name = name
        self._path = path
        self._baudrate = baudrate
        self._server: asyncio.Server | None = None
        self._busy = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int = 0) -> int:
        """Listen on ``host:port`` (0: a free port); return the bound port."""
        self._server = await asyncio.start_server(self._serve, host, port)
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def stop(self) -> None:
        """Stop listening and drop the connected client."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        if self._busy:
            _LOGGER.info("%s over TCP: already in use, connection refused", self.name)
            client_writer.close()
            return
        self._busy = True
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            try:
                uart_reader, uart_writer = await serialx.open_serial_connection(
                    str(self._path), baudrate=self._baudrate
                )
            except (OSError, serialx.SerialException) as err:
                _LOGGER.warning(
                    "%s over TCP: the link is unplugged: %s", self.name, err
                )
                return
            _LOGGER.info("%s over TCP: connected", self.name)
            try:
                await _copy_both_ways(
                    (client_reader, uart_writer), (uart_reader, client_writer)
                )
            finally:
                uart_writer.close()
            _LOGGER.info("%s over TCP: disconnected", self.name)
        finally:
            self._busy = False
            client_writer.close()
            if task is not None:
                self._tasks.discard(task)


async def _copy_both_ways(
    *pairs: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    """Copy each reader to its writer; stop all when one side ends or fails."""
    copies = [asyncio.create_task(_copy(reader, writer)) for reader, writer in pairs]
    try:
        await asyncio.wait(copies, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for copy in copies:
            copy.cancel()
        await asyncio.gather(*copies, return_exceptions=True)


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, serialx.SerialException):
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
