"""The daemon's settings, from a TOML file, ``EZLOCK_*`` environment variables and flags.

Later sources win: defaults < file < environment < command line. Everything is checked
once, here, so a typo stops the daemon at start with a message instead of surfacing later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import os
from pathlib import Path
import tomllib
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import voluptuous as vol

from .core.limits import NAME_LENGTH
from .vocabulary.camera import CameraSettings
from .vocabulary.modules import ModuleSettings

DEFAULT_PORT = 8765
DEFAULT_SIM_PORT = 8766
HARDWARE_LINKS = ("mcu", "fingerprint", "face", "palm")
CAMERA_KEYS = ("camera_width", "camera_height", "camera_fps", "camera_quality")
MODULE_KEYS = (
    "fingerprint_address",
    "fingerprint_password",
    "fingerprint_baudrate",
    "face_baudrate",
    "palm_baudrate",
)
"""The biometric modules' own settings (vocabulary.modules.ModuleSettings)."""
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SIM_CLOCKS = ("real", "manual")
DEFAULT_SIM_MOTOR_MS = 400
MAX_SIM_MOTOR_MS = 60_000
ENV_PREFIX = "EZLOCK_"


class ConfigError(Exception):
    """The configuration cannot be used; the message says which setting and why."""


@dataclass(frozen=True, slots=True)
class HardwarePorts:
    """The four UARTs: device paths or ``socket://host:port`` URLs."""

    mcu: str
    fingerprint: str
    face: str
    palm: str


@dataclass(frozen=True, slots=True)
class Config:
    """Everything ``ezlock-edge run`` needs to know."""

    data_dir: Path
    host: str = "0.0.0.0"  # noqa: S104 - a LAN service by design
    port: int = DEFAULT_PORT
    sim_port: int = DEFAULT_SIM_PORT
    insecure_http: bool = False
    hardware: HardwarePorts | None = None  # None: no ports configured
    simulate: bool = False  # the simulated lock, only when asked for (--simulate)
    sim_clock: str = "real"  # "manual": the simulated lock's time moves only when told
    sim_motor_ms: int = DEFAULT_SIM_MOTOR_MS  # the simulated bolt's travel time
    camera: str | None = None  # V4L2 device; None: the simulator's camera, or none
    camera_settings: CameraSettings = field(default_factory=CameraSettings)
    modules: ModuleSettings = field(default_factory=ModuleSettings)  # password: secret
    zeroconf: bool = True
    log_level: str = "INFO"
    log_format: str = "text"
    name: str | None = None  # the place the lock is known by ("Front door")
    time_zone: str | None = None  # IANA name; None: the board's own

    def check_runnable(self) -> None:
        """Fail closed: real hardware needs its ports, the simulator must be asked for.

        A config file that lost its port lines must not quietly serve a simulated
        lock under the real lock's certificate and tokens (docs/security.md).
        """
        if self.hardware is None and not self.simulate:
            raise ConfigError(
                "no hardware ports configured (mcu, fingerprint, face, palm); "
                "pass --simulate to run the simulated lock"
            )


def default_data_dir() -> Path:
    """``$STATE_DIRECTORY`` under systemd, else ``$XDG_STATE_HOME/ezlock``."""
    if state := os.environ.get("STATE_DIRECTORY"):
        return Path(state.split(":")[0])
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "ezlock"


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.lower() in {"0", "false", "no", "off"}:
        return False
    raise vol.Invalid("expected true or false")


def _port(value: Any) -> int:
    if isinstance(value, bool):
        raise vol.Invalid("expected a TCP port")
    try:
        port = int(value)
    except TypeError, ValueError:
        raise vol.Invalid("expected a TCP port") from None
    if not 0 <= port <= 65535:
        raise vol.Invalid("expected a TCP port (0-65535)")
    return port


def _milliseconds(value: Any) -> int:
    if isinstance(value, bool):
        raise vol.Invalid("expected milliseconds")
    try:
        number = int(value)
    except TypeError, ValueError:
        raise vol.Invalid("expected whole milliseconds") from None
    if not 0 <= number <= MAX_SIM_MOTOR_MS:
        raise vol.Invalid(f"expected 0-{MAX_SIM_MOTOR_MS} ms")
    return number


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise vol.Invalid("expected a whole number")
    try:
        return int(value)
    except TypeError, ValueError:
        raise vol.Invalid("expected a whole number") from None


def _u32(value: Any) -> int:
    """Four bytes: a TOML integer, or hex as the R503 manual prints it (``"FFFFFFFF"``).

    The message never repeats the value: it may be the module's password.
    """
    if isinstance(value, bool):
        raise vol.Invalid("expected 4 bytes in hex, such as 0000A1B2")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip().lower().removeprefix("0x")
        if not 1 <= len(text) <= 8 or any(c not in "0123456789abcdef" for c in text):
            raise vol.Invalid("expected 4 bytes in hex, such as 0000A1B2")
        number = int(text, 16)
    else:
        raise vol.Invalid("expected 4 bytes in hex, such as 0000A1B2")
    if not 0 <= number <= 0xFFFFFFFF:
        raise vol.Invalid("expected 4 bytes (00000000 to FFFFFFFF)")
    return number


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise vol.Invalid("expected a non-empty string")
    return value


def _name(value: Any) -> str:
    # As long as a user's name; 32 characters also fit a zeroconf TXT string (255 bytes).
    text = _text(value).strip()
    if len(text) not in NAME_LENGTH or any(ord(c) < 32 for c in text):
        raise vol.Invalid(f"expected {NAME_LENGTH} printable characters")
    return text


