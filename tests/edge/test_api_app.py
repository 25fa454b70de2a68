"""The embedded edge driver (``EdgeApp``): data directory, TLS identity, clean stop."""

from __future__ import annotations

import os
from pathlib import Path
import stat

import aiohttp
import pytest
from zeroconf.asyncio import AsyncZeroconf

from ezlock_edge.api.discovery import SERVICE_TYPE
from ezlock_edge.app import KIND_FILE, EdgeApp, EdgeOptions, StartRefusedError
from ezlock_edge.clock import ManualClock
from ezlock_edge.config import Config, HardwarePorts
from ezlock_edge.sim.lock import SimulatedLock
from tests.support.lock import create_first_admin, sim_of
from tests.support.waiting import eventually

from .api_support import client_for, pair, running_edge


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_private_data_and_a_stable_certificate(tmp_path: Path) -> None:
    clock = ManualClock()
    async with running_edge(tmp_path, clock) as edge:
        first = edge.tls_fingerprint
        serial = edge.core.info.serial
        assert edge.url.startswith("https://127.0.0.1:")
    assert _mode(tmp_path) == 0o700
    assert _mode(tmp_path / "tls" / "key.pem") == 0o600
    # A restart keeps the lock's identity: paired clients keep trusting it.
    async with running_edge(tmp_path, clock) as edge:
        assert edge.tls_fingerprint == first
        assert edge.core.info.serial == serial


async def test_plain_http_for_development(tmp_path: Path) -> None:
    async with running_edge(tmp_path, ManualClock(), tls=False) as edge:
        assert edge.url.startswith("http://")
        assert edge.tls_fingerprint is None
        async with client_for(edge) as api:
            info = (await api.call("GET", "/info")).body
            assert info["tls_fingerprint"] is None


async def test_https_refuses_another_certificate(tmp_path: Path) -> None:
    async with running_edge(tmp_path, ManualClock()) as edge:
        wrong = aiohttp.Fingerprint(bytes(32))
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ServerFingerprintMismatch):
                await session.get(f"{edge.url}/api/v1/info", ssl=wrong)


async def test_stopping_leaves_the_bolt_alone(tmp_path: Path) -> None:
    """SIGTERM and stop() must not move the door's bolt, whatever its state."""
    clock = ManualClock()
    sim = SimulatedLock(clock=clock, motor_travel=0.0, state_dir=tmp_path / "sim")
    await sim.start()
    try:
        async with running_edge(tmp_path / "edge", clock, sim=sim) as edge:
            await create_first_admin(sim_of(edge))
            async with client_for(edge) as api:
                await pair(api)
                await api.call("PATCH", "/settings", {"remote_unlock_enabled": True})
                assert (await api.call("POST", "/unlock")).status == 202

                async def unlocked() -> bool:
                    await sim.clock(advance=0.1)
                    return bool(edge.core.state.as_dict()["bolt"] == "unlocked")

                await eventually(unlocked, "unlocked")
        assert sim.running
        assert (await sim.panel())["bolt"] == "unlocked"
        # The simulator outlived the edge driver that did not own it.
    finally:
        await sim.stop()


async def test_a_failed_start_stops_what_started(tmp_path: Path) -> None:
    blocker = tmp_path / "two"
    async with running_edge(tmp_path / "one", ManualClock()) as edge:
        options = EdgeOptions(
            data_dir=blocker, port=edge.port, clock=ManualClock(), simulate=True
        )
        second = EdgeApp(options)
        with pytest.raises(OSError):
            await second.start()
        assert second.sim is None
        with pytest.raises(RuntimeError):
            _ = second.core


async def test_zeroconf_advertises_the_pinned_fingerprint(tmp_path: Path) -> None:
    edge = EdgeApp(
        EdgeOptions(
            data_dir=tmp_path, clock=ManualClock(), simulate=True, zeroconf=True
        )
    )
    await edge.start()
    port, fingerprint = edge.port, edge.tls_fingerprint
    browser = AsyncZeroconf(interfaces=["127.0.0.1"])
    try:
        name = f"ezlock-{edge.core.info.serial}.{SERVICE_TYPE}"
        info = await browser.async_get_service_info(SERVICE_TYPE, name, timeout=3000)
    finally:
        await browser.async_close()
        await edge.stop()
    assert info is not None
    assert info.port == port
    assert info.decoded_properties["fp"] == fingerprint
    assert info.decoded_properties["api"] == "1"


