"""The V4L2 driver of the camera at the door.

A camera source delivers JPEG frames. On the board that is a V4L2 capture device
(``/dev/video0``: a USB camera, or a camera whose driver exposes a V4L2 capture node),
driven through linuxpy: it negotiates the format, maps the kernel's buffers and streams,
so nothing here issues an ioctl by hand. Where the camera offers Motion-JPEG its frames
pass through untouched (no decode, no re-encode: the board's CPU stays idle); a camera
that only offers YUYV 4:2:2 has each frame encoded to JPEG by Pillow (libjpeg-turbo).
Both libraries are imported when the camera is first opened, never by a lock without
one (``pip install ezlock-edge[camera]``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import select
from typing import Any

from ezlock_edge.vocabulary.camera import CameraError, CameraSettings

READ_TIMEOUT = 2.0
"""Seconds the driver waits for the camera's next frame before calling it failed."""
_BUFFERS = 2


class V4l2Camera:
    """A V4L2 capture device as a camera source."""

    def __init__(self, path: str, *, read_timeout: float = READ_TIMEOUT) -> None:
        """Drive the capture node at ``path`` (``/dev/video0``)."""
        self.path = path
        self._read_timeout = read_timeout
        self._device: Any = None
        self._capture: Any = None
        self._encode: tuple[int, int] | None = None  # YUYV frame size, None for MJPEG
        self._quality = 80

    async def open(self, settings: CameraSettings) -> None:
        """Open the device and start streaming the best format it offers.

        Cancelled while the thread opens it (the last viewer left, a timeout), it
        lets the thread finish and closes what it opened: else the device would stay
        open with nobody left to close it.
        """
        opening = asyncio.ensure_future(asyncio.to_thread(self._open, settings))
        try:
            await asyncio.shield(opening)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await opening
            await self.close()
            raise
        except CameraError:
            await self.close()
            raise
        except (OSError, ValueError) as err:
            await self.close()
            raise CameraError(f"{self.path}: {err}") from err

    async def read(self) -> bytes:
        """Return the camera's next frame as JPEG."""
        if self._capture is None:
            raise CameraError(f"{self.path} is not open")
        try:
            data = await asyncio.to_thread(self._next_frame)
        except OSError as err:
            raise CameraError(f"{self.path}: {err}") from err
        if self._encode is None:
            return data
        width, height = self._encode
        return await asyncio.to_thread(yuyv_to_jpeg, data, width, height, self._quality)

    async def close(self) -> None:
        """Stop streaming and close the device, even if the caller is cancelled.

        Shielded: a cancelled ``to_thread`` whose thread has not started yet is
        dropped, and the device would stay open with nobody left to close it.
        """
        capture, device = self._capture, self._device
        self._capture = self._device = None
        await asyncio.shield(asyncio.to_thread(_close, capture, device))

    def _open(self, settings: CameraSettings) -> None:
        try:
            from linuxpy.video.device import (  # noqa: PLC0415 - only with a camera
                BufferType,
                Device,
                PixelFormat,
                VideoCapture,
            )
        except ImportError as err:
            raise CameraError(
                "V4L2 capture needs linuxpy: install ezlock-edge[camera]"
            ) from err
        device = Device(self.path, blocking=False)
        self._device = device
        device.open()
        offered = {
            fmt.pixel_format
            for fmt in device.info.formats
            if fmt.type == BufferType.VIDEO_CAPTURE
        }
        if PixelFormat.MJPEG in offered:
            fourcc = "MJPG"
        elif PixelFormat.YUYV in offered:
            fourcc = "YUYV"
        else:
            raise CameraError(
                f"{self.path} offers neither MJPEG nor YUYV "
                f"({', '.join(sorted(fmt.name for fmt in offered)) or 'nothing'})"
            )
        capture = VideoCapture(device, size=_BUFFERS)
        capture.set_format(settings.width, settings.height, fourcc)
        actual = capture.get_format()  # the driver picks its nearest size
        with contextlib.suppress(OSError):  # fixed-rate cameras: the core paces
            capture.set_fps(settings.fps)
        self._encode = (actual.width, actual.height) if fourcc == "YUYV" else None
        self._quality = settings.quality
        capture.open()
        self._capture = capture

    def _next_frame(self) -> bytes:
        ready, _, _ = select.select((self._device,), (), (), self._read_timeout)
        if not ready:
            raise CameraError(
                f"{self.path} delivered no frame in {self._read_timeout} s"
            )
        return bytes(self._capture.buffer.raw_read())


def yuyv_to_jpeg(data: bytes, width: int, height: int, quality: int) -> bytes:
    """Encode one packed YUYV 4:2:2 frame (Y0 U Y1 V per pixel pair) as JPEG."""
    from PIL import Image  # noqa: PLC0415 - only with a camera

    nearest = Image.Resampling.NEAREST  # each chroma sample covers two pixels
    if len(data) < width * height * 2:
        raise CameraError(f"short YUYV frame: {len(data)} bytes for {width}x{height}")
    frame = data[: width * height * 2]
    luma = Image.frombytes("L", (width, height), frame[0::2])
    half = (width // 2, height)
    blue = Image.frombytes("L", half, frame[1::4]).resize((width, height), nearest)
    red = Image.frombytes("L", half, frame[3::4]).resize((width, height), nearest)
    buffer = io.BytesIO()
    Image.merge("YCbCr", (luma, blue, red)).save(
        buffer, "JPEG", quality=quality, subsampling="4:2:2"
    )
    return buffer.getvalue()


def _close(capture: Any, device: Any) -> None:
    if capture is not None:
        with contextlib.suppress(OSError):  # unplugged: nothing left to stop
            capture.close()
    if device is not None:
        device.close()
