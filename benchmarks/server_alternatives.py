"""``python -m benchmarks.server_alternatives``: the record of the API server's choice.

Not part of ``python -m benchmarks`` (it installs servers ezlock does not depend on).
The same minimal job on each candidate, each in a venv of its own holding only what it
needs: HTTPS on loopback, one JSON route and one WebSocket route that echoes. Each is
measured idle (listening), then after three GETs and a WebSocket that echoed three
messages and stays open. Prints JSON.

- ``aiohttp_web``: what the driver's API ran on until issue #18;
- ``uvicorn_h11_wsproto`` and ``hypercorn``: ASGI servers on the same sans-I/O
  libraries (a tiny ASGI app);
- ``h11_wsproto``: asyncio streams with h11 and wsproto, no server code to speak of;
- ``ezlock_edge_http``: the driver's own layer (``ezlock_edge.http``) from the lock's
  venv, as the API now runs.
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
_ASGI_APP = """
import json

async def app(scope, receive, send):
    if scope["type"] == "http":
        await receive()
        body = json.dumps({"serial": "X", "ok": True}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        while (message := await receive())["type"] != "websocket.disconnect":
            await send({"type": "websocket.send", "text": message.get("text")})
"""
UVICORN_SERVER = (
    _SERVE
    + _ASGI_APP
    + """
import socket
import uvicorn

async def main():
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    config = uvicorn.Config(
        app, http="h11", ws="wsproto", lifespan="off", log_level="warning",
        ssl_certfile=sys.argv[1], ssl_keyfile=sys.argv[2],
    )
    print(listening.getsockname()[1], flush=True)
    await uvicorn.Server(config).serve(sockets=[listening])

asyncio.run(main())
"""
)
HYPERCORN_SERVER = (
    _SERVE
    + _ASGI_APP
    + """
import socket
from hypercorn.asyncio import serve
from hypercorn.config import Config

async def main():
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    config = Config()
    config.certfile, config.keyfile = sys.argv[1], sys.argv[2]
    config.bind = [f"fd://{listening.fileno()}"]
    config.accesslog = config.errorlog = None
    print(listening.getsockname()[1], flush=True)
    await serve(app, config)

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
EZLOCK_SERVER = (
    _SERVE
    + """
from ezlock_edge.http.messages import Response, json_response
from ezlock_edge.http.server import Connections

async def handle(request):
    if request.path == "/api/v1/ws":
        socket = await request.websocket(heartbeat=20)
        async for message in socket:
            socket.send_text(message)
        return Response(101)
    return json_response({"serial": "X", "ok": True})

async def main():
    connections = Connections(handle)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        connections.factory(), "127.0.0.1", 0, ssl=context()
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""
)
# Each candidate: what its venv installs (None: the lock's own venv) and its script.
SERVERS: dict[str, tuple[tuple[str, ...] | None, str]] = {
    "aiohttp_web": (("aiohttp>=3.11,<4",), AIOHTTP_SERVER),
    "uvicorn_h11_wsproto": (("uvicorn", "h11>=0.16", "wsproto>=1.2"), UVICORN_SERVER),
    "hypercorn": (("hypercorn",), HYPERCORN_SERVER),
    "h11_wsproto": (("h11>=0.16", "wsproto>=1.2"), H11_SERVER),
    "ezlock_edge_http": (None, EZLOCK_SERVER),
}


def _venv(root: Path, name: str, packages: tuple[str, ...]) -> Path:
    """Make a venv holding ``packages`` only."""
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv is needed to install the servers")
    venv = root / f"{name}-venv"
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True
    )
    install = [uv, "pip", "install", "--quiet", "--compile-bytecode"]
    python = str(venv / "bin" / "python")
    subprocess.run([*install, "--python", python, *packages], check=True)
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
        results: dict[str, Any] = {"load_before": load()}
        for name, (packages, source) in SERVERS.items():
            venv = lock_venv(root) if packages is None else _venv(root, name, packages)
            script = root / f"serve_{name}.py"  # not named like a package it imports
            script.write_text(source)
            results[name] = await _measure(venv / "bin" / "python", script, cert, key)
        results["load_after"] = load()
        return results


def main() -> None:
    """Print the servers' figures as JSON."""
    sys.stdout.write(json.dumps(asyncio.run(_main()), indent=2) + "\n")


if __name__ == "__main__":
    main()