def _time_zone(value: Any) -> str:
    text = _text(value)
    try:
        ZoneInfo(text)
    except ZoneInfoNotFoundError, ValueError:
        raise vol.Invalid("expected an IANA time zone such as Europe/Berlin") from None
    return text


def _path(value: Any) -> Path:
    if isinstance(value, Path):
        return value
    return Path(_text(value)).expanduser()


def _choice(*choices: str) -> Any:
    def validate(value: Any) -> str:
        text = _text(value)
        normalised = text.upper() if choices == LOG_LEVELS else text.lower()
        if normalised not in choices:
            raise vol.Invalid(f"expected one of {', '.join(choices)}")
        return normalised

    return validate


_SCHEMA = vol.Schema(
    {
        vol.Optional("data_dir"): _path,
        vol.Optional("host"): _text,
        vol.Optional("port"): _port,
        vol.Optional("sim_port"): _port,
        vol.Optional("insecure_http"): _boolean,
        vol.Optional("simulate"): _boolean,
        vol.Optional("sim_clock"): _choice(*SIM_CLOCKS),
        vol.Optional("sim_motor_ms"): _milliseconds,
        vol.Optional("zeroconf"): _boolean,
        vol.Optional("log_level"): _choice(*LOG_LEVELS),
        vol.Optional("log_format"): _choice(*LOG_FORMATS),
        vol.Optional("name"): _name,
        vol.Optional("time_zone"): _time_zone,
        **{vol.Optional(link): _text for link in HARDWARE_LINKS},
        vol.Optional("camera"): _text,
        **{vol.Optional(key): _whole for key in CAMERA_KEYS},
        vol.Optional("fingerprint_address"): _u32,
        vol.Optional("fingerprint_password"): _u32,
        vol.Optional("fingerprint_password_file"): _path,
        **{vol.Optional(key): _whole for key in MODULE_KEYS[2:]},
    }
)
KEYS = tuple(str(key) for key in _SCHEMA.schema)


def read_file(path: Path) -> dict[str, Any]:
    """Read a TOML config file (top-level keys as in ``KEYS``)."""
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config file {path} is not valid TOML: {err}") from None


def from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Pick ``EZLOCK_<KEY>`` variables (``EZLOCK_PORT=9000`` sets ``port``)."""
    return {
        key: environ[ENV_PREFIX + key.upper()]
        for key in KEYS
        if ENV_PREFIX + key.upper() in environ
    }


def build(*layers: Mapping[str, Any]) -> Config:
    """Merge ``layers`` (later wins), check them and return the configuration."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update({key: value for key, value in layer.items() if value is not None})
    try:
        values = _SCHEMA(merged)
    except vol.MultipleInvalid as err:
        problems = "; ".join(
            f"{'.'.join(map(str, error.path)) or 'config'}: {error.msg}"
            for error in err.errors
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
    links = {link: values.pop(link) for link in HARDWARE_LINKS if link in values}
    camera = {
        key.removeprefix("camera_"): values.pop(key)
        for key in CAMERA_KEYS
        if key in values
    }
    try:
        values["camera_settings"] = CameraSettings(**camera)
    except ValueError as err:
        raise ConfigError(f"invalid configuration: {err}") from None
    values["modules"] = _modules(values)
    simulate = values.pop("simulate", False)
    if simulate and values["modules"] != ModuleSettings():
        # The simulated modules are factory-set; these describe real ones.
        raise ConfigError(
            "fingerprint_address, fingerprint_password and the baud rates describe "
            "real modules, not --simulate"
        )
    hardware: HardwarePorts | None = None
    if simulate and links:
        raise ConfigError("--simulate cannot be combined with hardware ports")
    if links and (
        values.get("sim_clock", "real") != "real" or "sim_motor_ms" in values
    ):
        # A stopped clock would freeze a real lock's lockout and alarms.
        raise ConfigError("sim_clock and sim_motor_ms are for --simulate only")
    if links:
        missing = [link for link in HARDWARE_LINKS if link not in links]
        if missing:
            raise ConfigError(
                "real hardware needs all four ports; missing: " + ", ".join(missing)
            )
        hardware = HardwarePorts(**links)
    values.setdefault("data_dir", default_data_dir())
    return Config(hardware=hardware, simulate=simulate, **values)


def _modules(values: dict[str, Any]) -> ModuleSettings:
    """Take the modules' settings out of ``values``; read the password file if named."""
    settings = {key: values.pop(key) for key in MODULE_KEYS if key in values}
    password_file: Path | None = values.pop("fingerprint_password_file", None)
    if password_file is not None:
        if "fingerprint_password" in settings:
            raise ConfigError(
                "give fingerprint_password or fingerprint_password_file, not both"
            )
        try:
            text = password_file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as err:
            reason = getattr(err, "strerror", None) or "not ASCII text"
            raise ConfigError(
                f"cannot read fingerprint_password_file {password_file}: {reason}"
            ) from None
        try:
            settings["fingerprint_password"] = _u32(text)
        except vol.Invalid:
            raise ConfigError(
                f"fingerprint_password_file {password_file}: expected 4 bytes in hex"
            ) from None
    try:
        return ModuleSettings(**settings)
    except ValueError as err:
        raise ConfigError(f"invalid configuration: {err}") from None


def load(
    flags: Mapping[str, Any],
    environ: Mapping[str, str],
    config_file: Path | None = None,
) -> Config:
    """Combine defaults, ``config_file``, ``environ`` and command-line ``flags``."""
    file_values = read_file(config_file) if config_file is not None else {}
    return build(file_values, from_environment(environ), flags)
