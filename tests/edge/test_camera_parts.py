"""The camera's parts on their own.

The snapshot store's bounds, the V4L2 driver's conversion and refusals, the settings'
bounds, the simulated scene.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
import stat
from zoneinfo import ZoneInfo

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.config import ConfigError, build
from ezlock_edge.core.secrets import random_id
from ezlock_edge.core.snapshots import SnapshotStore
from ezlock_edge.devices.camera import V4l2Camera, yuyv_to_jpeg
from ezlock_edge.sim.camera import SOMEONE, STAY_SECONDS, DoorScene, SimulatedCamera
from ezlock_edge.vocabulary.camera import CameraError, CameraSettings
from tests.support.pictures import Picture, decode_jpeg, is_night


def _files(directory: Path) -> list[Path]:
    return list(directory.iterdir())


def _jpeg(size: int) -> bytes:
    return b"\xff\xd8" + bytes(size - 4) + b"\xff\xd9"


async def test_store_keeps_at_most_max_count_oldest_out(tmp_path: Path) -> None:
    clock = ManualClock()
    store = SnapshotStore(tmp_path, clock, max_count=3)
    ids = []
    for _ in range(5):
        ids.append(random_id("sn"))
        await store.add(ids[-1], _jpeg(100), clock.now())
        clock.advance(1)
    assert store.count == 3
    assert [store.get(i) is not None for i in ids] == [False, False, True, True, True]
    assert len(_files(tmp_path)) == 3  # evicted files are deleted


async def test_store_keeps_at_most_max_bytes(tmp_path: Path) -> None:
    clock = ManualClock()
    store = SnapshotStore(tmp_path, clock, max_bytes=1000)
    first, second, third = (random_id("sn") for _ in range(3))
    await store.add(first, _jpeg(400), clock.now())
    await store.add(second, _jpeg(400), clock.now() + timedelta(seconds=1))
    assert store.size == 800
    await store.add(third, _jpeg(400), clock.now() + timedelta(seconds=2))
    assert store.size == 800
    assert store.get(first) is None
    found = store.get(third)
    assert found is not None and found[1] == _jpeg(400)


async def test_store_forgets_after_max_age(tmp_path: Path) -> None:
    clock = ManualClock()
    store = SnapshotStore(tmp_path, clock, max_age=timedelta(days=1))
    kept = random_id("sn")
    await store.add(kept, _jpeg(100), clock.now())
    clock.advance(86_399)
    assert store.get(kept) is not None
    clock.advance(2)
    assert store.get(kept) is None
    assert store.count == 0


async def test_store_files_are_private_and_survive_a_restart(tmp_path: Path) -> None:
    clock = ManualClock()
    directory = tmp_path / "snapshots"
    store = SnapshotStore(directory, clock)
    kept = random_id("sn")
    await store.add(kept, _jpeg(300), clock.now())
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    (path,) = _files(directory)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (directory / "x.jpg.tmp").write_bytes(b"half")  # a write a power cut cut short
    again = SnapshotStore(directory, clock)
    found = again.get(kept)
    assert found is not None
    info, jpeg = found
    assert (info.taken, jpeg) == (clock.now(), _jpeg(300))
    assert not (directory / "x.jpg.tmp").exists()
    again.clear()
    assert again.count == 0
    assert _files(directory) == []


async def test_store_refuses_ids_that_are_not_its_own(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, ManualClock())
    with pytest.raises(ValueError, match="not a snapshot id"):
        await store.add("../../etc/passwd", _jpeg(10), ManualClock().now())
    assert store.get("../../etc/passwd") is None


def test_yuyv_frames_are_encoded_as_jpeg() -> None:
    """A camera without MJPEG: packed YUYV 4:2:2 (BT.601) becomes a JPEG of the same scene."""
    width, height = 64, 32
    red = bytes((76, 85, 76, 255))  # Y0 U Y1 V of two red pixels
    blue = bytes((29, 255, 29, 107))
    row = red * (width // 4) + blue * (width // 4)
    picture = decode_jpeg(yuyv_to_jpeg(row * height, width, height, 90))
    assert (picture.width, picture.height) == (width, height)
    left = picture.mean(0.05, 0.1, 0.4, 0.9)
    right = picture.mean(0.6, 0.1, 0.95, 0.9)
    assert left[0] > 220 and left[1] < 30 and left[2] < 30, left
    assert right[2] > 220 and right[0] < 30 and right[1] < 30, right
    with pytest.raises(CameraError, match="short YUYV frame"):
        yuyv_to_jpeg(row, width, height, 90)


async def test_a_missing_v4l2_device_is_a_camera_error(tmp_path: Path) -> None:
    camera = V4l2Camera(str(tmp_path / "video0"))
    with pytest.raises(CameraError, match="video0"):
        await camera.open(CameraSettings())
    with pytest.raises(CameraError, match="not open"):
        await camera.read()
    await camera.close()


async def test_a_file_that_is_no_camera_is_refused(tmp_path: Path) -> None:
    not_a_camera = tmp_path / "video0"
    not_a_camera.write_bytes(b"")
    with pytest.raises(CameraError):
        await V4l2Camera(str(not_a_camera)).open(CameraSettings())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("width", 159),
        ("width", 1921),
        ("height", 119),
        ("height", 1081),
        ("fps", 0),
        ("fps", 16),
        ("quality", 29),
        ("quality", 96),
        ("fps", True),
    ],
)
def test_camera_settings_are_bounded(field: str, value: int) -> None:
    with pytest.raises(ValueError, match=field):
        CameraSettings(**{field: value})
    with pytest.raises(ConfigError, match=field):
        build({f"camera_{field}": value})


def test_camera_settings_from_the_config() -> None:
    config = build(
        {"camera": "/dev/video0", "camera_width": "320", "camera_fps": 2},
        {"camera_height": 240},
    )
    assert config.camera == "/dev/video0"
    assert config.camera_settings == CameraSettings(width=320, height=240, fps=2)
    assert build({}).camera_settings == CameraSettings()
    with pytest.raises(ConfigError, match="camera_fps"):
        build({"camera_fps": "fast"})


def test_the_scene_remembers_who_came_for_a_while() -> None:
    clock = ManualClock()
    scene = DoorScene(clock)
    seen = []
    scene.arrive("alice")
    scene.arrive()  # alice rings the bell: still alice
    seen.append(scene.present)
    clock.advance(STAY_SECONDS + 0.1)
    seen.append(scene.present)
    scene.arrive()
    seen.append(scene.present)
    scene.leave()
    seen.append(scene.present)
    assert seen == ["alice", None, SOMEONE, None]


async def test_the_simulated_camera_shows_the_lock_s_local_time() -> None:
    """The picture's clock and daylight are the lock's time zone's, on the lock's clock.

    At 12:00 UTC it is day in London and 01:00 at night in Auckland (UTC+13 in
    December), whatever the host's own zone: Auckland's picture is the same as one
    from a zone with the same local time (Etc/GMT-13), and not London's.
    """
    noon = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    async def picture(zone: str) -> Picture:
        clock = ManualClock(noon)
        camera = SimulatedCamera(DoorScene(clock), clock, time_zone=ZoneInfo(zone))
        await camera.open(CameraSettings())
        return decode_jpeg(await camera.read())

    london = await picture("Europe/London")
    auckland = await picture("Pacific/Auckland")
    same_time = await picture("Etc/GMT-13")
    assert not is_night(london)
    assert is_night(auckland)
    assert (auckland.rgb == same_time.rgb).all()
    stamp = (slice(0, 40), slice(0, 320))  # the time printed in the corner
    assert not (auckland.rgb[stamp] == london.rgb[stamp]).all()
