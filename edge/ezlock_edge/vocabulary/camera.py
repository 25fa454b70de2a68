"""The camera's vocabulary: what the live view is asked for, and how a camera fails.

Shared by the camera drivers (``devices.camera``, the simulator's camera) and the core.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH_RANGE = (160, 1920)
HEIGHT_RANGE = (120, 1080)
FPS_RANGE = (1, 15)
"""Frames per second of the live view: enough to see who is there, little enough for a
battery lock's board and Wi-Fi."""
QUALITY_RANGE = (30, 95)


class CameraError(Exception):
    """The camera cannot deliver frames: missing, unplugged, or no usable format."""


@dataclass(frozen=True, slots=True)
class CameraSettings:
    """Size, rate and JPEG quality of the live view (checked against the ranges)."""

    width: int = 640
    height: int = 480
    fps: int = 5
    quality: int = 80

    def __post_init__(self) -> None:
        """Refuse settings outside the bounds a small board can serve."""
        for name, value, (low, high) in (
            ("width", self.width, WIDTH_RANGE),
            ("height", self.height, HEIGHT_RANGE),
            ("fps", self.fps, FPS_RANGE),
            ("quality", self.quality, QUALITY_RANGE),
        ):
            if isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"camera {name} must be within {low}..{high}")
