"""The V4L2 camera driver (devices/camera.py) through linuxpy, on a V4L2 device in the test.

No camera and no v4l2loopback here: ``v4l2_support.FakeV4l2Device`` is a device node
whose ioctls and mmap are answered as the V4L2 UAPI says (the real kernel does open,
select and close). linuxpy and the driver run unchanged; the pictures they deliver are
decoded by FFmpeg (tests.support.pictures).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
import contextlib
import io
from pathlib import Path
import sys
import threading
from types import SimpleNamespace
from typing import Any

import linuxpy.ioctl
from PIL import Image
import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.devices.camera import V4l2Camera
from ezlock_edge.vocabulary.camera import CameraError, CameraSettings
from tests.support.lock import create_first_admin, sim_of
from tests.support.pictures import decode_jpeg
from tests.support.waiting import eventually

from .api_support import client_for, pair, running_edge
from .camera_support import MjpegReader
from .v4l2_support import GREY, MJPEG, YUYV, FakeV4l2Device

Frames = Callable[[int, int, int], bytes]


def _jpeg(width: int, height: int, shade: int) -> bytes:
    """Make a camera's own Motion-JPEG frame: one grey of ``shade``."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (shade, shade, shade)).save(buffer, "JPEG")
    return buffer.getvalue()


class MjpegCamera:
    """Frames of a Motion-JPEG camera, each a little lighter; keeps what it sent."""

    def __init__(self) -> None:
        """Start with nothing sent."""
        self.sent: list[bytes] = []

    def __call__(self, width: int, height: int, pixelformat: int) -> bytes:
        """Make the next frame."""
        assert pixelformat == MJPEG
        self.sent.append(_jpeg(width, height, 40 + 10 * len(self.sent)))
        return self.sent[-1]


def _red_and_blue(width: int, height: int, pixelformat: int) -> bytes:
    """Make a YUYV 4:2:2 frame (BT.601): the left half red, the right half blue."""
    assert pixelformat == YUYV
    red = bytes((76, 85, 76, 255))  # Y0 U Y1 V of two red pixels
    blue = bytes((29, 255, 29, 107))
    return (red * (width // 4) + blue * (width // 4)) * height


@pytest.fixture
def make_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., FakeV4l2Device]]:
    """Make a V4L2 capture node at ``tmp_path/video0`` that linuxpy's calls reach."""
    made: list[FakeV4l2Device] = []

    def make(
        formats: tuple[int, ...],
        sizes: tuple[tuple[int, int], ...],
        frames: Frames,
        **options: tuple[int, ...] | None,
    ) -> FakeV4l2Device:
        device = FakeV4l2Device(tmp_path / "video0", formats, sizes, frames, **options)
        device.install(monkeypatch)
        made.append(device)
        return device

    yield make
    for device in made:
        device.close()


@pytest.fixture
async def opened() -> AsyncIterator[list[V4l2Camera]]:
    """Close every camera a test opened, even when it failed half-way."""
    cameras: list[V4l2Camera] = []
    yield cameras
    for camera in cameras:
        await camera.close()


