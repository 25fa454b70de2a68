"""The camera at the door (L-13, L-62) through the API, on the simulated lock's camera.

Snapshot and stream are checked with FFmpeg's decoder (camera_support), the battery rule
by moving the simulated battery, the event snapshots by ringing and unlocking at the
simulated door, the viewers by how much each one holds, never by how long anything took.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import contextlib
from datetime import UTC, datetime
from pathlib import Path
import socket
import ssl
import time
import tracemalloc
from typing import Any

import aiohttp
import numpy as np
import pytest

from ezlock_edge.api.camera import STALL_SECONDS
from ezlock_edge.clock import ManualClock
from ezlock_edge.core.camera import MAX_VIEWERS, RETRY_SECONDS, Camera
from ezlock_edge.sim.camera import STAY_SECONDS
from ezlock_edge.sim.lock import SimulatedLock
from tests.support.lock import ADMIN_PASSWORD, create_first_admin, prompts, sim_of
from tests.support.pictures import decode_jpeg, decode_mjpeg, has_person, is_night
from tests.support.waiting import eventually

from .api_support import ApiClient, client_for, pair, running_edge
from .camera_support import MjpegReader

FRAME = 1 / 5  # the default 5 frames a second


def _sim(api: ApiClient) -> SimulatedLock:
    return sim_of(api.edge)


def _camera(api: ApiClient) -> Camera:
    return api.edge.core.camera


@contextlib.asynccontextmanager
async def watching(api: ApiClient, token: str | None = None) -> AsyncIterator[Any]:
    """Open the MJPEG stream; yield its reader (or the refusal's response)."""
    bearer = token or api.token
    async with api.session.get(
        f"{api.edge.url}/api/v1/camera/stream",
        headers={"Authorization": f"Bearer {bearer}"},
        ssl=api.ssl,
    ) as response:
        yield MjpegReader(response) if response.status == 200 else response


async def _event(api: ApiClient, kind: str, **fields: Any) -> dict[str, Any]:
    """Wait until the event log has an event of ``kind`` with ``fields``; return it."""
    found: list[dict[str, Any]] = []

    async def logged() -> bool:
        events = (await api.call("GET", "/events?limit=1000")).body["events"]
        found[:] = [
            e
            for e in events
            if e["type"] == kind and all(e.get(k) == v for k, v in fields.items())
        ]
        return bool(found)

    await eventually(logged, f"event {kind} {fields}")
    return found[-1]


async def _until_gone(api: ApiClient) -> None:
    """Let frames come until the server has noticed that every viewer left.

    A viewer that hangs up is noticed at the next write, so each look is one frame.
    """

    async def gone() -> bool:
        if not _camera(api).viewers:
            return True
        await _sim(api).clock(advance=FRAME)
        return False

    await eventually(gone, "every viewer gone", every=0.01)


async def _state(api: ApiClient) -> dict[str, Any]:
    state: dict[str, Any] = (await api.call("GET", "/state")).body
    return state


async def test_snapshot_is_a_jpeg_of_the_door_now(api: ApiClient) -> None:
    """L-13: the live view shows who is at the door, and the time."""
    await _sim(api).clock(
        advance=STAY_SECONDS + 1
    )  # the admin who set up the lock has gone
    reply = await api.call("GET", "/camera/snapshot")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "image/jpeg"
    assert reply.headers["Cache-Control"] == "no-store"
    nobody = decode_jpeg(reply.body)
    assert (nobody.width, nobody.height) == (640, 480)
    assert not has_person(nobody)

    await _sim(api).at_door("courier")
    visitor = decode_jpeg((await api.call("GET", "/camera/snapshot")).body)
    assert has_person(visitor)
    await _sim(api).clock(advance=1)
    later = decode_jpeg((await api.call("GET", "/camera/snapshot")).body)
    stamp = (slice(0, 40), slice(0, 320))  # the time printed in the corner moved on
    assert not np.array_equal(visitor.rgb[stamp], later.rgb[stamp])

    await _sim(api).at_door(leave=True)
    assert not has_person(decode_jpeg((await api.call("GET", "/camera/snapshot")).body))
    state = await _state(api)
    assert state["camera"] == {
        "available": True,
        "reason": None,
        "viewers": 0,
        "width": 640,
        "height": 480,
        "fps": 5,
    }


@pytest.fixture
def host_in_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Put the host (this process) in UTC, so the lock's own zone is what shows."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("host_in_utc")
async def test_the_live_view_shows_the_time_at_the_lock(tmp_path: Path) -> None:
    """The camera of a lock configured for Auckland shows Auckland's night at 12:00 UTC."""
    clock = ManualClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))  # 01:00 in Auckland
    async with (
        running_edge(tmp_path, clock, time_zone="Pacific/Auckland") as edge,
        client_for(edge) as api,
    ):
        await create_first_admin(sim_of(edge))
        await pair(api)
        assert (await api.call("GET", "/info")).body["time_zone"] == "Pacific/Auckland"
        night = decode_jpeg((await api.call("GET", "/camera/snapshot")).body)
        assert is_night(night)


