"""The camera at the door (L-13, L-62): one shared capture, the battery rule, snapshots.

- **Live view.** Every stream viewer and every snapshot request shares one capture,
  which runs only while someone wants frames, at most ``fps`` frames a second. A viewer
  holds at most one frame it has not been sent yet: a slow viewer gets the newest frame
  when it is ready again and misses the ones in between, so a slow client costs one
  frame of memory, not a queue.
- **Battery.** While the MCU reports the battery low (the flag behind the low-battery
  warning, L-62: below 20 %, cleared when the MCU's report says so), the camera is off:
  no capture, no snapshot, running streams end, and the state says why.
- **Events.** A doorbell ring (L-49) and every unlock attempt from outside carry
  ``snapshot_id``: the picture taken at that moment, kept in the bounded
  :class:`~.snapshots.SnapshotStore`. The id is in the event at once (the event is
  never delayed by the camera); the picture follows when the camera delivers it, and a
  request for it meanwhile waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import contextlib
from dataclasses import dataclass
from datetime import datetime
import logging
from typing import Any, Protocol

from ezlock_edge.clock import Clock, timeout
from ezlock_edge.tasks import BackgroundTasks
from ezlock_edge.vocabulary.camera import CameraError, CameraSettings

from .errors import LockError
from .events import Event, EventLog
from .models import CameraReason, CameraStatus, JsonDict, UnlockMethod
from .secrets import random_id
from .snapshots import SnapshotInfo, SnapshotStore

_LOGGER = logging.getLogger(__name__)

MAX_VIEWERS = 8
"""Streams served at once; one more is refused (``camera_busy``)."""
OPEN_TIMEOUT = 5.0
"""Seconds the camera may take to start, and to deliver each frame."""
RETRY_SECONDS = 30.0
"""After a camera failure, how long until the driver tries it again."""
_ATTEMPTS = frozenset({"unlocked", "unlock_failed"})


class CameraSource(Protocol):
    """A camera: the V4L2 driver or the simulated one (``ezlock_edge.devices.camera``)."""

    async def open(self, settings: CameraSettings) -> None:
        """Start the camera; ``CameraError`` if it cannot."""

    async def read(self) -> bytes:
        """Return the next frame as JPEG; ``CameraError`` if none comes."""

    async def close(self) -> None:
        """Stop the camera."""


_MESSAGES = {
    CameraReason.LOW_BATTERY: "The camera is off while the battery is low (L-62)",
    CameraReason.NOT_CONFIGURED: "This lock has no camera",
    CameraReason.DEVICE_ERROR: "The camera does not deliver pictures",
}


class CameraUnavailableError(LockError):
    """The camera is off; ``reason`` says why."""

    code = "camera_unavailable"

    def __init__(self, reason: CameraReason) -> None:
        """Refuse for ``reason``."""
        super().__init__(_MESSAGES[reason])
        self.reason = reason


class CameraBusyError(LockError):
    """As many streams as the board serves are running."""

    code = "camera_busy"


class SnapshotNotFoundError(LockError):
    """No snapshot with that id (never taken, evicted or expired)."""

    code = "snapshot_not_found"


@dataclass(frozen=True, slots=True)
class Frame:
    """One picture from the camera."""

    seq: int
    jpeg: bytes
    taken: datetime


class Viewer:
    """One stream client's mailbox: at most one frame waiting, the newest."""

    def __init__(self, client_id: str) -> None:
        """Start empty, for the client ``client_id``."""
        self.client_id = client_id
        self.on_end: Callable[[], None] | None = None
        """Called when the stream ends (the server interrupts a write in progress)."""
        self._waiting: Frame | None = None
        self._ready = asyncio.Event()
        self.ended: CameraReason | None = None
        self.closed = False
        self.sent = 0
        """Frames handed to the client."""
        self.dropped = 0
        """Frames replaced by a newer one before the client was ready for them."""
        self.max_buffered = 0
        """Most bytes the connection held unsent (see :meth:`buffered`)."""

    @property
    def waiting(self) -> int:
        """Return how many frames wait for this viewer (0 or 1)."""
        return 0 if self._waiting is None else 1

    def offer(self, frame: Frame) -> None:
        """Give the viewer the newest frame, replacing one it has not taken."""
        if self._waiting is not None:
            self.dropped += 1
        self._waiting = frame
        self._ready.set()

    def end(self, reason: CameraReason | None) -> None:
        """End the stream (``reason`` None: the driver is stopping)."""
        if self.closed:
            return
        self.ended = reason
        self.closed = True
        self._ready.set()
        if self.on_end is not None:
            self.on_end()

    async def next(self) -> Frame | None:
        """Wait for the next frame; None once the stream has ended."""
        while True:
            if (frame := self._waiting) is not None:
                self._waiting = None
                self._ready.clear()
                self.sent += 1
                return frame
            if self.closed:
                return None
            await self._ready.wait()

    def buffered(self, size: int) -> None:
        """Note how much the connection holds unsent after a write (for the bound)."""
        self.max_buffered = max(self.max_buffered, size)


