"""What a simulated module captures and keeps: images and character files made of a feature.

A simulated template (a "character file") is the 32-byte feature of the presented
identity followed by zeros up to :data:`CHAR_SIZE`; an image is the feature repeated over
:data:`IMAGE_SIZE` bytes. So templates and images uploaded by a host can be downloaded
again (to this or another simulated module) and still match.
"""

from __future__ import annotations

from .codes import CHAR_SIZE, IMAGE_SIZE


def char_file(feature: bytes) -> bytes:
    """Return the character file a module uploads for ``feature``."""
    return feature.ljust(CHAR_SIZE, b"\0")


def image_of(feature: bytes) -> bytes:
    """Return the image a module uploads after capturing the finger of ``feature``."""
    return (feature * (IMAGE_SIZE // len(feature) + 1))[:IMAGE_SIZE]
