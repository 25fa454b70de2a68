"""``ezlock-edge``: the daemon as a process (run, info, sim, SIGTERM) and its options."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass
import json
import logging
import os
from pathlib import Path
import re
import resource
import shlex
import signal
import socket
import sys
from typing import Any

import aiohttp
import pytest

from ezlock_edge.api.certificate import generate
from ezlock_edge.api.tls import CERT_FILE, TLS_DIR
from ezlock_edge.cli import _config, _print_info, build_parser, fetch_info, main
from ezlock_edge.clock import ManualClock
from ezlock_edge.config import KEYS, ConfigError, build
from ezlock_edge.http.client import RequestError
from ezlock_edge.logs import JsonFormatter, KeyValueFormatter
from ezlock_edge.vocabulary.modules import ModuleSettings
from tests.support.waiting import eventually, settled

from .api_support import running_edge

STARTUP = 20.0


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


class DaemonLog:
    """The daemon's JSON log, read from its stderr as it comes (and kept in a file).

    The daemon binds port 0 and logs where it listens: the ports come from here, so no
    port picked beforehand can be taken by another program before the daemon binds it,
    and a daemon that exits while starting fails the test at once, with its log.
    """

    def __init__(self, stream: asyncio.StreamReader, path: Path) -> None:
        """Read ``stream`` until its end, copying each line to ``path``."""
        self.records: list[dict[str, Any]] = []
        self.text = ""
        self._ports: asyncio.Future[tuple[int, int]] = (
            asyncio.get_running_loop().create_future()
        )
        self._reader = asyncio.create_task(self._read(stream, path))

    async def ports(self) -> tuple[int, int]:
        """Wait until the daemon runs; return its (API port, simulator port)."""
        return await settled(asyncio.shield(self._ports), "the daemon running")

    async def ended(self) -> None:
        """Wait until the daemon's stderr closed (it exited): every record is in."""
        await settled(asyncio.shield(self._reader), "the end of the daemon's log")

    def count(self, text: str) -> int:
        """Return how many records' messages contain ``text``."""
        return sum(text in str(record.get("message")) for record in self.records)

    async def _read(self, stream: asyncio.StreamReader, path: Path) -> None:
        api_port: int | None = None
        sim_port: int | None = None
        with path.open("w") as copy:
            while line := (await stream.readline()).decode():
                copy.write(line)
                copy.flush()
                self.text += line
                with contextlib.suppress(json.JSONDecodeError):  # a killed line
                    record: dict[str, Any] = json.loads(line)
                    self.records.append(record)
                    message = str(record.get("message"))
                    if message == "API listening":
                        api_port = int(record["port"])
                    elif found := _SIM_LISTENING.fullmatch(message):
                        sim_port = int(found[1])
                    elif message == "Edge driver running" and api_port and sim_port:
                        self._ports.set_result((api_port, sim_port))  # logged once
        if not self._ports.done():
            self._ports.set_exception(
                AssertionError(f"the daemon ended before it ran:\n{self.text}")
            )


_SIM_LISTENING = re.compile(r"simulator control surface on http://[^:]+:(\d+)/sim/v1")


@dataclass
class Daemon:
    """``ezlock-edge run --simulate`` running as a process."""

    process: asyncio.subprocess.Process
    port: int
    sim_port: int
    log: DaemonLog


@contextlib.asynccontextmanager
async def _running_daemon(
    tmp_path: Path, open_files: int | None = None
) -> AsyncIterator[Daemon]:
    """``ezlock-edge run --simulate`` as a real process, logging JSON at DEBUG.

    ``open_files`` limits its file descriptors (RLIMIT_NOFILE), as systemd does (1024).
    On leaving, the daemon is killed if it still runs, and its log read to the end.
    """
    env = {**os.environ, "EZLOCK_LOG_FORMAT": "json", "EZLOCK_LOG_LEVEL": "debug"}

    def limit_files() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ezlock_edge",
        "run",
        "--simulate",
        "--data-dir",
        str(tmp_path / "data"),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--sim-port",
        "0",
        "--no-zeroconf",
        env=env,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=limit_files,
    )
    assert process.stderr is not None
    log = DaemonLog(process.stderr, tmp_path / "daemon.log")
    try:
        port, sim_port = await log.ports()
        yield Daemon(process, port, sim_port, log)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await log.ended()


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    """``ezlock-edge run --simulate`` as a real process, logging JSON at DEBUG."""
    async with _running_daemon(tmp_path) as running:
        yield running


