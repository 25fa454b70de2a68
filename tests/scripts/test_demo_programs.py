"""The demo's programs on ports they choose themselves: no port picked and released.

A port picked by binding port 0 and closing it can be taken by a parallel run before the
child binds it. The edge driver binds port 0 itself and the demo reads its ports from
the driver's own log, in either log format; Home Assistant's port is held for it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import socket

import aiohttp
import pytest

from ezlock_edge.sim.remote import RemoteSimulatedLock
from scripts.demo.programs import edge_ports, held_port, start_edge
from tests.support.waiting import WAIT


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_the_edge_driver_on_port_0_is_found_from_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_format: str
) -> None:
    monkeypatch.setenv("EZLOCK_LOG_FORMAT", log_format)
    (tmp_path / "edge").mkdir()
    edge = await start_edge(tmp_path, 0, 0, "manual")
    try:
        api, sim = await edge_ports(edge, WAIT)
        async with aiohttp.ClientSession() as http:
            label = await RemoteSimulatedLock(http, f"http://127.0.0.1:{sim}").look(
                "label"
            )
            assert label["verification_code"]
            info = f"https://127.0.0.1:{api}/api/v1/info"
            async with http.get(info, ssl=False) as reply:
                assert reply.status == 200
    finally:
        await edge.stop()
    assert edge.process.returncode == 0, edge.log.read_text()


async def test_a_held_port_is_free_for_home_assistant_alone() -> None:
    with held_port(0) as port:
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", port))
        # Home Assistant's HTTP server binds as asyncio's create_server does.
        server = await asyncio.get_running_loop().create_server(
            asyncio.Protocol, "127.0.0.1", port
        )
        server.close()
        await server.wait_closed()


def test_a_port_given_is_used_as_it_is() -> None:
    with held_port(8123) as port:
        assert port == 8123
