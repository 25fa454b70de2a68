"""``ezlock-edge simulator``: the simulated hardware alone, as a process other software uses.

The simulator runs as its own process and prints where its UARTs are; then, as three
separate hosts would: ``pyfingerprint`` (unmodified) sets the fingerprint module up over
its pty, Adafruit's library reaches it over TCP (``socket://``), and the real edge driver
(``ezlock-edge run`` with the printed ports, no ``--simulate``) runs the lock on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
import contextlib
import json
import os
from pathlib import Path
import re
import signal
import sys
from typing import Any

import adafruit_fingerprint
import aiohttp
from pyfingerprint.pyfingerprint import PyFingerprint
import serial

from tests.support.waiting import eventually, settled

PASSWORD = 0xA1B2C3D4


def _text(path: Path) -> str:
    return path.read_text()


def _all_exist(paths: Iterable[str]) -> bool:
    return all(Path(path).exists() for path in paths)


def _api_port(log: Path) -> int | None:
    """Return the port the driver says its API listens on, None before it says it."""
    found = re.search(r"API listening \[.*\bport=(\d+)", _text(log))
    return int(found[1]) if found else None


@contextlib.asynccontextmanager
async def _process(
    log: Path, *args: str, stdout: int | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run ``python -m ezlock_edge ARGS``; on the way out SIGTERM must end it with 0."""
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ezlock_edge",
            *args,
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, "EZLOCK_LOG_LEVEL": "debug"},
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        status = await settled(process.wait(), f"{args[0]} stopping on SIGTERM")
        assert status == 0, _text(log)


@contextlib.asynccontextmanager
async def _simulator(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    async with _process(
        tmp_path / "simulator.log",
        "simulator",
        "--sim-port",
        "0",
        "--state-dir",
        str(tmp_path / "sim"),
        "--tcp",
        stdout=asyncio.subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        line = await settled(process.stdout.readline(), "the simulator's ports")
        yield json.loads(line)


async def _act(control: str, action: str, body: dict[str, Any] | None = None) -> Any:
    async with aiohttp.ClientSession() as session:
        if body is None:
            request = session.get(f"{control}/{action}")
        else:
            request = session.post(f"{control}/{action}", json=body)
        async with request as response:
            assert response.status == 200, await response.text()
            return await response.json()


def _set_up_elsewhere(path: str, finger_on_reader: Any) -> None:
    """Another host (pyfingerprint): store a finger in page 0, then set a password."""
    sensor = PyFingerprint(path, 57600, 0xFFFFFFFF, 0x00000000)
    assert sensor.verifyPassword()
    for buffer in (0x01, 0x02):
        finger_on_reader()
        assert sensor.readImage()
        sensor.convertImage(buffer)
    sensor.createTemplate()
    assert sensor.storeTemplate(0) == 0
    assert sensor.setPassword(PASSWORD)
    sensor.__del__()  # closes its port


def _count_over_tcp(url: str) -> int:
    """Adafruit's library over socket:// with the module's password."""
    uart = serial.serial_for_url(url, baudrate=57600, timeout=2)
    try:
        sensor = adafruit_fingerprint.Adafruit_Fingerprint(
            uart, passwd=tuple(PASSWORD.to_bytes(4, "big"))
        )
        assert sensor.count_templates() == adafruit_fingerprint.OK
        return int(sensor.template_count)
    finally:
        uart.close()


async def test_other_software_and_the_real_driver_use_the_simulator_alone(
    tmp_path: Path,
) -> None:
    async with _simulator(tmp_path) as ready:
        ports, control, tcp = ready["ports"], ready["control"], ready["tcp"]
        assert set(ports) == set(tcp) == {"mcu", "fingerprint", "face", "palm"}
        assert control.startswith("http://127.0.0.1:")
        assert all(url.startswith("socket://127.0.0.1:") for url in tcp.values())
        loop = asyncio.get_running_loop()

        def finger_on_reader() -> None:
            asyncio.run_coroutine_threadsafe(
                _act(control, "finger", {"id": "stranger"}), loop
            ).result(timeout=30)

        await asyncio.to_thread(
            _set_up_elsewhere, ports["fingerprint"], finger_on_reader
        )
        assert await asyncio.to_thread(_count_over_tcp, tcp["fingerprint"]) == 1

        secret = tmp_path / "fingerprint.password"
        secret.write_text(f"{PASSWORD:08X}\n")
        log = tmp_path / "driver.log"
        links = [f"--{link}={path}" for link, path in ports.items()]
        async with _process(
            log,
            "run",
            *links,
            "--fingerprint-password-file",
            str(secret),
            "--data-dir",
            str(tmp_path / "data"),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--insecure-http",
            "--no-zeroconf",
        ):
            label = await _act(control, "label")

            # The driver binds port 0 and says where it listens (no port picked and
            # released here for another program to take first).
            await eventually(lambda: _api_port(log) is not None, "the API listening")
            port = _api_port(log)

            async def serving() -> bool:
                try:
                    async with (
                        aiohttp.ClientSession() as session,
                        session.get(f"http://127.0.0.1:{port}/api/v1/info") as info,
                    ):
                        return bool((await info.json())["serial"] == label["serial"])
                except aiohttp.ClientError:
                    return False

            await eventually(serving, "the driver serving the simulated lock")
            # The driver verified the module's password and read its templates: the
            # other host's finger in page 0 is reported, not overwritten.
            await eventually(
                lambda: "did not store in slots [0]" in _text(log),
                "the other host's template reported",
            )
            assert PASSWORD.to_bytes(4, "big").hex() not in _text(log).lower()


async def test_sigint_stops_it_and_the_state_dir_keeps_the_lock(tmp_path: Path) -> None:
    serials = []
    for _ in range(2):
        async with _process(
            tmp_path / "simulator.log",
            "simulator",
            "--sim-port",
            "0",
            "--state-dir",
            str(tmp_path / "sim"),
            stdout=asyncio.subprocess.PIPE,
        ) as process:
            assert process.stdout is not None
            ready = json.loads(await settled(process.stdout.readline(), "the ports"))
            assert "tcp" not in ready
            assert _all_exist(ready["ports"].values())
            serials.append((await _act(ready["control"], "label"))["serial"])
            process.send_signal(signal.SIGINT)
    assert serials[0] == serials[1]