async def test_run_pair_and_stop_on_sigterm(daemon: Daemon, tmp_path: Path) -> None:
    """The daemon as a person runs it: info, pairing via the simulator, SIGTERM."""
    process, port, sim_port = daemon.process, daemon.port, daemon.sim_port
    data_dir = str(tmp_path / "data")
    code, out, _ = await _cli(
        "info", "--data-dir", data_dir, "--port", str(port), "--json"
    )
    assert code == 0, out
    info = json.loads(out)
    assert len(info["tls_fingerprint"]) == 64
    assert (tmp_path / "data" / "tls" / "key.pem").stat().st_mode & 0o077 == 0
    code, out, _ = await _cli("sim", "--sim-port", str(sim_port), "label")
    assert code == 0
    label = json.loads(out)
    assert label["serial"] == info["serial"]
    code, _, _ = await _cli(
        "sim", "--sim-port", str(sim_port), "set_button", "press=long"
    )
    assert code == 0
    token = await _pair(port, info["tls_fingerprint"], label["verification_code"])
    # SIGTERM: a clean stop with exit status 0.
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(STARTUP):
        assert await process.wait() == 0
    await daemon.log.ended()
    log, records = daemon.log.text, daemon.log.records
    assert "Stopping on signal" in [record["message"] for record in records]
    assert any(record["message"] == "POST /api/v1/pair -> 201" for record in records)
    # No secret reaches the log, even at DEBUG.
    assert token not in log
    assert label["verification_code"] not in log