async def test_stream_is_mjpeg_from_one_capture_for_every_viewer(
    api: ApiClient,
) -> None:
    """Two viewers, one camera: each tick is one capture, and both get it."""
    sim = _sim(api)
    start = sim.camera.frames
    async with watching(api) as one:
        headers = one.response.headers
        assert headers["Content-Type"] == (
            "multipart/x-mixed-replace; boundary=ezlock-frame"
        )
        assert headers["Cache-Control"] == "no-store"
        assert await one.part() is not None
        # One capture, and already a part after it: a browser (which shows a part
        # once the next one starts) shows the view before the second capture.
        assert sim.camera.frames - start == 1
        assert one.parts[0] == one.parts[1]
        async with watching(api) as two:
            assert (await _state(api))["camera"]["viewers"] == 2
            for _ in range(3):
                await _sim(api).clock(advance=FRAME)
                assert await one.part() is not None
                assert await two.part() is not None
            assert sim.camera.frames - start == 4  # not 7: the capture is shared
            snapshot = await api.call("GET", "/camera/snapshot")
            assert snapshot.body == one.last
            assert sim.camera.frames - start == 4  # the stream's newest frame
        pictures = decode_mjpeg(one.parts)  # the first frame twice, then three
        assert [(p.width, p.height) for p in pictures] == [(640, 480)] * 5
        assert len(decode_mjpeg(two.parts)) == 4
    await _until_gone(api)
    await eventually(lambda: not sim.camera.on, "camera off with the last viewer")


async def test_low_battery_turns_the_camera_off_and_back_on(api: ApiClient) -> None:
    """L-13, L-62: below 20 % no live view; back with the warning, at 25 % (hysteresis).

    The pack is charged with a power bank in (the controller keeps running and measures
    it once a minute), so the way up is the warning's hysteresis, not a fresh start.
    """
    sim = _sim(api)
    await sim.emergency_power(True)

    async def battery(percent: int) -> dict[str, Any]:
        # Each step changes the level the MCU reports, so the state shows when it came.
        await sim.battery(percent)
        await sim.clock(advance=60)  # the controller's next measurement
        await eventually(
            lambda: api.edge.core.state.battery_percent == percent,
            f"battery at {percent} %",
        )
        state = await _state(api)
        # One rule: the camera follows the flag behind the low-battery warning.
        assert state["camera"]["available"] is not state["low_battery"]
        return state

    async def refused(path: str) -> None:
        reply = await api.call("GET", path)
        assert reply.status == 409
        assert reply.body["error"] == "camera_unavailable"
        assert reply.body["reason"] == "low_battery"

    assert (await battery(21))["camera"]["available"]
    assert (await battery(20))["camera"]["available"]  # 20 % is not below 20 %
    assert (await api.call("GET", "/camera/snapshot")).status == 200
    async with watching(api) as live:
        assert await live.part() is not None
        off = await battery(19)  # below 20 %
        # The minute before the measurement was filmed at 5 frames a second, and the
        # server wrote each frame as the socket took it: those frames are still on
        # their way. After them the stream ends with its closing boundary.
        while await live.part() is not None:
            pass
    assert off["low_battery"]
    assert off["camera"]["reason"] == "low_battery"
    for path in ("/camera/snapshot", "/camera/stream"):
        await refused(path)
    await sim.keypad(["doorbell"])
    assert (await _event(api, "doorbell"))["snapshot_id"] is None

    for percent in (20, 21, 24):  # charging: still low until 25 %
        state = await battery(percent)
        assert state["camera"]["reason"] == "low_battery"
        await refused("/camera/stream")
    back = await battery(25)  # the warning clears: the camera is back
    await _event(api, "alarm_cleared", alarm="low_battery")
    assert back["camera"]["available"]
    assert decode_jpeg((await api.call("GET", "/camera/snapshot")).body)
    assert (await battery(24))["camera"]["available"]  # on the way down again: on
    assert (await battery(20))["camera"]["available"]
    assert not (await battery(19))["camera"]["available"]


