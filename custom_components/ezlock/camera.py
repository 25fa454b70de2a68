"""The camera at the door (L-13): the lock's live view, off below 20 % battery (L-62).

MJPEG straight from the edge driver: Home Assistant's frontend shows it without any
stream component, the still image is the edge's snapshot. The entity is unavailable
while the lock says the camera is off; the camera sensor says why.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import hdrs, web
from homeassistant.components.camera import Camera
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import CameraReason, EzlockError
from .coordinator import EzlockConfigEntry, EzlockCoordinator
from .entity import MANUFACTURER, EzlockEntity
from .errors import translate_errors

PARALLEL_UPDATES = 0

LIVE_VIEW = EntityDescription(key="camera", translation_key="live_view")
STALL_SECONDS = 10.0
"""Seconds the edge may send nothing before a live view is ended (it sends at least a
frame a second while the camera is on, and ends the stream when it goes off)."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EzlockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the live view, if the lock has a camera."""
    coordinator = entry.runtime_data
    if coordinator.data.camera.reason is not CameraReason.NOT_CONFIGURED:
        async_add_entities([EzlockCamera(coordinator)])


class EzlockCamera(EzlockEntity, Camera):
    """The view from the door, from the lock's own camera."""

    _attr_brand = MANUFACTURER

    def __init__(self, coordinator: EzlockCoordinator) -> None:
        """Show ``coordinator``'s lock's camera."""
        super().__init__(coordinator, LIVE_VIEW)
        Camera.__init__(self)
        self._attr_model = coordinator.info.model

    @property
    def available(self) -> bool:
        """Return False while the link is down or the lock says the camera is off."""
        return super().available and self.coordinator.data.camera.available

    def _shown(self) -> object:
        """Return the camera's status (its availability, frame rate)."""
        return self.coordinator.data.camera

    @property
    def frame_interval(self) -> float:
        """Return the seconds between two frames of the edge's MJPEG stream."""
        return 1 / self.coordinator.data.camera.fps

    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        """Return a JPEG of the door now (Home Assistant scales it if asked)."""
        with translate_errors():
            return await self.coordinator.client.get_camera_snapshot()

    async def handle_async_mjpeg_stream(
        self, request: web.Request
    ) -> web.StreamResponse | None:
        """Pass the edge driver's MJPEG stream through, frame for frame.

        Not with Home Assistant's ``async_aiohttp_proxy_stream``: it passes data only
        while ``hass.is_running``, and Home Assistant serves its frontend (and this
        entity) before its start is over, so a live view opened then was an empty
        answer, a broken picture. This one ends when the viewer leaves, the edge ends
        the stream (the camera went off) or stays silent, or Home Assistant stops.
        """
        response: web.StreamResponse | None = None
        with contextlib.suppress(EzlockError):
            async with self.coordinator.client.camera_stream() as upstream:
                response = web.StreamResponse(
                    headers={hdrs.CONTENT_TYPE: upstream.headers[hdrs.CONTENT_TYPE]}
                )
                await response.prepare(request)
                while not self.hass.is_stopping:
                    async with asyncio.timeout(STALL_SECONDS):
                        chunk = await upstream.content.readany()
                    if not chunk:
                        break
                    await response.write(chunk)
        return response  # None (the edge refused): the frontend is told 502
