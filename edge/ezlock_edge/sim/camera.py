"""The simulated lock's camera: real JPEG frames of the scene at the door.

The scene is who stands at the door (a name, or nobody) and the time: someone who uses
the keypad, presents a face, palm, finger, Bluetooth key or mechanical key, or who just
comes to the door (the ``at_door`` action), is in view for :data:`STAY_SECONDS` after
their last action. Each frame is drawn with Pillow (imported at the first frame, so a
lock nobody watches never loads it) and encoded as baseline JPEG, as the MJPEG stream of
a real camera would deliver it; the scene is drawn once per visitor and daylight, each
frame adds only its time (about 2 ms of CPU a frame at 640x480 instead of 3.5-5). The time overlay (and whether it is day or night) is
the lock's: its injected clock, so a test that moves its clock sees the picture move with
it, in the lock's configured time zone, not the host's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import tzinfo
import functools
import io
from typing import TYPE_CHECKING

from ezlock_edge.clock import Clock, local_time_zone
from ezlock_edge.vocabulary.camera import CameraError, CameraSettings

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

STAY_SECONDS = 30.0
"""Seconds a person stays in view after their last action at the door."""
SOMEONE = "someone"
"""The name shown for a person the lock does not know (keypad, doorbell, key)."""

# Colours of the scene (RGB): day, night.
_SKY = ((168, 196, 222), (18, 24, 48))
_LAWN = ((96, 150, 80), (24, 44, 28))
_PATH = ((186, 178, 164), (92, 86, 74))
_HOUSE = ((210, 190, 170), (52, 48, 56))
_ROOF = ((150, 70, 60), (40, 30, 34))
_WINDOW = ((120, 150, 180), (250, 214, 120))
PERSON = (36, 90, 160)
"""The visitor's coat: a colour nothing else in the scene has (tests look for it)."""
_SKIN = (224, 182, 150)
_DARK = (40, 30, 30)
_TEXT, _SHADOW = (255, 255, 255), (0, 0, 0)


@dataclass(slots=True)
class _Person:
    name: str
    until: float  # clock.monotonic() when they walk away


class DoorScene:
    """Who is in front of the door now, on the lock's clock."""

    def __init__(self, clock: Clock) -> None:
        """Start with nobody at the door."""
        self._clock = clock
        self._person: _Person | None = None

    def arrive(self, name: str = SOMEONE) -> None:
        """Someone comes to the door (or, already there, acts again and stays longer).

        A known name is kept when the same person goes on with an anonymous action
        (a face seen, then the doorbell pressed).
        """
        until = self._clock.monotonic() + STAY_SECONDS
        if name == SOMEONE and self._person is not None and self.present is not None:
            name = self._person.name
        self._person = _Person(name, until)

    def leave(self) -> None:
        """Whoever is at the door walks away."""
        self._person = None

    @property
    def present(self) -> str | None:
        """Return the name of who is at the door now, or None."""
        person = self._person
        if person is None or self._clock.monotonic() > person.until:
            return None
        return person.name


class SimulatedCamera:
    """A camera source (the core's ``CameraSource``) that draws the scene."""

    def __init__(
        self,
        scene: DoorScene,
        clock: Clock,
        label: str = "FRONT DOOR",
        time_zone: tzinfo | None = None,
    ) -> None:
        """Film ``scene``; ``label`` is printed in the corner, as on a real camera.

        ``time_zone`` is the lock's (default the board's own): the time printed in the
        picture is local time there.
        """
        self._scene = scene
        self._clock = clock
        self._label = label
        self.time_zone = time_zone or local_time_zone()
        self._settings: CameraSettings | None = None
        self.connected = True
        """False: the camera's cable is pulled (every open and read fails)."""
        self.frames = 0
        """Frames delivered since the simulator started."""
        self.on = False
        """Whether the camera is powered up (opened and not closed)."""

    async def open(self, settings: CameraSettings) -> None:
        """Power the camera up for ``settings``."""
        self._check()
        try:
            import PIL  # noqa: F401, PLC0415 - only when a camera is used
        except ImportError as err:
            raise CameraError(
                "the simulated camera needs Pillow: install ezlock-edge[camera]"
            ) from err
        self._settings = settings
        self.on = True

    async def read(self) -> bytes:
        """Return the next frame: the scene now, as JPEG."""
        self._check()
        settings = self._settings
        if settings is None:
            raise CameraError("the camera is not open")
        visitor = self._scene.present
        now = self._clock.now().astimezone(self.time_zone)
        stamp = now.strftime("%Y-%m-%d %H:%M:%S")
        jpeg = await asyncio.to_thread(
            _render, settings, visitor, stamp, 7 <= now.hour < 19, self._label
        )
        self.frames += 1
        return jpeg

    async def close(self) -> None:
        """Power the camera down."""
        self._settings = None
        self.on = False

    def _check(self) -> None:
        if not self.connected:
            raise CameraError("the simulated camera is disconnected")