async def test_doorbell_and_unlocks_from_outside_keep_a_snapshot(
    api: ApiClient,
) -> None:
    """Each ring and each attempt at the door refers to the picture taken then."""
    sim = _sim(api)
    await sim.keypad(["doorbell"])
    ring = await _event(api, "doorbell")
    assert isinstance(ring["snapshot_id"], str)
    reply = await api.call("GET", f"/camera/snapshots/{ring['snapshot_id']}")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "image/jpeg"
    assert has_person(decode_jpeg(reply.body))  # who rang
    # Never without a valid token; unknown ids are not found.
    refused = await api.call(
        "GET", f"/camera/snapshots/{ring['snapshot_id']}", token=""
    )
    assert refused.status == 401
    missing = await api.call("GET", "/camera/snapshots/sn_0000000000000000")
    assert (missing.status, missing.body["error"]) == (404, "snapshot_not_found")

    await sim.keypad([*ADMIN_PASSWORD, "confirm"])
    unlocked = await _event(api, "unlocked", method="password")
    assert unlocked["snapshot_id"] not in {None, ring["snapshot_id"]}
    taken = await api.call("GET", f"/camera/snapshots/{unlocked['snapshot_id']}")
    assert decode_jpeg(taken.body).width == 640
    await sim.face("mallory")
    failed = await _event(api, "unlock_failed", method="face")
    assert (
        await api.call("GET", f"/camera/snapshots/{failed['snapshot_id']}")
    ).status == 200
    await api.call("POST", "/lock")
    await eventually(lambda: api.edge.core.state.bolt.name == "LOCKED", "locked again")
    await sim.mechanical_key("unlock")
    by_key = await _event(api, "unlocked", method="mechanical_key")
    assert by_key["snapshot_id"] is not None

    # From inside or from the app nobody stands at the door: no snapshot.
    await api.call("PATCH", "/settings", {"remote_unlock_enabled": True})
    await api.call("POST", "/lock")
    await eventually(lambda: api.edge.core.state.bolt.name == "LOCKED", "locked again")
    await api.call("POST", "/unlock")
    remote = await _event(api, "unlocked", method="remote")
    assert "snapshot_id" not in remote
    assert _camera(api).store.count == 4


async def test_many_viewers_and_a_slow_one(api: ApiClient, clock: ManualClock) -> None:
    """A viewer that stops reading misses frames; it never queues them, then is dropped."""
    camera = _camera(api)
    async with watching(api) as fast:
        assert await fast.part() is not None
        async with watching(api) as also_fast:
            before = camera.viewers
            slow = await _stalled_viewer(api)
            await eventually(lambda: len(camera.viewers) == 3, "three viewers")
            (stuck,) = camera.viewers - before

            async def tick() -> None:
                await _sim(api).clock(advance=FRAME)
                for reader in (fast, also_fast):
                    assert await reader.part() is not None
                    del reader.parts[:-1]  # the test keeps no history either

            for _ in range(1000):  # until the slow connection is full
                await tick()
                if stuck.dropped >= 5:
                    break
            assert stuck.dropped >= 5, "the slow viewer never fell behind"
            dropped, buffered = stuck.dropped, stuck.max_buffered
            window = 50  # frames, fewer than a stall lasts (STALL_SECONDS)
            tracemalloc.start()
            try:
                before_bytes = tracemalloc.get_traced_memory()[0]
                for _ in range(window):
                    await tick()
                grown = tracemalloc.get_traced_memory()[0] - before_bytes
            finally:
                tracemalloc.stop()
            frame_size = len(fast.parts[-1])
            # A queue for the slow viewer would have grown by 50 frames; what does grow
            # (about 1 KiB a frame) is the ManualClock's cancelled write timers, kept
            # until their time comes, as asyncio's own timer heap does.
            assert grown < 20 * frame_size, (grown, frame_size)
            assert stuck.waiting <= 1
            assert stuck.dropped - dropped >= window - 5  # a full pipe may take a few
            # What the stalled connection holds unsent stopped growing: the transport's
            # own buffers, never a queue of frames.
            assert stuck.max_buffered == buffered <= 1024 * 1024
            assert all(v.dropped == 0 for v in camera.viewers - {stuck})

            # The stalled write gives up. One jump, not the settled move: time passing
            # frame by frame would send the fast viewers, who read only between moves,
            # 100 frames meanwhile. Nothing waits for an acknowledgement here.
            clock.advance(STALL_SECONDS)
            await eventually(lambda: stuck not in camera.viewers, "slow one dropped")
            await tick()  # the others go on
            slow.close()