class Camera:
    """The lock's camera: availability, the shared capture and the event snapshots."""

    def __init__(
        self,
        source: CameraSource | None,
        settings: CameraSettings,
        store: SnapshotStore,
        events: EventLog,
        clock: Clock,
        low_battery: Callable[[], bool],
        on_change: Callable[[], None],
        *,
        max_viewers: int = MAX_VIEWERS,
        open_timeout: float = OPEN_TIMEOUT,
        retry: float = RETRY_SECONDS,
    ) -> None:
        """Drive ``source`` (None: the lock has no camera); nothing runs until start."""
        self._source = source
        self.settings = settings
        self.store = store
        self._events = events
        self._clock = clock
        self._low_battery = low_battery
        self._on_change = on_change
        self._max_viewers = max_viewers
        self._open_timeout = open_timeout
        self._retry = retry
        self._viewers: set[Viewer] = set()
        self._waiters: list[asyncio.Future[Frame]] = []
        self._pending: dict[str, asyncio.Future[None]] = {}
        self._capture: asyncio.Task[None] | None = None
        self._in_use = asyncio.Lock()  # one user of the source at a time
        self._wake = asyncio.Event()  # set when the last viewer leaves
        self._latest: Frame | None = None
        self._seq = 0
        self._error: str | None = None
        self._retry_handle: asyncio.Handle | None = None
        self._tasks = BackgroundTasks(_LOGGER)
        self._unsubscribe: Callable[[], None] | None = None

    # what clients see

    @property
    def reason(self) -> CameraReason | None:
        """Return why the camera is off, None while it can be watched."""
        if self._source is None:
            return CameraReason.NOT_CONFIGURED
        if self._low_battery():
            return CameraReason.LOW_BATTERY
        if self._error is not None:
            return CameraReason.DEVICE_ERROR
        return None

    @property
    def status(self) -> CameraStatus:
        """Return the state's ``camera`` object."""
        settings = self.settings
        return CameraStatus(
            self.reason,
            len(self._viewers),
            settings.width,
            settings.height,
            settings.fps,
        )

    @property
    def viewers(self) -> frozenset[Viewer]:
        """Return the streams being served now."""
        return frozenset(self._viewers)

    # life cycle

    async def start(self) -> None:
        """Follow the lock's events, and check the camera once in the background."""
        unsubscribe = self._events.subscribe(self._on_event)
        remove = self._events.annotate_with(self._annotate)

        def stop_following() -> None:
            unsubscribe()
            remove()

        self._unsubscribe = stop_following
        if self._source is not None:
            self._tasks.spawn(self._probe(read=False))

    async def stop(self) -> None:
        """End every stream and request, stop the camera."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._retry_handle is not None:
            self._retry_handle.cancel()
        self._halt(None)
        await self._tasks.cancel()

    # live view

    def watch(self, client_id: str) -> Viewer:
        """Add a stream viewer for a client (``camera_unavailable``, ``camera_busy``)."""
        self._require_available()
        if len(self._viewers) >= self._max_viewers:
            raise CameraBusyError(
                f"The camera serves {self._max_viewers} streams at once"
            )
        viewer = Viewer(client_id)
        self._viewers.add(viewer)
        self._want_frames()
        self._on_change()
        return viewer

    def unwatch(self, viewer: Viewer) -> None:
        """Remove a viewer whose client has gone; the capture stops with the last."""
        if viewer in self._viewers:
            self._viewers.discard(viewer)
            viewer.end(None)
            if not self._viewers:
                self._wake.set()
            self._on_change()

    async def snapshot(self) -> Frame:
        """Return a picture of now (``camera_unavailable``)."""
        self._require_available()
        if self._capture is not None and self._latest is not None:
            return self._latest  # a stream is running: its newest frame is current
        waiter: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._want_frames()
        try:
            return await waiter
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    # snapshots for events

    async def saved(self, snapshot_id: str) -> tuple[SnapshotInfo, bytes]:
        """Return an event's snapshot, waiting if it is still being taken."""
        if (pending := self._pending.get(snapshot_id)) is not None:
            await asyncio.shield(pending)
        found = self.store.get(snapshot_id)
        if found is None:
            raise SnapshotNotFoundError(f"No snapshot {snapshot_id}")
        return found

    def _annotate(self, kind: str, data: Mapping[str, Any]) -> JsonDict:
        if kind == "doorbell" or (kind in _ATTEMPTS and _outside(data.get("method"))):
            return {"snapshot_id": self._keep_snapshot()}
        return {}

    def _keep_snapshot(self) -> str | None:
        if self.reason is not None:
            return None
        if self._pending:  # a burst (a failure, then the alarm): one picture
            return next(iter(self._pending))
        snapshot_id = random_id("sn")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[snapshot_id] = done
        self._tasks.spawn(self._take(snapshot_id, done))
        return snapshot_id

    async def _take(self, snapshot_id: str, done: asyncio.Future[None]) -> None:
        try:
            frame = await self.snapshot()
            await self.store.add(snapshot_id, frame.jpeg, frame.taken)
        except CameraUnavailableError as err:
            _LOGGER.warning("No snapshot for an event: %s", err)
        except OSError as err:
            _LOGGER.warning("Cannot keep a snapshot: %s", err)
        finally:
            del self._pending[snapshot_id]
            done.set_result(None)

    # the capture

    def _want_frames(self) -> None:
        if self._capture is None:
            self._capture = self._tasks.spawn(self._run())

    async def _run(self) -> None:
        source = self._source
        assert source is not None  # noqa: S101 - callers checked availability
        interval = 1 / self.settings.fps
        try:
            async with self._in_use:
                await self._capture_frames(source, interval)
        except (CameraError, TimeoutError) as err:
            self._fail(str(err) or "the camera did not answer in time")
        finally:
            self._capture = None
        if (self._viewers or self._waiters) and self.reason is None:
            self._want_frames()  # someone came while the camera was closing

    async def _capture_frames(self, source: CameraSource, interval: float) -> None:
        async with timeout(self._clock, self._open_timeout):
            await source.open(self.settings)
        try:
            while self._viewers or self._waiters:
                if (reason := self.reason) is not None:
                    self._halt(reason)
                    return
                started = self._clock.monotonic()
                async with timeout(self._clock, self._open_timeout):
                    jpeg = await source.read()
                self._publish(jpeg)
                if self._viewers:
                    await self._pause(interval - (self._clock.monotonic() - started))
        finally:
            self._latest = None
            with contextlib.suppress(CameraError):
                await source.close()

    async def _pause(self, seconds: float) -> None:
        """Wait for the next frame's time; the last viewer leaving cuts it short."""
        if seconds <= 0:
            return
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            async with timeout(self._clock, seconds):
                await self._wake.wait()

    def _publish(self, jpeg: bytes) -> None:
        self._seq += 1
        frame = Frame(self._seq, jpeg, self._clock.now())
        self._latest = frame
        for viewer in self._viewers:
            viewer.offer(frame)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(frame)

    def _halt(self, reason: CameraReason | None) -> None:
        """Stop serving: streams end, requests fail with ``reason``."""
        for viewer in self._viewers:
            viewer.end(reason)
        self._viewers.clear()
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(
                    CameraUnavailableError(reason or CameraReason.DEVICE_ERROR)
                )
        if self._capture is not None and self._capture is not asyncio.current_task():
            self._capture.cancel()

    def _fail(self, message: str) -> None:
        _LOGGER.warning("Camera failed: %s", message)
        self._error = message
        self._halt(CameraReason.DEVICE_ERROR)
        self._on_change()
        if self._retry_handle is not None:
            self._retry_handle.cancel()
        self._retry_handle = self._clock.call_later(self._retry, self._recover)

    def _recover(self) -> None:
        self._tasks.spawn(self._probe(read=True))

    async def _probe(self, *, read: bool) -> None:
        """Open the camera (and take a frame): at start, and to recover from a failure."""
        source = self._source
        assert source is not None  # noqa: S101 - only started with a camera
        try:
            async with self._in_use:
                async with timeout(self._clock, self._open_timeout):
                    await source.open(self.settings)
                try:
                    if read:
                        async with timeout(self._clock, self._open_timeout):
                            await source.read()
                finally:
                    await source.close()
        except (CameraError, TimeoutError) as err:
            self._fail(str(err) or "the camera did not answer in time")
            return
        if self._error is not None:
            _LOGGER.info("Camera works again")
            self._error = None
            self._on_change()

    def end_streams(self, client_id: str | None = None) -> None:
        """End the streams of ``client_id`` (None: every stream)."""
        for viewer in list(self._viewers):
            if client_id is None or viewer.client_id == client_id:
                self.unwatch(viewer)

    def _on_event(self, event: Event) -> None:
        if event.type == "battery" and self.reason is CameraReason.LOW_BATTERY:
            self._halt(CameraReason.LOW_BATTERY)
        elif event.type == "client_revoked":
            self.end_streams(str(event.data["client_id"]))  # L-63: its access ends
        elif event.type == "factory_reset":
            self.end_streams()
            self.store.clear()

    def _require_available(self) -> None:
        if (reason := self.reason) is not None:
            raise CameraUnavailableError(reason)


def _outside(method: object) -> bool:
    try:
        return UnlockMethod(str(method)).from_outside
    except ValueError:
        return False
