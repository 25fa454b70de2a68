"""``ezlock-edge``: the daemon as a process (run, info, sim, SIGTERM) and its options."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
import os
from pathlib import Path
import signal
import socket
import sys

import aiohttp
import pytest

from ezlock_edge.cli import _print_info, build_parser, fetch_info, main
from ezlock_edge.config import build

STARTUP = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ezlock_edge",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(STARTUP):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def daemon(
    tmp_path: Path,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, int, int]]:
    """``ezlock-edge run --simulate`` as a real process."""
    port, sim_port = _free_port(), _free_port()
    env = {**os.environ, "EZLOCK_LOG_FORMAT": "json"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ezlock_edge",
        "run",
        "--simulate",
        "--data-dir",
        str(tmp_path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--sim-port",
        str(sim_port),
        "--no-zeroconf",
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await _wait_until_serving(port)
        yield process, port, sim_port
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _wait_until_serving(port: int) -> None:
    async with aiohttp.ClientSession() as session, asyncio.timeout(STARTUP):
        while True:
            try:
                async with session.get(
                    f"https://127.0.0.1:{port}/api/v1/info", ssl=False
                ) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)


async def test_run_info_sim_and_sigterm(
    daemon: tuple[asyncio.subprocess.Process, int, int], tmp_path: Path
) -> None:
    process, port, sim_port = daemon
    code, out, _ = await _cli(
        "info", "--data-dir", str(tmp_path), "--port", str(port), "--json"
    )
    assert code == 0, out
    info = json.loads(out)
    certificate = (tmp_path / "tls" / "key.pem").stat()
    assert certificate.st_mode & 0o077 == 0
    assert len(info["tls_fingerprint"]) == 64
    code, out, _ = await _cli("sim", "--sim-port", str(sim_port), "label")
    assert code == 0
    assert json.loads(out)["serial"] == info["serial"]
    # SIGTERM: a clean stop with exit status 0.
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(STARTUP):
        assert process.stderr is not None
        log = (await process.stderr.read()).decode()
        assert await process.wait() == 0
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    messages = [record["message"] for record in records]
    assert "Stopping on signal" in messages
    assert all("verification_code" not in line for line in log.splitlines())
    label_code = json.loads(await _label(tmp_path))["verification_code"]
    assert label_code not in log


async def _label(data_dir: Path) -> str:
    return (data_dir / "simulator" / "identity.json").read_text()


async def test_info_without_a_running_driver(tmp_path: Path) -> None:
    config = build({"data_dir": str(tmp_path), "port": _free_port()})
    with pytest.raises(aiohttp.ClientConnectionError):
        await fetch_info(config)


def test_info_text(capsys: pytest.CaptureFixture[str]) -> None:
    info = {
        "serial": "EZL-1",
        "model": "M",
        "firmware": "1.0",
        "api_version": 1,
        "pairing_open": False,
        "tls_fingerprint": "ab" * 32,
    }
    _print_info(info, as_json=False)
    out = capsys.readouterr().out
    assert "Serial number:" in out
    assert f"TLS fingerprint (SHA-256):  {'ab' * 32}" in out


def test_run_options_parse() -> None:
    args = build_parser().parse_args(
        ["run", "--mcu", "/dev/ttyAMA0", "--port", "9000", "--insecure-http"]
    )
    assert (args.mcu, args.port, args.insecure_http, args.simulate) == (
        "/dev/ttyAMA0",
        9000,
        True,
        None,
    )


def test_bad_configuration_exits_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--data-dir", str(tmp_path), "--mcu", "/dev/ttyAMA0"]) == 2
    assert "missing: fingerprint, face, palm" in capsys.readouterr().err


def test_config_file_from_environment(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "edge.toml"
    config.write_text("port = 'many'\n")
    monkeypatch.setenv("EZLOCK_CONFIG", str(config))
    assert main(["info", "--data-dir", str(tmp_path)]) == 2
    assert "port: expected a TCP port" in capsys.readouterr().err
