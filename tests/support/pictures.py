"""Pictures the camera serves, checked with FFmpeg's decoder and MJPEG demuxer (PyAV).

Not with Pillow, whose libjpeg-turbo encoded them: a second implementation, strict
about errors (``err_detect=explode``), reads what the edge driver and Home Assistant
serve. Shared by the edge, integration and browser tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import io

import av
import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Picture:
    """A decoded frame: its size and its pixels (RGB)."""

    width: int
    height: int
    rgb: NDArray[np.uint8]

    def mean(
        self, left: float, top: float, right: float, bottom: float
    ) -> NDArray[np.float64]:
        """Return the mean colour of a box given in fractions of the picture."""
        box = self.rgb[
            int(top * self.height) : int(bottom * self.height),
            int(left * self.width) : int(right * self.width),
        ]
        return np.asarray(box.reshape(-1, 3).mean(axis=0), dtype=np.float64)


def _decode(data: bytes, container_format: str) -> list[Picture]:
    with av.open(io.BytesIO(data), mode="r", format=container_format) as container:
        stream = container.streams.video[0]
        stream.codec_context.options = {"err_detect": "explode"}
        return [
            Picture(
                frame.width,
                frame.height,
                np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8),
            )
            for frame in container.decode(stream)
        ]


def decode_jpeg(data: bytes) -> Picture:
    """Decode one JPEG with FFmpeg; fail on anything but exactly one valid picture."""
    assert data[:2] == b"\xff\xd8", "no JPEG start-of-image marker"
    pictures = _decode(data, "jpeg_pipe")
    assert len(pictures) == 1
    return pictures[0]


def decode_mjpeg(parts: Sequence[bytes]) -> list[Picture]:
    """Demux and decode MJPEG parts (as received, boundary and headers included)."""
    return _decode(b"".join(parts), "mpjpeg")


def has_person(picture: Picture) -> bool:
    """Whether the visitor's coat (the simulated scene's PERSON colour) fills the view."""
    red, green, blue = picture.mean(0.4, 0.8, 0.6, 0.95)
    return bool(abs(red - 36) < 20 and abs(green - 90) < 20 and abs(blue - 160) < 20)


def is_night(picture: Picture) -> bool:
    """Whether the simulated scene's sky (top middle, above the houses) is its night sky."""
    red, green, blue = picture.mean(0.4, 0.1, 0.6, 0.15)
    return bool(red < 60 and green < 60 and blue < 90)
