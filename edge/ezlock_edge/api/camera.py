"""The camera routes of ``/api/v1/camera``: a snapshot, the MJPEG live view, event snapshots.

Token-protected like every route (any paired client may view). The stream is
``multipart/x-mixed-replace`` with one JPEG per part, the format browsers, Home
Assistant's MJPEG camera and FFmpeg read. A viewer whose connection stops taking data is
dropped after :data:`STALL_SECONDS`; until then it misses frames instead of queueing them
(``ezlock_edge.core.camera``).
"""

from __future__ import annotations

import asyncio
import logging

from ezlock_edge.clock import timeout
from ezlock_edge.core.camera import CameraUnavailableError, Frame, Viewer
from ezlock_edge.http.messages import Response, http_date, json_response
from ezlock_edge.http.request import Request, StreamResponse

from . import schemas
from .context import CLIENT, CONTEXT
from .validation import path_param

_LOGGER = logging.getLogger(__name__)

BOUNDARY = "ezlock-frame"
STALL_SECONDS = 20.0
"""Seconds a stream viewer may leave one frame unsent before it is dropped."""
_NO_STORE = {"Cache-Control": "no-store"}


def unavailable(err: CameraUnavailableError) -> Response:
    """Answer ``409 {"error": "camera_unavailable", "reason": ...}``."""
    return json_response(
        {"error": err.code, "message": err.message, "reason": err.reason.value},
        status=409,
    )


def _jpeg(frame: Frame) -> Response:
    return Response(
        200,
        frame.jpeg,
        _NO_STORE
        | {
            "Content-Type": "image/jpeg",
            "Last-Modified": http_date(frame.taken.timestamp()),
        },
    )


async def snapshot(request: Request) -> Response:
    """``GET /camera/snapshot``: one JPEG of now."""
    try:
        frame = await request[CONTEXT].core.camera.snapshot()
    except CameraUnavailableError as err:
        return unavailable(err)
    return _jpeg(frame)


async def saved_snapshot(request: Request) -> Response:
    """``GET /camera/snapshots/{id}``: the picture an event refers to."""
    snapshot_id: str = path_param(request, "id", schemas.OBJECT_ID)
    info, jpeg = await request[CONTEXT].core.camera.saved(snapshot_id)
    return _jpeg(Frame(0, jpeg, info.taken))


async def stream(request: Request) -> Response:
    """``GET /camera/stream``: MJPEG until the client leaves or the camera goes off."""
    context = request[CONTEXT]
    camera = context.core.camera
    try:
        viewer = camera.watch(request[CLIENT].id)
    except CameraUnavailableError as err:
        return unavailable(err)
    try:
        response = await request.stream(
            Response(
                headers=_NO_STORE
                | {"Content-Type": f"multipart/x-mixed-replace; boundary={BOUNDARY}"}
            )
        )
        await _serve(request, response, viewer)
        _LOGGER.debug(
            "Stream ended",
            extra={
                "sent": viewer.sent,
                "dropped": viewer.dropped,
                "reason": viewer.ended.value if viewer.ended else None,
            },
        )
        return response
    finally:
        camera.unwatch(viewer)


async def _serve(request: Request, response: StreamResponse, viewer: Viewer) -> None:
    clock = request[CONTEXT].clock
    handler = asyncio.current_task()
    writing = False

    def interrupt() -> None:
        # The stream was ended while a write waits for a client that takes nothing.
        if writing and handler is not None:
            handler.cancel()

    async def send(data: bytes) -> None:
        nonlocal writing
        writing = True
        async with timeout(clock, STALL_SECONDS):
            await response.write(data)
        writing = False

    viewer.on_end = interrupt
    first = True
    try:
        while (frame := await viewer.next()) is not None:
            head = (
                f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                f"Content-Length: {len(frame.jpeg)}\r\n\r\n"
            )
            part = head.encode() + frame.jpeg + b"\r\n"
            # A browser shows a part only once the next part's headers have come
            # (Chromium shows frame n-1: issues.chromium.org/issues/41199053): the
            # first frame goes out twice, so the live view appears with the first
            # capture, not with the second one (never, if that one is late).
            await send(part + part if first else part)
            first = False
            viewer.buffered(request.transport.get_write_buffer_size())
        await send(f"--{BOUNDARY}--\r\n".encode())
        await response.write_eof()
    except TimeoutError:
        _LOGGER.info(
            "Dropped a stream viewer that took no data for %s s", STALL_SECONDS
        )
    except ConnectionResetError:
        pass  # the viewer went away
