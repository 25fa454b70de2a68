"""``path_floor``: what the credential path's processes and hops cost with no lock in them.

The floor of ``credential_to_ha`` (one WebSocket echo and one serial frame) is not what
this architecture can reach: a finger's way to Home Assistant crosses three processes,
five pty writes, two fsyncs and a TLS WebSocket message. ``benchmarks/skeleton.py`` does
exactly those hops with as little Python as does them; this process plays Home
Assistant's part (the press over the same kept connection as ``credential_to_ha``'s, a
WebSocket client over TLS). Samples run back to back, each once the one before is over
everywhere, like the credential samples. What the skeleton takes is what the lock's
own logic (parsing, decisions, the database, the API, the integration) cannot have.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from pathlib import Path
import ssl
import sys
import time
from typing import Any

from benchmarks import trace
from benchmarks.edge import installed_env
from benchmarks.skeleton import websocket_accept
from benchmarks.stats import latency, ratio
from ezlock_edge.api.certificate import generate

from .breakdown import medians, stage_times
from .floors import floor_ms
from .ha_timing import Sample
from .press import SimulatorConnection
from .scale import Scale

STAGES = (
    ("HTTP request to the simulator", "pressed", "sim_finger"),
    ("MCU event frame over a pty", "sim_finger", "skeleton_event"),
    ("round trip to the fingerprint module", "skeleton_event", "skeleton_identified"),
    ("fsync of a WAL frame", "skeleton_identified", "skeleton_synced"),
    ("UNLOCK round trip to the MCU", "skeleton_synced", "skeleton_unlocked"),
    ("fsync of a WAL frame (the commit)", "skeleton_unlocked", "skeleton_committed"),
    ("one WebSocket message over TLS", "skeleton_committed", "ha_event"),
)


class _WebSocketClient(asyncio.Protocol):
    """Home Assistant's end: a TLS WebSocket that notes when each message is whole."""

    def __init__(self) -> None:
        self.buffer = b""
        self.upgraded: asyncio.Future[bytes] = (
            asyncio.get_running_loop().create_future()
        )
        self.message: asyncio.Future[int] | None = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded.done():
            head, found, self.buffer = self.buffer.partition(b"\r\n\r\n")
            if found:
                self.upgraded.set_result(head)
            else:
                self.buffer = head
            return
        # Unmasked server frames: FIN + text, then a 16-bit length (the skeleton's).
        while len(self.buffer) >= 4:
            size = 4 + int.from_bytes(self.buffer[2:4])
            if len(self.buffer) < size:
                return
            self.buffer = self.buffer[size:]
            if self.message is not None and not self.message.done():
                self.message.set_result(time.perf_counter_ns())


async def _child(log: Path, *args: str) -> tuple[asyncio.subprocess.Process, Any]:
    """Start ``python -m benchmarks.skeleton ARGS``; its ready line."""
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.skeleton",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=installed_env(),
        )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    if not line:
        raise RuntimeError(f"skeleton did not start:\n{log.read_text()[-2000:]}")  # noqa: ASYNC240 -- it failed
    return process, json.loads(line)


async def bench_path_floor(tmp: Path, scale: Scale) -> dict[str, Any]:
    """``path_floor``: the skeleton's press -> message, next to the floor."""
    floor = await floor_ms(scale.samples)
    cert_pem, key_pem = generate("skeleton")  # the driver's kind of identity
    cert = tmp / "skeleton.pem"
    cert.write_bytes(cert_pem)
    cert.with_suffix(".key").write_bytes(key_pem)
    sim_trace, driver_trace = tmp / "sim-trace.json", tmp / "driver-trace.json"
    simulator, ports = await _child(
        tmp / "sim.log", "simulator", f"--trace={sim_trace}"
    )
    driver, listening = await _child(
        tmp / "driver.log",
        "driver",
        f"--trace={driver_trace}",
        f"--mcu={ports['mcu']}",
        f"--module={ports['module']}",
        f"--cert={cert}",
        f"--data={tmp}",
    )
    press = SimulatorConnection(ports["port"])
    transport: asyncio.BaseTransport | None = None
    samples: list[Sample] = []
    try:
        await press.open()
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # a skeleton: no pinning to check
        transport, client = await asyncio.get_running_loop().create_connection(
            _WebSocketClient, "127.0.0.1", listening["port"], ssl=context
        )
        assert isinstance(transport, asyncio.Transport)
        key = base64.b64encode(os.urandom(16))
        transport.write(
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: " + key + b"\r\n\r\n"
        )
        head = await asyncio.wait_for(client.upgraded, 10)
        if websocket_accept(key) not in head:
            raise RuntimeError(f"the skeleton's driver refused the WebSocket: {head!r}")
        for _ in range(scale.samples):
            client.message = asyncio.get_running_loop().create_future()
            pressed = press.send(press.encode("POST", "finger", {"id": "skeleton"}))
            received = await asyncio.wait_for(client.message, 10)
            samples.append(Sample(pressed, received, received))
            await press.answer()
    finally:
        press.close()
        if transport is not None:
            transport.close()
        for process in (driver, simulator):
            process.terminate()
            await process.wait()
    marks = sorted(trace.load(sim_trace) + trace.load(driver_trace), key=lambda m: m[1])
    summary = latency([sample.seconds for sample in samples])
    return {
        "path_floor": {
            "measured": "the skeleton's press request -> its WebSocket message",
            **summary,
            "floor_ms": round(floor, 3),
            "p50_over_floor": ratio(summary["p50_ms"], floor),
            "p99_over_floor": ratio(summary["p99_ms"], floor),
            "stages_p50_ms": medians(stage_times(samples, marks, STAGES)),
        }
    }
