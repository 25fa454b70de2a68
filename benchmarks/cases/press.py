"""The benchmark's hand at the simulated lock: a press that costs the sample nothing of its own.

``credential_to_ha`` times a sample from the benchmark's request for a finger press
to Home Assistant's event. That request used to be an aiohttp call made from Home
Assistant's loop right after the relock returned, while the loop still handled the
relock's trailing messages and the driver was still storing them: about 0.5 ms of
every sample went by before the simulator even had the request, none of it the lock's.

Now a sample begins only once the relock is over on every side (:meth:`Press.settle`:
the simulated MCU holds no unacknowledged event, so the driver stored and announced
all of it; Home Assistant has handled every event the driver logged and shows the
driver's bolt; its tasks are done), and its clock starts right before one
non-blocking ``send`` of a request encoded beforehand, on a keep-alive connection
opened beforehand (:meth:`Press.finger`). The answer is read after the sample, so no
client code runs inside it. What is measured end to end is unchanged: from the
request to the simulator's ``/sim/v1`` to the event in Home Assistant.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import h11
from homeassistant.core import HomeAssistant, callback

from benchmarks.edge import FINGER
from benchmarks.hass import PairedLock
from ezlock_edge.sim.errors import SimulationError


class SimulatorConnection:
    """One keep-alive HTTP/1.1 connection to a simulator's ``/sim/v1`` (h11, no client library)."""

    def __init__(self, port: int) -> None:
        """Talk to the simulator listening on loopback ``port`` (:meth:`open` first)."""
        self._port = port
        self._http = h11.Connection(h11.CLIENT)
        self._socket: socket.socket | None = None

    async def open(self) -> None:
        """Connect (non-blocking, no Nagle: a request goes out in one segment)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await asyncio.get_running_loop().sock_connect(
                sock, ("127.0.0.1", self._port)
            )
        except BaseException:
            sock.close()
            raise
        self._socket = sock

    def close(self) -> None:
        """Close the connection."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def encode(self, method: str, action: str, body: dict[str, Any] | None) -> bytes:
        """Return the bytes of one request (the next on this connection)."""
        if self._http.our_state is h11.DONE and self._http.their_state is h11.DONE:
            self._http.start_next_cycle()
        data = json.dumps(body).encode() if body is not None else b""
        headers = [("Host", f"127.0.0.1:{self._port}")]
        if body is not None:
            headers.append(("Content-Type", "application/json"))
        headers.append(("Content-Length", str(len(data))))
        request = h11.Request(
            method=method, target=f"/sim/v1/{action}", headers=headers
        )
        encoded = self._http.send(request) or b""
        if data:
            encoded += self._http.send(h11.Data(data=data)) or b""
        return encoded + (self._http.send(h11.EndOfMessage()) or b"")

    def send(self, request: bytes) -> int:
        """Send ``request`` at once; return when it was sent (``perf_counter_ns``).

        One ``send`` on a connection whose buffer is empty takes a request this small
        whole; if it did not, the sample is not what it claims to be.
        """
        assert self._socket is not None, "open() first"
        started = time.perf_counter_ns()
        sent = self._socket.send(request)
        if sent != len(request):
            raise RuntimeError(f"the press went out in part ({sent} of {len(request)})")
        return started

    async def answer(self) -> Any:
        """Read the answer to the request sent; its JSON body (400s raise)."""
        assert self._socket is not None, "open() first"
        loop = asyncio.get_running_loop()
        status, body = 0, b""
        while True:
            event = self._http.next_event()
            if event is h11.NEED_DATA:
                self._http.receive_data(await loop.sock_recv(self._socket, 65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("the simulator closed the connection")
        result = json.loads(body) if body else None
        if status != 200:
            raise SimulationError(f"simulator answered {status}: {result}")
        return result

    async def request(
        self, method: str, action: str, body: dict[str, Any] | None = None
    ) -> Any:
        """Send one request and read its answer."""
        self.send(self.encode(method, action, body))
        return await self.answer()


class Press:
    """Lay the enrolled finger on one lock's reader, once the lock is at rest."""

    def __init__(self, hass: HomeAssistant, lock: PairedLock) -> None:
        """For ``lock`` as paired with ``hass`` (:meth:`open` first)."""
        self._hass = hass
        self._lock = lock
        self._simulator = SimulatorConnection(lock.edge.sim_port)
        self._coordinator = lock.entry.runtime_data
        self._moved = asyncio.Event()
        self._removers: list[Any] = []

    async def open(self) -> None:
        """Connect to the simulator; follow what Home Assistant hears of the lock."""
        await self._simulator.open()

        @callback
        def moved(*_: Any) -> None:
            self._moved.set()

        self._removers = [
            self._coordinator.async_add_listener(moved),
            self._coordinator.async_add_event_listener(moved),
        ]

    def close(self) -> None:
        """Stop following; close the connection."""
        for remove in self._removers:
            remove()
        self._removers = []
        self._simulator.close()

    async def settle(self, patience: float = 10) -> None:
        """Return once the last operation is over everywhere (a condition, no sleep).

        The driver acknowledges the MCU's events once they are stored and announced,
        so the simulated MCU holding none unacknowledged means the driver is done with
        them; then Home Assistant has handled every event the driver has logged, shows
        its bolt, and has no task left running.
        """
        async with asyncio.timeout(patience):
            while True:
                panel = await self._simulator.request("GET", "panel")
                if not panel["links"]["mcu"]["unacknowledged_events"]:
                    break
            state = await self._lock.edge.api("GET", "/state")
            coordinator = self._coordinator
            while (coordinator.last_seq or 0) < state["last_seq"] or str(
                coordinator.data.bolt
            ) != state["bolt"]:
                self._moved.clear()
                await self._moved.wait()
            await self._hass.async_block_till_done()

    def finger(self) -> int:
        """Press (after :meth:`settle`); returns when the request went out (ns).

        The request is encoded first; the clock starts at its ``send``.
        """
        return self._simulator.send(
            self._simulator.encode("POST", "finger", {"id": FINGER})
        )

    async def answered(self) -> None:
        """Read the simulator's answer to the press (after the sample)."""
        await self._simulator.answer()
