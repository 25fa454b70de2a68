"""The module's flash apart from the template library: password, address, system parameters, notepad."""

from __future__ import annotations

from pathlib import Path

from ezlock_edge.sim import statefile

from .codes import DEFAULT_ADDRESS, DEFAULT_PASSWORD


class Flash:
    """The module's flash, apart from the template library."""

    def __init__(self, path: Path | None) -> None:
        """Read the flash from ``path`` (factory defaults without one, or before a save)."""
        self._path = path
        stored = (statefile.load(path) if path is not None else None) or {}
        self.address: int = stored.get("address", DEFAULT_ADDRESS)
        self.password: int = stored.get("password", DEFAULT_PASSWORD)
        self.security_level: int = stored.get("security_level", 3)
        self.packet_size: int = stored.get("packet_size", 2)
        self.baud_factor: int = stored.get("baud_factor", 6)
        self.notepad: dict[int, bytes] = {
            int(page): bytes.fromhex(content)
            for page, content in stored.get("notepad", {}).items()
        }

    def save(self) -> None:
        """Write the flash to its file (nothing without one)."""
        if self._path is None:
            return
        statefile.save(
            self._path,
            {
                "address": self.address,
                "password": self.password,
                "security_level": self.security_level,
                "packet_size": self.packet_size,
                "baud_factor": self.baud_factor,
                "notepad": {str(p): c.hex() for p, c in sorted(self.notepad.items())},
            },
        )