async def _pair(port: int, fingerprint: str, code: str) -> str:
    pin = aiohttp.Fingerprint(bytes.fromhex(fingerprint))
    base = f"https://127.0.0.1:{port}/api/v1"
    async with aiohttp.ClientSession() as session:

        async def pairing_open() -> bool:
            async with session.get(f"{base}/info", ssl=pin) as response:
                return bool((await response.json())["pairing_open"])

        # The SET press travels to the lock core over the MCU link.
        await eventually(pairing_open, "the pairing window")
        body = {"client_name": "test", "verification_code": code}
        async with session.post(f"{base}/pair", json=body, ssl=pin) as response:
            assert response.status == 201
            token: str = (await response.json())["token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with session.get(f"{base}/state", headers=headers, ssl=pin) as response:
            assert response.status == 200
        return token


async def _pair_daemon(port: int, sim_port: int, data_dir: Path) -> tuple[str, str]:
    """Pair with a running daemon as a person would; return (token, fingerprint)."""
    code, out, _ = await _cli(
        "info", "--data-dir", str(data_dir), "--port", str(port), "--json"
    )
    assert code == 0, out
    fingerprint = json.loads(out)["tls_fingerprint"]
    sim = f"http://127.0.0.1:{sim_port}/sim/v1"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{sim}/label") as response:
            label = await response.json()
        async with session.post(f"{sim}/set_button", json={"press": "long"}):
            pass
    return await _pair(port, fingerprint, label["verification_code"]), fingerprint


async def _open_idle(
    port: int, count: int, sources: list[str]
) -> list[asyncio.StreamWriter]:
    """Open ``count`` TCP connections that never send a byte (spread over sources)."""
    writers: list[asyncio.StreamWriter] = []
    for number in range(count):
        source = sources[number % len(sources)]
        # A server that stopped accepting leaves connections in its backlog (or the
        # SYN unanswered): give up on those, the attack is the ones that got through.
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(0.5):
                _, writer = await asyncio.open_connection(
                    "127.0.0.1", port, local_addr=(source, 0)
                )
                writers.append(writer)
    return writers


async def _served_under_attack(daemon: Daemon, tmp_path: Path, attackers: int) -> int:
    """Pair, open the WebSocket, open ``attackers`` idle sockets, still be served.

    Returns how many files the daemon had open while under attack.
    """
    process, port, sim_port = daemon.process, daemon.port, daemon.sim_port
    token, fingerprint = await _pair_daemon(port, sim_port, tmp_path / "data")
    pin = aiohttp.Fingerprint(bytes.fromhex(fingerprint))
    base = f"https://127.0.0.1:{port}/api/v1"
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"{base}/ws", headers=headers, ssl=pin)
        assert (await ws.receive_json(timeout=STARTUP))["type"] == "auth_ok"
        await ws.send_json({"type": "subscribe", "since": None})
        sources = ["127.0.0.1", *(f"127.0.1.{host}" for host in range(1, 40))]
        writers = await _open_idle(port, attackers, sources)
        try:
            # A new connection of the paired client gets in ...
            async with (
                aiohttp.ClientSession() as fresh,
                asyncio.timeout(STARTUP),
                fresh.get(f"{base}/state", headers=headers, ssl=pin) as response,
            ):
                assert response.status == 200
            # ... and the one it had is still served.
            async with session.post(
                f"http://127.0.0.1:{sim_port}/sim/v1/keypad",
                json={"keys": ["doorbell"]},
            ):
                pass
            while True:
                message = await ws.receive_json(timeout=STARTUP)
                if message["type"] == "event":
                    assert message["event"]["type"] == "doorbell"
                    break
            open_files = len(os.listdir(f"/proc/{process.pid}/fd"))
        finally:
            for writer in writers:
                writer.close()
        await ws.close()
    return open_files


async def test_a_thousand_idle_sockets_do_not_lock_out_home_assistant(
    tmp_path: Path,
) -> None:
    """Issue #11.8, as reported: systemd's 1,024 descriptors, 1,100 idle sockets."""
    async with _running_daemon(tmp_path, open_files=1024) as daemon:
        open_files = await _served_under_attack(daemon, tmp_path, 1100)
    # Bounded: the connections never came near the descriptor limit ...
    assert open_files < 128 + 64
    # ... and an attack is a few log lines, not one per connection.
    assert daemon.log.count("Connection limit reached") == 1
    assert daemon.log.count("Cannot accept") == 0


async def test_out_of_descriptors_is_logged_once_and_recovers(tmp_path: Path) -> None:
    """Issue #11.8: when accept() fails for want of descriptors, one line, then room.

    With only 32 descriptors the UARTs, database and simulator leave too few for the
    connections, so accept() itself fails; the oldest unauthenticated connection is
    dropped to make room instead of retrying (and logging) in a loop.
    """
    async with _running_daemon(tmp_path, open_files=32) as daemon:
        await _served_under_attack(daemon, tmp_path, 300)
    assert 1 <= daemon.log.count("Cannot accept connections") <= 2


async def test_info_without_a_running_driver(tmp_path: Path) -> None:
    # A port bound and never listened on: refused for as long as the test holds it.
    with socket.socket() as unserved:
        unserved.bind(("127.0.0.1", 0))
        config = build({"data_dir": str(tmp_path), "port": unserved.getsockname()[1]})
        with pytest.raises(ConnectionRefusedError):
            await fetch_info(config)