async def test_mjpeg_frames_pass_through_as_the_camera_made_them(
    make_device: Callable[..., FakeV4l2Device], opened: list[V4l2Camera]
) -> None:
    """MJPEG is chosen over YUYV and its frames are not re-encoded; close frees all."""
    frames = MjpegCamera()
    device = make_device((YUYV, MJPEG), ((1280, 720), (640, 480), (320, 240)), frames)
    camera = V4l2Camera(str(device.path))
    opened.append(camera)
    await camera.open(CameraSettings(width=640, height=480, fps=5))
    assert (device.pixelformat, device.width, device.height) == (MJPEG, 640, 480)
    assert device.fps == 5
    assert device.streaming
    assert device.mapped == len(device.buffers) == 2
    first, second, third = [await camera.read() for _ in range(3)]
    assert [first, second, third] == frames.sent[:3]  # byte for byte
    assert [decode_jpeg(frame).width for frame in (first, third)] == [640, 640]
    await camera.close()
    assert (device.streaming, device.mapped, device.buffers) == (False, 0, [])
    assert device.opened() == 0
    # In the order the V4L2 documentation asks for: capabilities and formats, the
    # format and rate, buffers requested, queried, mapped and queued, then streaming;
    # at the end streaming off before the buffers are freed.
    assert device.calls[:3] == ["QUERYCAP", "ENUM_FMT", "ENUM_FMT"]
    setup = device.calls[device.calls.index("S_FMT") :]
    assert setup[:9] == [
        "S_FMT",
        "G_FMT",
        "S_PARM",
        "G_FMT",
        "REQBUFS",
        "QUERYBUF",
        "QUERYBUF",
        "QBUF",
        "QBUF",
    ]
    assert setup[9:12] == ["G_FMT", "STREAMON", "DQBUF"]
    assert device.calls[-2:] == ["STREAMOFF", "REQBUFS"]


async def test_a_yuyv_camera_is_encoded_at_the_size_it_chose(
    make_device: Callable[..., FakeV4l2Device], opened: list[V4l2Camera]
) -> None:
    """Only YUYV, and no 640x480: the driver's nearest size, encoded to JPEG here."""
    device = make_device((YUYV,), ((320, 240), (160, 120)), _red_and_blue)
    camera = V4l2Camera(str(device.path))
    opened.append(camera)
    await camera.open(CameraSettings(width=640, height=480, quality=90))
    picture = decode_jpeg(await camera.read())
    assert (picture.width, picture.height) == (320, 240)
    left = picture.mean(0.05, 0.1, 0.4, 0.9)
    right = picture.mean(0.6, 0.1, 0.95, 0.9)
    assert left[0] > 220 and left[1] < 30 and left[2] < 30, left
    assert right[2] > 220 and right[0] < 30 and right[1] < 30, right


async def test_a_camera_with_neither_format_is_refused_and_closed(
    make_device: Callable[..., FakeV4l2Device],
) -> None:
    device = make_device((GREY,), ((640, 480),), MjpegCamera())
    with pytest.raises(CameraError, match=r"neither MJPEG nor YUYV \(GREY\)"):
        await V4l2Camera(str(device.path)).open(CameraSettings())
    assert device.opened() == 0
    assert "S_FMT" not in device.calls


async def test_a_fixed_rate_camera_is_paced_by_the_driver(
    make_device: Callable[..., FakeV4l2Device], opened: list[V4l2Camera]
) -> None:
    """A camera whose frame rate cannot be set (S_PARM unsupported) still streams."""
    frames = MjpegCamera()
    device = make_device((MJPEG,), ((640, 480),), frames, fps=None)
    camera = V4l2Camera(str(device.path))
    opened.append(camera)
    await camera.open(CameraSettings(fps=2))
    assert await camera.read() == frames.sent[0]
    assert "S_PARM" in device.calls


async def test_a_camera_that_stalls_is_an_error_until_it_delivers(
    make_device: Callable[..., FakeV4l2Device], opened: list[V4l2Camera]
) -> None:
    frames = MjpegCamera()
    device = make_device((MJPEG,), ((640, 480),), frames)
    device.producing = False
    camera = V4l2Camera(str(device.path), read_timeout=0.05)
    opened.append(camera)
    await camera.open(CameraSettings())
    with pytest.raises(CameraError, match=r"delivered no frame in 0\.05 s"):
        await camera.read()
    device.deliver()
    assert await camera.read() == frames.sent[0]


