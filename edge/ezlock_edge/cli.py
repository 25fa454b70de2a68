"""``ezlock-edge``: run the daemon, show the lock's identity, or act on the simulator."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
import json
import logging
import os
from pathlib import Path
import signal
import sys
from typing import Any

from ezlock_edge.vocabulary.errors import DeviceError

from . import __version__, logs
from .api.discovery import WILDCARD_HOSTS
from .api.tls import CERT_FILE, TLS_DIR, certificate_fingerprint
from .config import (
    DEFAULT_PORT,
    DEFAULT_SIM_PORT,
    HARDWARE_LINKS,
    LOG_FORMATS,
    LOG_LEVELS,
    MAX_SIM_MOTOR_MS,
    SIM_CLOCKS,
    Config,
    ConfigError,
    load,
)
from .sim.cli import add_sim_parser, add_simulator_parser, run_sim_command

_LOGGER = logging.getLogger(__name__)
_INFO_TIMEOUT = 10.0  # seconds


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="TOML config file (default: $EZLOCK_CONFIG if set)",
    )
    parser.add_argument(
        "--data-dir", default=None, help="where the database, keys and certificate live"
    )
    parser.add_argument(
        "--host", default=None, help="address the API listens on (default all)"
    )
    parser.add_argument(
        "--port", type=int, default=None, help=f"API port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--insecure-http",
        action="store_const",
        const=True,
        default=None,
        help="plain HTTP, for development and tests only",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser (settings also come from the file and env)."""
    parser = argparse.ArgumentParser(
        prog="ezlock-edge",
        description="ezlock edge driver: the smart lock's brain and its local API.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="run the edge driver",
        description="Run the edge driver on real hardware (all four ports) or, only "
        "when asked for with --simulate, on the simulated lock.",
    )
    _add_common(run)
    run.add_argument(
        "--sim-port",
        type=int,
        default=None,
        help=f"simulator control surface on loopback (default {DEFAULT_SIM_PORT})",
    )
    run.add_argument(
        "--simulate",
        action="store_const",
        const=True,
        default=None,
        help="run the simulated lock (never the default: without ports and without "
        "this flag the driver refuses to start)",
    )
    run.add_argument(
        "--sim-clock",
        default=None,
        choices=SIM_CLOCKS,
        help="the simulated lock's time: real (default), or manual: it starts now and "
        'stands still until POST /sim/v1/clock {"advance": SECONDS} moves it',
    )
    run.add_argument(
        "--sim-motor-ms",
        default=None,
        type=int,
        metavar="N",
        help=f"the simulated bolt's travel time in ms, 0-{MAX_SIM_MOTOR_MS} "
        "(default 400; env EZLOCK_SIM_MOTOR_MS)",
    )
    for link in HARDWARE_LINKS:
        run.add_argument(
            f"--{link}",
            default=None,
            metavar="PORT",
            help=f"{link} UART: a device path or socket://host:port",
        )
    run.add_argument(
        "--fingerprint-address",
        default=None,
        metavar="HEX",
        help="the fingerprint module's address, 4 bytes in hex (default FFFFFFFF)",
    )
    run.add_argument(
        "--fingerprint-password-file",
        default=None,
        metavar="FILE",
        help="a file holding the fingerprint module's password, 4 bytes in hex (no "
        "flag takes the password itself: others could read it in the process list)",
    )
    for module, default in (("fingerprint", 57600), ("face", 115200), ("palm", 115200)):
        run.add_argument(
            f"--{module}-baudrate",
            default=None,
            type=int,
            metavar="N",
            help=f"the {module} module's baud rate (default {default})",
        )
    run.add_argument(
        "--camera",
        default=None,
        metavar="DEVICE",
        help="V4L2 camera at the door, e.g. /dev/video0 (size and rate: camera_* "
        "in the config file)",
    )
    run.add_argument(
        "--no-zeroconf",
        dest="zeroconf",
        action="store_const",
        const=False,
        default=None,
        help="do not advertise the lock on the LAN",
    )
    run.add_argument(
        "--name",
        default=None,
        help='the place the lock is known by, as clients show it ("Front door")',
    )
    run.add_argument(
        "--time-zone",
        default=None,
        metavar="ZONE",
        help="IANA time zone in which weekly schedules are read "
        "(default: the board's own, else UTC)",
    )
    run.add_argument("--log-level", default=None, choices=LOG_LEVELS)
    run.add_argument("--log-format", default=None, choices=LOG_FORMATS)

    info = commands.add_parser(
        "info",
        help="show serial, model, firmware and TLS fingerprint of the running driver",
    )
    _add_common(info)
    info.add_argument("--json", action="store_true", help="print JSON")

    add_sim_parser(commands)
    add_simulator_parser(commands)
    return parser