async def test_info_pins_the_certificate_of_its_data_directory(tmp_path: Path) -> None:
    """``ezlock-edge info`` trusts only the certificate it finds beside the database."""
    async with running_edge(tmp_path / "lock", ManualClock()) as edge:
        port = edge.port
        ours = build({"data_dir": str(tmp_path / "lock"), "port": port})
        assert (await fetch_info(ours))["tls_fingerprint"] == edge.tls_fingerprint
        other = tmp_path / "other" / TLS_DIR
        other.mkdir(parents=True)
        (other / CERT_FILE).write_bytes(generate("ezlock-OTHER")[0])
        impostor = build({"data_dir": str(tmp_path / "other"), "port": port})
        with pytest.raises(RequestError, match="pinned"):
            await fetch_info(impostor)


def test_info_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = {
        "serial": "EZL-1",
        "model": "M",
        "firmware": "1.0",
        "api_version": 1,
        "pairing_open": False,
        "tls_fingerprint": "ab" * 32,
    }
    _print_info(info, build({"data_dir": str(tmp_path)}), as_json=False)
    out = capsys.readouterr().out
    assert "Serial number:" in out
    assert f"TLS fingerprint (SHA-256):  {'ab' * 32}" in out
    assert "Fingerprint password:       default" in out


def test_module_settings_from_file_environment_and_flags(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The modules' own address, password and rates; the password stays a secret."""
    secret = tmp_path / "fingerprint.pw"
    secret.write_text("0xA1B2C3D4\n")
    config_file = tmp_path / "edge.toml"
    config_file.write_text('fingerprint_address = "12345678"\nface_baudrate = 230400\n')
    ports = [
        f"--{link}=/dev/tty{link}" for link in ("mcu", "fingerprint", "face", "palm")
    ]
    monkeypatch.setenv("EZLOCK_FINGERPRINT_BAUDRATE", "115200")
    monkeypatch.setenv("EZLOCK_FINGERPRINT_PASSWORD", "11223344")
    args = build_parser().parse_args(
        [
            "run",
            "--config",
            str(config_file),
            *ports,
            "--fingerprint-password-file",
            str(secret),
            "--palm-baudrate",
            "9600",
        ]
    )
    with pytest.raises(ConfigError, match="not both") as both:
        _config(args)
    assert "11223344" not in str(both.value)
    monkeypatch.delenv("EZLOCK_FINGERPRINT_PASSWORD")
    config = _config(args)
    assert config.modules == ModuleSettings(
        fingerprint_address=0x12345678,
        fingerprint_password=0xA1B2C3D4,
        fingerprint_baudrate=115200,
        face_baudrate=230400,
        palm_baudrate=9600,
    )
    assert "a1b2c3d4" not in repr(config).lower()
    assert str(0xA1B2C3D4) not in repr(config)
    info = {"serial": "EZL-1", "tls_fingerprint": "ab" * 32}
    _print_info(info, config, as_json=True)
    shown = json.loads(capsys.readouterr().out)["modules"]
    assert shown["fingerprint_address"] == "12345678"
    assert shown["fingerprint_password"] == "********"
    _print_info(info, config, as_json=False)
    out = capsys.readouterr().out
    assert "Fingerprint password:       ********" in out
    assert "A1B2C3D4" not in out.upper()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"fingerprint_address": "FFFFFFFFF"}, "fingerprint_address: expected 4 bytes"),
        ({"fingerprint_password": "s3cret!"}, "fingerprint_password: expected 4 bytes"),
        ({"fingerprint_baudrate": 14400}, "9600 x 1, 2, 4, 6 or 12"),
        ({"face_baudrate": 12345}, "face_baudrate must be one of"),
        ({"fingerprint_password_file": "/nonexistent/pw"}, "cannot read"),
    ],
)
def test_bad_module_settings_are_refused_without_echoing_them(
    tmp_path: Path, settings: dict[str, Any], message: str
) -> None:
    ports = {link: f"/dev/tty{link}" for link in ("mcu", "fingerprint", "face", "palm")}
    with pytest.raises(ConfigError, match=message) as refused:
        build({"data_dir": str(tmp_path), **ports, **settings})
    assert "s3cret" not in str(refused.value)


