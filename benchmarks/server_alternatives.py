"""``python -m benchmarks.server_alternatives``: what a lighter API server would save.

Not part of ``python -m benchmarks`` (it installs h11 and wsproto, which ezlock does not
depend on). Two minimal servers do the same small job, each in a venv of its own with
only what it needs: HTTPS on loopback, one JSON route and one WebSocket route that
echoes. One is aiohttp.web, as the driver's API server (from the lock's venv: the edge
package's own dependencies); the other asyncio streams with h11 (HTTP/1.1) and wsproto
(WebSocket), both well-kept sans-I/O libraries. Each is measured idle (listening), then
after three GETs and a WebSocket that echoed three messages and stays open. Prints JSON.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
from typing import Any

import aiohttp

from ezlock_edge.api.certificate import generate

from .installed import lock_venv
from .stats import load, memory_kib

IDLE_S = 1.0
_SERVE = """
import asyncio, ssl, sys

def context():
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    return context
"""
AIOHTTP_SERVER = (
    _SERVE
    + """
from aiohttp import web

async def info(request):
    return web.json_response({"serial": "X", "ok": True})

async def ws(request):
    socket = web.WebSocketResponse(heartbeat=20)
    await socket.prepare(request)
    async for message in socket:
        await socket.send_str(message.data)
    return socket

async def main():
    app = web.Application()
    app.router.add_get("/api/v1/info", info)
    app.router.add_get("/api/v1/ws", ws)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context())
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""
)
H11_SERVER = (
    _SERVE
    + """
import json
import h11
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

async def websocket(reader, writer, handshake):
    connection = WSConnection(ConnectionType.SERVER)
    connection.receive_data(handshake)
    while True:
        for event in connection.events():
            if isinstance(event, Request):
                writer.write(connection.send(AcceptConnection()))
            elif isinstance(event, TextMessage):
                writer.write(connection.send(TextMessage(data=event.data)))
            elif isinstance(event, CloseConnection):
                writer.write(connection.send(event.response()))
                writer.close()
                return
        data = await reader.read(65536)
        if not data:
            return
        connection.receive_data(data)

async def serve(reader, writer):
    connection = h11.Connection(h11.SERVER)
    received = b""
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            received += data
            connection.receive_data(data)
        elif isinstance(event, h11.Request):
            if dict(event.headers).get(b"upgrade", b"").lower() == b"websocket":
                return await websocket(reader, writer, received)
            body = json.dumps({"serial": "X", "ok": True}).encode()
            headers = [("content-type", "application/json"),
                       ("content-length", str(len(body)))]
            writer.write(connection.send(h11.Response(status_code=200, headers=headers)))
            writer.write(connection.send(h11.Data(data=body)))
            writer.write(connection.send(h11.EndOfMessage()))
            await writer.drain()
            received = b""
        elif isinstance(event, h11.EndOfMessage):
            if connection.our_state is h11.MUST_CLOSE:
                writer.close()
                return
            connection.start_next_cycle()
        else:
            writer.close()
            return

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context())
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""
)


def _h11_venv(root: Path) -> Path:
    """Make a venv holding h11 and wsproto only."""
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv is needed to install h11 and wsproto")
    venv = root / "h11-venv"
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True
    )
    install = [uv, "pip", "install", "--quiet", "--compile-bytecode"]
    python = str(venv / "bin" / "python")
    subprocess.run(
        [*install, "--python", python, "h11>=0.16", "wsproto>=1.2"], check=True
    )
    return venv


async def _measure(python: Path, script: Path, cert: Path, key: Path) -> dict[str, Any]:
    """Run one server, read its RSS idle and in use (a WebSocket held open)."""
    server = await asyncio.create_subprocess_exec(
        python,
        script,
        str(cert),
        str(key),
        stdout=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert server.stdout is not None
    try:
        port = int(await asyncio.wait_for(server.stdout.readline(), 30))
        await asyncio.sleep(IDLE_S)
        idle = memory_kib(server.pid)["rss_kib"]
        base = f"https://127.0.0.1:{port}/api/v1"
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                async with session.get(f"{base}/info", ssl=False) as response:
                    assert (await response.json())["ok"]
            async with session.ws_connect(f"{base}/ws", ssl=False) as socket:
                for _ in range(3):
                    await socket.send_str("echo")
                    assert (await socket.receive()).data == "echo"
                await asyncio.sleep(IDLE_S)
                in_use = memory_kib(server.pid)["rss_kib"]
        return {"idle_rss_kib": idle, "in_use_rss_kib": in_use}
    finally:
        server.terminate()
        await server.wait()


async def _main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ezlock-bench-servers-") as tmp:
        root = Path(tmp)
        cert_pem, key_pem = generate("ezlock-bench")
        cert, key = root / "cert.pem", root / "key.pem"
        cert.write_bytes(cert_pem)
        key.write_bytes(key_pem)
        servers = {
            "aiohttp_web": (lock_venv(root), AIOHTTP_SERVER),
            "h11_wsproto": (_h11_venv(root), H11_SERVER),
        }
        results: dict[str, Any] = {"load_before": load()}
        for name, (venv, source) in servers.items():
            script = root / f"{name}.py"
            script.write_text(source)
            results[name] = await _measure(venv / "bin" / "python", script, cert, key)
        results["load_after"] = load()
        return results


def main() -> None:
    """Print the two servers' figures as JSON."""
    sys.stdout.write(json.dumps(asyncio.run(_main()), indent=2) + "\n")


if __name__ == "__main__":
    main()
