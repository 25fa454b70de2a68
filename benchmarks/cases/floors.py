"""The floors a latency is measured against: a bare WebSocket round trip, one serial frame."""

from __future__ import annotations

import time

import aiohttp
from aiohttp import web

from benchmarks.stats import latency
from ezlock_edge.devices.mcu import BAUDRATE as MCU_BAUD
from ezlock_edge.framing.mcu import McuFrame, MessageType

BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit


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
    port = runner.addresses[0][1]
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
    await runner.cleanup()
    return timings


def serial_frame_s() -> float:
    """One MCU event frame on the wire at the link's baud rate."""
    frame = McuFrame(MessageType.EVENT, 1, bytes(7)).encode()  # a key event
    return len(frame) * BITS_PER_BYTE / MCU_BAUD


async def floor_ms(samples: int) -> float:
    """Return the credential-to-HA floor: a WebSocket round trip plus a serial frame."""
    ws = latency(await websocket_round_trip_floor(samples))["p50_ms"]
    return ws + serial_frame_s() * 1000