def test_module_settings_are_for_real_modules(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not --simulate"):
        build({"data_dir": str(tmp_path), "simulate": True, "fingerprint_password": 7})


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


def test_sim_clock_and_motor_options_parse() -> None:
    """Issue #13: ``run --simulate --sim-clock manual --sim-motor-ms N``."""
    args = build_parser().parse_args(
        ["run", "--simulate", "--sim-clock", "manual", "--sim-motor-ms", "0"]
    )
    assert (args.sim_clock, args.sim_motor_ms) == ("manual", 0)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--sim-clock", "fast"])


def test_sim_clock_with_hardware_ports_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ports = [
        f"--{link}=/dev/tty{link}" for link in ("mcu", "fingerprint", "face", "palm")
    ]
    argv = ["run", "--data-dir", str(tmp_path), *ports, "--sim-clock", "manual"]
    assert main(argv) == 2
    assert "--simulate only" in capsys.readouterr().err


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


async def test_run_reports_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = await _cli(
            "run",
            "--simulate",
            "--data-dir",
            str(tmp_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--sim-port",
            "0",
            "--no-zeroconf",
        )
    assert code == 1
    assert "Cannot start" in err
    assert "Traceback" not in err


async def test_run_without_ports_refuses_to_simulate(tmp_path: Path) -> None:
    """Issue #11.1: a config that lost its port lines stops the daemon, in one line."""
    config = tmp_path / "edge.toml"
    config.write_text(f"data_dir = '{tmp_path / 'data'}'\nhost = '127.0.0.1'\n")
    code, out, err = await _cli(
        "run", "--config", str(config), "--port", "0", "--no-zeroconf"
    )
    assert code != 0
    assert out == ""
    assert err.count("\n") == 1
    assert "no hardware ports configured" in err
    assert "--simulate" in err
    assert not (tmp_path / "data").exists()


async def test_run_refuses_a_data_directory_of_the_other_kind(tmp_path: Path) -> None:
    """Issue #11.1: the simulator never runs on the real lock's tokens and certificate."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "hardware").write_text("real\n")
    code, _, err = await _cli(
        "run",
        "--simulate",
        "--data-dir",
        str(data_dir),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--sim-port",
        "0",
        "--no-zeroconf",
    )
    assert code != 0
    assert err.count("\n") == 1
    assert "belongs to the real lock" in err
    assert sorted(path.name for path in data_dir.iterdir()) == ["hardware"]


def test_systemd_unit_matches_the_command_line() -> None:
    """The unit's ExecStart must be a command line ezlock-edge accepts."""
    unit = Path(__file__).parents[2] / "edge" / "systemd" / "ezlock-edge.service"
    lines = unit.read_text().splitlines()
    exec_start = next(line for line in lines if line.startswith("ExecStart="))
    program, *argv = shlex.split(exec_start.removeprefix("ExecStart="))
    assert program.endswith("/ezlock-edge")
    args = build_parser().parse_args(argv)
    assert (args.command, args.log_format) == ("run", "json")
    assert "KillSignal=SIGTERM" in lines


def test_log_formats_carry_extra_fields() -> None:
    record = logging.LogRecord(
        "ezlock_edge.api.server", logging.INFO, __file__, 1, "POST %s", ("/x",), None
    )
    record.client_id = "c_1"
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["level"], entry["message"], entry["client_id"]) == (
        "INFO",
        "POST /x",
        "c_1",
    )
    line = KeyValueFormatter().format(record)
    assert line.endswith("INFO    ezlock_edge.api.server: POST /x [client_id='c_1']")


def test_every_setting_is_in_the_reference() -> None:
    """docs/raspberry-pi.md lists every key the configuration takes."""
    doc = (Path(__file__).parents[2] / "docs" / "raspberry-pi.md").read_text()
    reference = doc[doc.index("## Command line and configuration reference") :]
    assert [key for key in KEYS if f"`{key}`" not in reference] == []