async def _stalled_viewer(api: ApiClient) -> asyncio.StreamWriter:
    """Open the stream on a connection with a tiny receive window, and never read."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", api.edge.port))
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.open_connection(
        sock=sock, ssl=context, server_hostname="ezlock", limit=1024
    )
    writer.write(
        (
            "GET /api/v1/camera/stream HTTP/1.1\r\nHost: ezlock\r\n"
            f"Authorization: Bearer {api.token}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    return writer


async def test_viewers_are_bounded(api: ApiClient) -> None:
    """One more stream than the board serves is refused, the others go on."""
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(MAX_VIEWERS):
            reader = await stack.enter_async_context(watching(api))
            assert isinstance(reader, MjpegReader)
        async with watching(api) as refused:
            assert isinstance(refused, aiohttp.ClientResponse)
            assert refused.status == 503
            assert (await refused.json())["error"] == "camera_busy"


async def test_a_broken_camera_says_so_and_recovers(api: ApiClient) -> None:
    """A camera that delivers nothing is ``device_error`` until a retry works."""
    sim = _sim(api)
    await sim.camera_cable(False)
    await sim.keypad(["doorbell"])  # nobody knows yet: the picture is asked for
    ring = await _event(api, "doorbell")
    assert ring["snapshot_id"] is not None
    missed = await api.call("GET", f"/camera/snapshots/{ring['snapshot_id']}")
    assert (missed.status, missed.body["error"]) == (404, "snapshot_not_found")
    assert (await _state(api))["camera"]["reason"] == "device_error"
    reply = await api.call("GET", "/camera/snapshot")
    assert (reply.status, reply.body["reason"]) == (409, "device_error")
    await sim.keypad(["doorbell"])
    assert (await _event(api, "doorbell", snapshot_id=None))["snapshot_id"] is None
    await _sim(api).clock(advance=RETRY_SECONDS)  # still unplugged: still broken
    assert (await _state(api))["camera"]["reason"] == "device_error"
    await sim.camera_cable(True)
    await _sim(api).clock(advance=RETRY_SECONDS)
    await eventually(lambda: _camera(api).reason is None, "camera back")
    assert (await api.call("GET", "/camera/snapshot")).status == 200


async def test_an_operate_client_views_until_it_is_revoked(api: ApiClient) -> None:
    """Both client roles may view the door; revoking one ends its live view at once."""
    created = await api.call(
        "POST", "/clients", {"client_name": "Hall tablet", "role": "operate"}
    )
    assert created.status == 201, created.body
    tablet, tablet_id = created.body["token"], created.body["client_id"]
    snapshot = await api.call("GET", "/camera/snapshot", token=tablet)
    assert snapshot.status == 200
    await _sim(api).keypad(["doorbell"])
    ring = await _event(api, "doorbell")
    kept = await api.call(
        "GET", f"/camera/snapshots/{ring['snapshot_id']}", token=tablet
    )
    assert kept.status == 200
    async with watching(api, token=tablet) as live:
        assert await live.part() is not None
        assert (await api.call("DELETE", f"/clients/{tablet_id}")).status == 204
        assert await live.part() is None  # L-63: its access ends, streams included
    assert not _camera(api).viewers
    assert (await api.call("GET", "/camera/snapshot", token=tablet)).status == 401


async def test_factory_reset_deletes_the_snapshots(api: ApiClient) -> None:
    """L-63: nothing of the old owners stays, pictures of their visitors included."""
    sim = _sim(api)
    await sim.keypad(["doorbell"])
    await _event(api, "doorbell")
    await eventually(lambda: _camera(api).store.count == 1, "snapshot kept")
    # The face match the keypad touch started (L-10) finds nobody: until it ends,
    # the face module cannot be emptied.
    await sim.clock(advance=5.0)
    await sim.set_button("power_up")

    async def asked() -> bool:
        return "factory_reset_confirm" in await prompts(sim)

    await eventually(asked, "the factory reset asked for")
    await sim.keypad(["confirm"])
    await eventually(lambda: _camera(api).store.count == 0, "snapshots wiped")


async def test_a_missing_v4l2_camera_is_a_device_error(
    tmp_path: Path, clock: ManualClock
) -> None:
    """A configured camera that is not there is reported, not pretended."""
    missing = str(tmp_path / "video9")
    async with running_edge(tmp_path / "edge", clock, camera=missing) as edge:
        await eventually(lambda: edge.core.camera.reason is not None, "probe")
        assert edge.core.state.as_dict()["camera"]["reason"] == "device_error"