def _config(args: argparse.Namespace) -> Config:
    flags: dict[str, Any] = {
        key: value
        for key, value in vars(args).items()
        if key not in {"command", "config", "json"}
    }
    config_file = args.config
    if config_file is None and (env_file := os.environ.get("EZLOCK_CONFIG")):
        config_file = Path(env_file)
    return load(flags, os.environ, config_file)


async def run_daemon(config: Config) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly (the bolt stays where it is)."""
    # Imported here: the whole driver stack takes a second to import, which
    # ``info`` and ``sim`` do not need.
    from .app import EdgeApp, EdgeOptions, freeze_start_up_objects  # noqa: PLC0415

    edge = EdgeApp(EdgeOptions.from_config(config))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await edge.start()
    freeze_start_up_objects()
    try:
        await stop.wait()
        _LOGGER.info("Stopping on signal")
    finally:
        await edge.stop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


async def fetch_info(config: Config) -> dict[str, Any]:
    """Ask the local driver for ``/api/v1/info``, pinning its certificate when readable."""
    # Only this command needs an HTTP client (http.client, email): not the daemon.
    from .http.client import RequestError, request_json  # noqa: PLC0415

    scheme = "http" if config.insecure_http else "https"
    pin: bytes | None = None
    cert = config.data_dir / TLS_DIR / CERT_FILE
    if not config.insecure_http:
        with contextlib.suppress(OSError):
            pin = bytes.fromhex(certificate_fingerprint(cert.read_bytes()))
    host = "127.0.0.1" if config.host in WILDCARD_HOSTS else config.host
    url = f"{scheme}://{host}:{config.port}/api/v1/info"
    status, info = await request_json("GET", url, within=_INFO_TIMEOUT, pin=pin)
    if status != 200 or not isinstance(info, dict):
        raise RequestError(f"/api/v1/info answered {status}")
    return info


def _print_info(info: dict[str, Any], config: Config, as_json: bool) -> None:
    # The modules' settings are the local configuration's, the password masked.
    modules = config.modules.described()
    if as_json:
        sys.stdout.write(json.dumps(info | {"modules": modules}, indent=2) + "\n")
        return
    labels = {
        "serial": "Serial number",
        "model": "Model",
        "firmware": "Firmware",
        "api_version": "API version",
        "pairing_open": "Pairing open",
        "tls_fingerprint": "TLS fingerprint (SHA-256)",
    }
    for key, label in labels.items():
        sys.stdout.write(f"{label + ':':<28}{info.get(key)}\n")
    for key, value in modules.items():
        label = key.replace("_", " ").capitalize()
        sys.stdout.write(f"{label + ':':<28}{value}\n")


async def _main(args: argparse.Namespace) -> int:
    if args.command == "sim":
        return await run_sim_command(args)
    if args.command == "simulator":
        # Imported here, as the driver stack is for ``run``: the simulator alone.
        from .sim.standalone import run_simulator  # noqa: PLC0415

        return await run_simulator(args)
    config = _config(args)
    if args.command == "run":
        config.check_runnable()
        # Whatever the service manager's umask: nothing the driver creates is readable
        # by others (the modes are also set explicitly where files are made).
        os.umask(0o077)
        logs.setup(config.log_level, config.log_format)
        try:
            await run_daemon(config)
        except (OSError, DeviceError) as err:
            # A busy port or a lock that does not answer: say why in one line and let
            # the service manager try again.
            _LOGGER.error("Cannot start: %s", err)
            return 1
        return 0
    try:
        info = await fetch_info(config)
    except OSError as err:  # RequestError, refused, timed out, TLS failed
        sys.stderr.write(f"no edge driver answering on port {config.port}: {err}\n")
        return 2
    _print_info(info, config, args.json)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ezlock-edge`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(_main(args))
    except ConfigError as err:
        sys.stderr.write(f"ezlock-edge: {err}\n")
        return 2
    except KeyboardInterrupt:
        return 130
