"""The simulated lock's identity: model, firmware, capabilities, and its sticker's serial and code."""

from __future__ import annotations

from pathlib import Path
import random
import string

from ezlock_mcu import FIRMWARE_VERSION

from ezlock_edge.sim import statefile
from ezlock_edge.vocabulary.mcu import McuInfo

MODEL = "EZLOCK-SIM-6068"
FIRMWARE = f"{FIRMWARE_VERSION}-sim"
CAPABILITIES = frozenset(
    {
        "bluetooth",
        "door_sensor",
        "emergency_power",
        "face",
        "fingerprint",
        "keypad",
        "palm",
        "siren",
        "tamper",
        "voice",
        "wifi",
    }
)
IDENTITY_FILE = "identity.json"


def lock_info(
    rng: random.Random,
    path: Path | None,
    serial: str | None,
    verification_code: str | None,
) -> McuInfo:
    """Return the lock's identity; serial and code are given, remembered in ``path``, or new."""
    stored = (statefile.load(path) if path is not None else None) or {}
    serial = serial or stored.get("serial") or _new_serial(rng)
    verification_code = (
        verification_code
        or stored.get("verification_code")
        or "".join(rng.choices(string.ascii_uppercase, k=6))
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        statefile.save(path, {"serial": serial, "verification_code": verification_code})
    return McuInfo(
        serial=serial,
        model=MODEL,
        firmware=FIRMWARE,
        verification_code=verification_code,
        capabilities=CAPABILITIES,
    )


def _new_serial(rng: random.Random) -> str:
    return "Q" + "".join(rng.choices(string.digits, k=8))