def _render(
    settings: CameraSettings, visitor: str | None, stamp: str, day: bool, label: str
) -> bytes:
    """Draw the view from the door with the time on it, as JPEG."""
    from PIL import ImageDraw  # noqa: PLC0415 - see the module doc

    width, height = settings.width, settings.height
    image = _scene(width, height, visitor, day, label).copy()
    inset = max(4, width // 40)
    _caption(
        ImageDraw.Draw(image), (inset, inset), stamp, _font(height // 24, 10), "la"
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=settings.quality)
    return buffer.getvalue()


@functools.lru_cache(maxsize=8)
def _scene(
    width: int, height: int, visitor: str | None, day: bool, label: str
) -> Image.Image:
    """Draw all but the time: lawn, path, the houses across, whoever is there.

    Only the time changes from one frame to the next, so the rest is drawn once per
    visitor and daylight (a few of them kept): a frame costs the time and the encoding.
    The cached picture is only ever copied, never drawn on.
    """
    from PIL import Image, ImageDraw  # noqa: PLC0415 - see the module doc

    light = 0 if day else 1
    horizon = height * 2 // 5
    image = Image.new("RGB", (width, height), _SKY[light])
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, horizon, width, height), fill=_LAWN[light])
    draw.polygon(
        [
            (width * 9 // 20, horizon),
            (width * 11 // 20, horizon),
            (width * 4 // 5, height),
            (width // 5, height),
        ],
        fill=_PATH[light],
    )
    for left in (width // 16, width * 11 // 16):  # the houses across the street
        right, top = left + width // 4, horizon - height // 6
        draw.rectangle((left, top, right, horizon), fill=_HOUSE[light])
        draw.polygon(
            [(left, top), (right, top), ((left + right) // 2, top - height // 10)],
            fill=_ROOF[light],
        )
        pane = width // 24
        for x in (left + pane, right - 2 * pane):
            draw.rectangle(
                (x, top + pane // 2, x + pane, top + pane * 3 // 2), fill=_WINDOW[light]
            )
    if visitor is not None:
        _person(draw, width, height)
        big = _font(height // 16, 12)
        _caption(draw, (width // 2, height - height // 12), visitor, big, "mm")
    inset = max(4, width // 40)
    _caption(draw, (width - inset, inset), label, _font(height // 24, 10), "ra")
    return image


@functools.lru_cache(maxsize=4)
def _font(size: int, least: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont  # noqa: PLC0415 - see the module doc

    return ImageFont.load_default(size=max(least, size))


def _person(draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    """Draw a visitor close to the lens: head and shoulders fill the lower middle."""
    centre, head, top = width // 2, height // 7, height * 3 // 10
    draw.rounded_rectangle(
        (centre - 3 * head, top + 2 * head, centre + 3 * head, height + head),
        radius=head,
        fill=PERSON,
    )
    draw.ellipse((centre - head, top, centre + head, top + 2 * head), fill=_SKIN)
    eye, eyes_y = max(2, head // 6), top + head * 4 // 5
    for x in (centre - head * 2 // 5, centre + head * 2 // 5):
        draw.ellipse((x - eye, eyes_y - eye, x + eye, eyes_y + eye), fill=_DARK)
    mouth = top + head * 7 // 5
    draw.arc(
        (centre - head // 3, mouth - head // 4, centre + head // 3, mouth + head // 6),
        20,
        160,
        fill=_DARK,
        width=max(1, head // 12),
    )


def _caption(
    draw: ImageDraw.ImageDraw,
    at: tuple[int, int],
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    anchor: str,
) -> None:
    draw.text(
        at,
        text,
        font=font,
        fill=_TEXT,
        anchor=anchor,
        stroke_width=2,
        stroke_fill=_SHADOW,
    )
