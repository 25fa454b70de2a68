"""Hatch build hook: put the firmware's portable packages into the (non-editable) wheel.

An editable install reaches them through ``dev-mode-dirs`` instead, so edits to
``firmware/`` are live in development.
"""

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_FIRMWARE = Path(__file__).parent.parent / "firmware"


class ShipFirmware(BuildHookInterface):  # type: ignore[type-arg]
    """Force-include ``ezlock_mcu`` and ``ezlock_mcu_sim`` in a regular wheel."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Add the two package directories unless this is an editable build."""
        if version == "editable":
            return
        build_data["force_include"][str(_FIRMWARE / "lib" / "ezlock_mcu")] = (
            "ezlock_mcu"
        )
        build_data["force_include"][str(_FIRMWARE / "sim" / "ezlock_mcu_sim")] = (
            "ezlock_mcu_sim"
        )