def test_options_from_config(tmp_path: Path) -> None:
    ports = HardwarePorts("/dev/a", "/dev/b", "/dev/c", "/dev/d")
    options = EdgeOptions.from_config(
        Config(data_dir=tmp_path, port=9000, insecure_http=True, hardware=ports)
    )
    assert (options.port, options.tls, options.hardware) == (9000, False, ports)
    assert options.sim_http_port is None
    simulated = EdgeOptions.from_config(
        Config(data_dir=tmp_path, sim_port=9100, simulate=True)
    )
    assert (simulated.sim_http_port, simulated.zeroconf) == (9100, True)
    assert simulated.simulate


async def test_no_simulated_lock_unless_asked_for(tmp_path: Path) -> None:
    """Issue #11.1: no ports and no ``simulate`` is a refusal, not a quiet simulator."""
    edge = EdgeApp(EdgeOptions(data_dir=tmp_path / "data", clock=ManualClock()))
    with pytest.raises(StartRefusedError, match="simulated lock was not asked for"):
        await edge.start()
    assert not (tmp_path / "data").exists()
    assert edge.sim is None


async def test_a_data_directory_keeps_its_kind(tmp_path: Path) -> None:
    """Issue #11.1: real and simulated hardware never share a data directory."""
    clock = ManualClock()
    sim = SimulatedLock(clock=clock, motor_travel=0.0, state_dir=tmp_path / "sim")
    await sim.start()
    try:
        ports = HardwarePorts(**{link: str(path) for link, path in sim.ports.items()})
        real = EdgeApp(
            EdgeOptions(data_dir=tmp_path / "real", clock=clock, hardware=ports)
        )
        await real.start()
        await real.stop()
        assert (tmp_path / "real" / KIND_FILE).read_text() == "real\n"
        assert _mode(tmp_path / "real" / KIND_FILE) == 0o600
        simulated = EdgeApp(
            EdgeOptions(data_dir=tmp_path / "real", clock=clock, simulate=True)
        )
        with pytest.raises(StartRefusedError, match="belongs to the real lock"):
            await simulated.start()
        assert simulated.sim is None  # refused before a simulator was started
        async with running_edge(tmp_path / "simulated", clock):
            pass
        # A data directory from before the marker, holding the simulator's state.
        (tmp_path / "legacy" / "simulator").mkdir(parents=True)
        for data_dir in (tmp_path / "simulated", tmp_path / "legacy"):
            real = EdgeApp(EdgeOptions(data_dir=data_dir, clock=clock, hardware=ports))
            with pytest.raises(
                StartRefusedError, match="belongs to the simulated lock"
            ):
                await real.start()
            assert not (data_dir / "lock.db").exists() or data_dir.name == "simulated"
    finally:
        await sim.stop()


async def test_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    """Issue #11.8: database, WAL, keys and certificate 0600, directories 0700."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)  # an existing, world-readable directory is tightened
    previous = os.umask(0o022)
    try:
        async with running_edge(data_dir, ManualClock()) as edge:
            await create_first_admin(sim_of(edge))
            assert (data_dir / "lock.db-wal").exists()
            assert (data_dir / "lock.db-shm").exists()
            modes = {
                str(path.relative_to(data_dir)): _mode(path)
                for path in data_dir.rglob("*")
                if "simulator" not in path.relative_to(data_dir).parts
            }
    finally:
        os.umask(previous)
    assert _mode(data_dir) == 0o700
    expected = {name: 0o700 if (data_dir / name).is_dir() else 0o600 for name in modes}
    assert modes == expected
    assert {"lock.db", "lock.db-wal", "tls/cert.pem", "tls/key.pem", "device.key"} <= (
        set(modes)
    )
