"""The simulator's control surface: /sim/v1 over loopback HTTP and `ezlock-edge sim`."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from pathlib import Path
import socket

import aiohttp
import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.sim.cli import add_sim_parser, run_sim_command
from ezlock_edge.sim.errors import SimulationError, UnknownActionError
from ezlock_edge.sim.http import start_http
from ezlock_edge.sim.lock import SimulatedLock


@pytest.fixture
async def lock(tmp_path: Path) -> AsyncIterator[SimulatedLock]:
    lock = SimulatedLock(clock=ManualClock(), seed=5, state_dir=tmp_path)
    await lock.start()
    yield lock
    await lock.stop()


@pytest.fixture
async def base_url(lock: SimulatedLock) -> AsyncIterator[str]:
    server = await start_http(lock, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.port}/sim/v1"
    await server.close()


async def _post(url: str, body: object) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body) as response,
    ):
        return response.status, await response.json()


async def _get(url: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


@pytest.mark.parametrize(
    "host",
    ["0.0.0.0", "192.168.1.20", "::", "example.com"],  # noqa: S104
)
async def test_refuses_to_listen_beyond_loopback(
    lock: SimulatedLock, host: str
) -> None:
    with pytest.raises(ValueError, match="loopback"):
        await start_http(lock, host, 0)


async def test_actions_change_the_lock_and_label_reads_the_sticker(
    lock: SimulatedLock, base_url: str
) -> None:
    """L-64: the sticker is what the lock announces; actions act on the real lock."""
    assert await _post(f"{base_url}/door", {"state": "open"}) == (200, {"ok": True})
    status, panel = await _get(f"{base_url}/panel")
    assert status == 200
    assert panel["door"] == "open"
    assert panel["bolt"] == "unlocked"  # the inside handle retracted the bolt
    status, label = await _get(f"{base_url}/label")
    assert status == 200
    assert label["serial"] == lock.info.serial
    assert label["verification_code"] == lock.info.verification_code


@pytest.mark.parametrize(
    ("action", "body", "status"),
    [
        ("door", {"state": "ajar"}, 400),
        ("door", {}, 400),
        ("battery", {"percent": 140}, 400),
        ("battery", {"percent": "lots"}, 400),
        ("keypad", {"keys": ["1", "star"]}, 400),
        ("finger", {"id": ""}, 400),
        ("noise", {"link": "usb", "rate": 0.1}, 400),
        ("lock_button", {"force": True}, 400),
        ("fly", {}, 404),
    ],
)
async def test_bad_input_gets_a_json_error(
    base_url: str, action: str, body: object, status: int
) -> None:
    got_status, answer = await _post(f"{base_url}/{action}", body)
    assert got_status == status
    assert isinstance(answer["error"], str) and answer["error"]


async def test_non_json_and_non_object_bodies_are_refused(base_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{base_url}/door", data="{", headers={"Content-Type": "application/json"}
        ) as response:
            assert response.status == 400
        async with session.post(f"{base_url}/door", json=["open"]) as response:
            assert response.status == 400
        async with session.post(f"{base_url}/lock_button", data="x=1") as response:
            assert response.status == 415  # a browser form cannot drive the lock
        async with session.get(f"{base_url}/door") as response:
            assert response.status == 405
        async with session.post(
            f"{base_url}/lock_button", json={}, headers={"Host": "evil.example"}
        ) as response:
            assert response.status == 403  # DNS rebinding


async def test_string_values_are_accepted_as_the_cli_sends_them(
    lock: SimulatedLock, base_url: str
) -> None:
    assert (await _post(f"{base_url}/battery", {"percent": "15"}))[0] == 200
    assert (await _post(f"{base_url}/emergency_power", {"connected": "yes"}))[0] == 200
    panel = await lock.panel()
    assert panel["battery_percent"] == 15
    assert panel["low_battery"]
    assert panel["emergency_power"]


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ezlock-edge")
    add_sim_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["sim", *argv])


async def test_cli_sends_actions_to_the_running_simulator(
    lock: SimulatedLock, base_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    port = base_url.split(":")[2].split("/", maxsplit=1)[0]
    args = _parse("--sim-port", port, "keypad", "keys=1,2,confirm")
    assert args.fields == [("keys", "1,2,confirm")]
    assert await run_sim_command(args) == 0
    assert (await lock.panel())["awake"]

    assert await run_sim_command(_parse("--sim-port", port, "label")) == 0
    assert lock.info.serial in capsys.readouterr().out

    assert await run_sim_command(_parse("--sim-port", port, "door", "state=ajar")) == 1
    assert "door" in capsys.readouterr().err


async def test_cli_reports_a_missing_simulator(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A port bound and never listened on: refused for as long as the test holds it.
    with socket.socket() as unserved:
        unserved.bind(("127.0.0.1", 0))
        port = unserved.getsockname()[1]
        assert await run_sim_command(_parse("--sim-port", str(port), "panel")) == 2
    assert "no simulator" in capsys.readouterr().err


def test_cli_refuses_malformed_fields() -> None:
    with pytest.raises(SystemExit):
        _parse("door", "open")


async def test_the_front_panel_page_is_served_beside_the_api(base_url: str) -> None:
    root = base_url.removesuffix("/sim/v1")
    async with aiohttp.ClientSession() as session, session.get(f"{root}/") as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


async def test_handle_validates_then_acts(lock: SimulatedLock) -> None:
    """The generic entry point the HTTP surface and the CLI share."""
    assert await lock.handle("keypad", {"keys": "1,confirm"}) == {"ok": True}
    assert (await lock.handle("panel", {}))["awake"]
    with pytest.raises(UnknownActionError):
        await lock.handle("teleport", {})
    with pytest.raises(SimulationError, match="keypad"):
        await lock.handle("keypad", {"keys": ["star"]})
    stopped = SimulatedLock()
    with pytest.raises(SimulationError, match="not running"):
        await stopped.handle("door", {"state": "open"})
