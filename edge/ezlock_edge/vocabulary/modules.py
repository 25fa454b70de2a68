"""How the biometric modules on the UARTs are set up: what a module configured elsewhere keeps.

An R503 fingerprint module keeps its address, password and baud rate in flash (manual
V1.4.1, SetAdder, SetPwd, SetSysPara); a face or palm module keeps its baud rate. The
lock must be told them (config file, environment, flags). Shared by the configuration,
the app and the drivers; the password is a secret: never in a repr, a log or an answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FINGERPRINT_ADDRESS = 0xFFFFFFFF
"""The R503's factory address."""
FINGERPRINT_PASSWORD = 0x00000000
"""The R503's factory password: with it the module asks for no VfyPwd."""
FINGERPRINT_BAUDRATE = 57600
"""The R503's factory rate (N = 6)."""
FINGERPRINT_BAUDRATES = frozenset(9600 * n for n in (1, 2, 4, 6, 12))
"""9600 * N with N = 1, 2, 4, 6, 12 (SetSysPara parameter 4)."""
BIOMETRIC_BAUDRATE = 115200
"""The FM22x face module's (and the palm module's) factory rate."""
BIOMETRIC_BAUDRATES = frozenset(
    (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1500000)
)
"""Rates an FM22x-family module can be set to (CONFIG_BAUDRATE)."""


@dataclass(frozen=True, slots=True)
class ModuleSettings:
    """The biometric modules' own settings, as they are (factory values by default)."""

    fingerprint_address: int = FINGERPRINT_ADDRESS
    fingerprint_password: int = field(default=FINGERPRINT_PASSWORD, repr=False)
    fingerprint_baudrate: int = FINGERPRINT_BAUDRATE
    face_baudrate: int = BIOMETRIC_BAUDRATE
    palm_baudrate: int = BIOMETRIC_BAUDRATE

    def __post_init__(self) -> None:
        """Refuse values no module can have (the message never shows the password)."""
        for name, value in (
            ("fingerprint_address", self.fingerprint_address),
            ("fingerprint_password", self.fingerprint_password),
        ):
            if isinstance(value, bool) or not 0 <= value <= 0xFFFFFFFF:
                raise ValueError(f"{name} must be 4 bytes (00000000 to FFFFFFFF)")
        if self.fingerprint_baudrate not in FINGERPRINT_BAUDRATES:
            raise ValueError(
                "fingerprint_baudrate must be 9600 x 1, 2, 4, 6 or 12 (R503 SetSysPara)"
            )
        for name, rate in (
            ("face_baudrate", self.face_baudrate),
            ("palm_baudrate", self.palm_baudrate),
        ):
            if rate not in BIOMETRIC_BAUDRATES:
                rates = ", ".join(str(r) for r in sorted(BIOMETRIC_BAUDRATES))
                raise ValueError(f"{name} must be one of {rates}")

    @property
    def password_set(self) -> bool:
        """Whether the fingerprint module has a password of its own."""
        return self.fingerprint_password != FINGERPRINT_PASSWORD

    def described(self) -> dict[str, str | int]:
        """Return the settings for people to read, the password masked."""
        return {
            "fingerprint_address": f"{self.fingerprint_address:08X}",
            "fingerprint_password": "********" if self.password_set else "default",
            "fingerprint_baudrate": self.fingerprint_baudrate,
            "face_baudrate": self.face_baudrate,
            "palm_baudrate": self.palm_baudrate,
        }
