"""The listener under asyncio's debug mode (Home Assistant's tests run their loop so)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
import ssl
from typing import Any

from ezlock_edge.api.listener import ConnectionLimits, Listener
from ezlock_edge.api.tls import load_or_create
from ezlock_edge.clock import ManualClock
from tests.support.waiting import eventually


class _ClosesTwice(asyncio.Protocol):
    """Closes its transport at once, twice (as a refusal, then the peer's hang-up)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()
        transport.close()


async def test_a_connection_closed_as_its_handshake_ends_leaves_no_error(
    tmp_path: Path,
) -> None:
    """CPython's debug path after the handshake raised from the closed transport.

    The accepting task died with AttributeError ("Task exception was never
    retrieved"), which failed a Home Assistant test at teardown.
    """
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    loop.set_debug(True)
    identity = load_or_create(tmp_path / "tls", "ezlock-test")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(identity.cert_path, identity.key_path)
    listener = Listener(_ClosesTwice, ManualClock(), server, ConnectionLimits())
    await listener.start("127.0.0.1", 0)
    client = ssl.create_default_context()
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    try:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", listener.port, ssl=client
        )
        assert await reader.read() == b""
        writer.close()
        await eventually(lambda: listener.open_connections == 0, "the slot freed")
        gc.collect()  # a task that died unretrieved reports it when collected
    finally:
        await listener.stop()
        loop.set_debug(False)
        loop.set_exception_handler(None)
    assert [context.get("message") for context in errors] == []
