"""The floors a latency is measured against: a bare WebSocket round trip, one serial frame.

The floor's WebSocket echo is aiohttp.web's, as it was when the floor was defined (the
driver's API then served on aiohttp.web). The driver now serves on its own h11 +
wsproto server (``ezlock_edge.http``); the same bare echo on that server is measured
beside it and reported (``floor_parts``), the floor itself unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import time

import aiohttp
from aiohttp import web

from benchmarks.stats import latency
from ezlock_edge.devices.mcu import BAUDRATE as MCU_BAUD
from ezlock_edge.framing.mcu import McuFrame, MessageType
from ezlock_edge.http.messages import Response
from ezlock_edge.http.request import Request
from ezlock_edge.http.server import serve

BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit


async def _echo_times(port: int, samples: int) -> list[float]:
    """Time ``samples`` echoes of a small text message by ``ws://127.0.0.1:port/``."""
    timings = []
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"http://127.0.0.1:{port}/") as socket,
    ):
        for _ in range(samples):
            started = time.perf_counter()
            await socket.send_str('{"type":"event"}')
            await socket.receive()
            timings.append(time.perf_counter() - started)
    return timings


async def driver_server_round_trip(samples: int) -> list[float]:
    """Time the same bare echo on the driver's own server (h11 + wsproto)."""

    async def echo(request: Request) -> Response:
        socket = await request.websocket()
        async for message in socket:
            socket.send_text(message if isinstance(message, str) else message.decode())
        await socket.close()
        return Response(101)

    server = await serve(echo, "127.0.0.1", 0)
    try:
        return await _echo_times(server.port, samples)
    finally:
        await server.close()


async def websocket_round_trip_floor(samples: int) -> list[float]:
    """Time a bare aiohttp WebSocket echo on loopback: the cheapest push possible."""

    async def echo(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async for message in socket:
            await socket.send_str(message.data)
        return socket

    app = web.Application()
    app.router.add_get("/", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        return await _echo_times(runner.addresses[0][1], samples)
    finally:
        await runner.cleanup()


def serial_frame_s() -> float:
    """One MCU event frame on the wire at the link's baud rate."""
    frame = McuFrame(MessageType.EVENT, 1, bytes(7)).encode()  # a key event
    return len(frame) * BITS_PER_BYTE / MCU_BAUD


async def floor_ms(samples: int) -> float:
    """Return the credential-to-HA floor: a WebSocket round trip plus a serial frame."""
    ws = latency(await websocket_round_trip_floor(samples))["p50_ms"]
    return ws + serial_frame_s() * 1000


async def floor_parts(samples: int) -> dict[str, float]:
    """Return the floor's parts and the echo on the driver's server (p50s, ms).

    The two echoes are interleaved in rounds, so that a drift of the machine's speed
    during the run weighs on both alike.
    """
    rounds = 5
    echoes: dict[str, list[float]] = {"aiohttp": [], "driver": []}
    measures: dict[str, Callable[[int], Awaitable[list[float]]]] = {
        "aiohttp": websocket_round_trip_floor,
        "driver": driver_server_round_trip,
    }
    for _ in range(rounds):
        for name, measure in measures.items():
            echoes[name] += await measure(max(2, samples // rounds))
    return {
        "websocket_echo_aiohttp_web_ms": latency(echoes["aiohttp"])["p50_ms"],
        "websocket_echo_driver_server_ms": latency(echoes["driver"])["p50_ms"],
        "serial_frame_ms": round(serial_frame_s() * 1000, 3),
    }