async def test_an_unplugged_camera_fails_and_closes_cleanly(
    make_device: Callable[..., FakeV4l2Device],
) -> None:
    device = make_device((MJPEG,), ((640, 480),), MjpegCamera())
    camera = V4l2Camera(str(device.path))
    await camera.open(CameraSettings())
    await camera.read()
    device.unplug()
    with pytest.raises(CameraError, match="No such device"):
        await camera.read()
    await camera.close()  # nothing left to stop: no error
    assert device.opened() == 0
    with pytest.raises(CameraError, match="not open"):
        await camera.read()


@contextlib.asynccontextmanager
async def busy_executor() -> AsyncIterator[threading.Event]:
    """Give the loop a one-thread default executor, busy until the event is set.

    What ``asyncio.to_thread`` hands it meanwhile waits in its queue, not started.
    """
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
    gate = threading.Event()
    busy = loop.run_in_executor(None, gate.wait)
    try:
        yield gate
    finally:
        gate.set()
        await busy


async def test_a_close_cancelled_before_its_thread_starts_still_closes(
    make_device: Callable[..., FakeV4l2Device], opened: list[V4l2Camera]
) -> None:
    """A cancelled ``to_thread`` that has not started is dropped: close is shielded.

    The capture task is cancelled in its ``finally: await source.close()`` when the
    last viewer leaves as the edge stops; the device stayed open, nobody to close it.
    """
    device = make_device((MJPEG,), ((640, 480),), MjpegCamera())
    camera = V4l2Camera(str(device.path))
    opened.append(camera)
    await camera.open(CameraSettings())
    assert device.opened() == 1
    async with busy_executor():
        closing = asyncio.ensure_future(camera.close())
        await asyncio.sleep(0)  # close has handed its work to the busy executor
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
    await eventually(lambda: device.opened() == 0, "the device closed")


async def test_an_open_cancelled_while_its_thread_opens_closes_what_it_opened(
    make_device: Callable[..., FakeV4l2Device],
    opened: list[V4l2Camera],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The thread goes on opening after the caller is cancelled; open then closes it."""
    device = make_device((MJPEG,), ((640, 480),), MjpegCamera())
    answer = linuxpy.ioctl.fcntl.ioctl
    inside, release = threading.Event(), threading.Event()

    def held(*args: Any) -> Any:
        inside.set()  # the node is open: linuxpy asks what it is
        release.wait()
        return answer(*args)

    monkeypatch.setattr(linuxpy.ioctl, "fcntl", SimpleNamespace(ioctl=held))
    camera = V4l2Camera(str(device.path))
    opened.append(camera)
    opening = asyncio.ensure_future(camera.open(CameraSettings()))
    await asyncio.to_thread(inside.wait)
    assert device.opened() == 1
    opening.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await opening
    assert device.opened() == 0


async def test_without_linuxpy_the_camera_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "linuxpy.video.device", None)
    with pytest.raises(CameraError, match=r"install ezlock-edge\[camera\]"):
        await V4l2Camera(str(tmp_path / "video0")).open(CameraSettings())


async def test_the_edge_serves_a_v4l2_camera(
    make_device: Callable[..., FakeV4l2Device], tmp_path: Path
) -> None:
    """``camera = "/dev/video0"``: snapshot and live view are the camera's own frames."""
    frames = MjpegCamera()
    device = make_device((MJPEG,), ((640, 480),), frames)
    clock = ManualClock()
    async with (
        running_edge(tmp_path / "edge", clock, camera=str(device.path)) as edge,
        client_for(edge) as api,
    ):
        await create_first_admin(sim_of(edge))
        await pair(api)
        snapshot = await api.call("GET", "/camera/snapshot")
        assert snapshot.status == 200
        assert snapshot.body in frames.sent
        async with api.session.get(
            f"{edge.url}/api/v1/camera/stream",
            headers={"Authorization": f"Bearer {api.token}"},
            ssl=api.ssl,
        ) as response:
            live = MjpegReader(response)
            part = await live.part()
            assert part in frames.sent
            assert part != snapshot.body  # a new capture: the camera was closed between
        assert (await api.call("GET", "/state")).body["camera"]["available"]
