"""The camera at the door (L-13): the lock's live view, off below 20 % battery (L-62).

MJPEG straight from the edge driver: Home Assistant's frontend shows it without any
stream component, the still image is the edge's snapshot. The entity is unavailable
while the lock says the camera is off; the camera sensor says why.
"""

from __future__ import annotations

from aiohttp import hdrs, web
from homeassistant.components.camera import Camera
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_aiohttp_proxy_stream
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import CameraReason, EzlockError
from .coordinator import EzlockConfigEntry, EzlockCoordinator
from .entity import MANUFACTURER, EzlockEntity
from .errors import translate_errors

PARALLEL_UPDATES = 0

LIVE_VIEW = EntityDescription(key="camera", translation_key="live_view")


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
        """Pass the edge driver's MJPEG stream through, frame for frame."""
        try:
            async with self.coordinator.client.camera_stream() as response:
                return await async_aiohttp_proxy_stream(
                    self.hass,
                    request,
                    response.content,
                    response.headers[hdrs.CONTENT_TYPE],
                )
        except EzlockError:
            return None  # the frontend is told 502 and tries again
