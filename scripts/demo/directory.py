"""The demo's throwaway directory: Home Assistant's config and the edge driver's data."""

from __future__ import annotations

from pathlib import Path
import shutil

from .errors import DemoError

ROOT = Path(__file__).resolve().parents[2]
MARKER = ".ezlock-demo"
"""A directory is only ever wiped if this file says the demo made it."""


def prepare(base: Path) -> None:
    """Make a fresh demo directory: Home Assistant's config, the edge driver's data."""
    if base.exists():
        if not (base / MARKER).exists() and any(base.iterdir()):
            raise DemoError(
                f"{base} exists and was not made by the demo; not wiping it"
            )
        shutil.rmtree(base)
    config = base / "ha"
    (config / "custom_components").mkdir(parents=True)
    (base / "edge").mkdir()
    (base / MARKER).write_text("made by scripts/demo; deleted on its next run\n")
    (config / "custom_components" / "ezlock").symlink_to(
        ROOT / "custom_components" / "ezlock"
    )
    configuration = (ROOT / "config" / "configuration.yaml").read_text()
    http = "\nhttp:\n"
    if http not in configuration:
        raise DemoError("config/configuration.yaml has no http: section to extend")
    # Loopback only; the port comes from EZLOCK_HA_PORT, which programs.py sets.
    configuration = configuration.replace(
        http, f"{http}  server_host: 127.0.0.1  # added by scripts/demo\n", 1
    )
    (config / "configuration.yaml").write_text(configuration)
