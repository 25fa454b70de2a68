"""The camera at the door in Home Assistant (L-13, L-62), against the real edge driver.

The live view's still and MJPEG stream, the camera going unavailable below 20 % battery
and back, and a doorbell ring's snapshot that Home Assistant fetches through its own
image proxy: every picture is decoded by FFmpeg (tests.support.pictures).
"""

from __future__ import annotations

from aiohttp import ClientResponse
from homeassistant.components.camera import async_get_image
from homeassistant.components.camera.const import DATA_COMPONENT as CAMERAS
from homeassistant.components.image import ImageEntity
from homeassistant.components.image.const import DATA_COMPONENT as IMAGES
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from ezlock_edge.app import NO_CAMERA, EdgeApp, EdgeOptions
from tests.support.lock import sim_of
from tests.support.pictures import decode_jpeg, decode_mjpeg, has_person
from tests.support.waiting import eventually

from .common import (
    current,
    entity_id,
    fired,
    paired_entry,
    setup_entry,
    start_edge,
    state_of,
)


async def test_live_view_shows_the_door_and_is_off_below_20_percent(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """L-13: the picture of the door; L-62: unavailable, with the reason, when low."""
    await setup_entry(hass, await paired_entry(hass, edge))
    camera = entity_id(hass, "camera", "camera")
    await sim_of(edge).at_door("courier")
    image = await async_get_image(hass, camera)
    assert image.content_type == "image/jpeg"
    picture = decode_jpeg(image.content)
    assert (picture.width, picture.height) == (640, 480)
    assert has_person(picture)
    assert state_of(hass, "sensor", "camera_status").state == "on"
    live_view = hass.data[CAMERAS].get_entity(camera)
    assert live_view is not None
    assert live_view.frame_interval == 1 / 5  # the edge's rate, for the frontend

    await sim_of(edge).battery(19)
    await eventually(
        lambda: current(hass, camera).state == STATE_UNAVAILABLE, "camera off"
    )
    assert state_of(hass, "sensor", "camera_status").state == "low_battery"
    await sim_of(edge).battery(25)  # a pack at 25 %: the warning's all-clear
    await eventually(
        lambda: current(hass, camera).state != STATE_UNAVAILABLE, "camera back"
    )
    assert state_of(hass, "sensor", "camera_status").state == "on"
    assert decode_jpeg((await async_get_image(hass, camera)).content)


async def test_mjpeg_stream_through_home_assistant(
    hass: HomeAssistant, edge: EdgeApp, hass_client: ClientSessionGenerator
) -> None:
    """Home Assistant's camera proxy passes the edge's MJPEG through, frame by frame."""
    await setup_entry(hass, await paired_entry(hass, edge))
    camera = entity_id(hass, "camera", "camera")
    client = await hass_client()
    async with client.get(f"/api/camera_proxy_stream/{camera}") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == (
            "multipart/x-mixed-replace; boundary=ezlock-frame"
        )
        whole = await _parts(response, 2)
    first, second = whole.split(b"--ezlock-frame\r\n")[1:3]
    assert first == second  # the first frame twice: a browser shows it at once
    pictures = decode_mjpeg([whole])
    assert len(pictures) >= 2
    assert {(p.width, p.height) for p in pictures} == {(640, 480)}


async def test_the_live_view_plays_while_home_assistant_is_starting(
    hass: HomeAssistant, edge: EdgeApp, hass_client: ClientSessionGenerator
) -> None:
    """A dashboard opened during Home Assistant's start shows the door too.

    Home Assistant serves its frontend (and set-up entities) before its start is over,
    while its state is still ``not_running``; its stream proxy helper
    (``async_aiohttp_proxy_stream``) passes data only while ``hass.is_running``, so a
    live view opened then was an empty 200: a broken picture in the browser.
    """
    await setup_entry(hass, await paired_entry(hass, edge))
    camera = entity_id(hass, "camera", "camera")
    client = await hass_client()
    hass.set_state(CoreState.not_running)  # bootstrap: the frontend already answers
    try:
        async with client.get(f"/api/camera_proxy_stream/{camera}") as response:
            assert response.status == 200
            whole = await _parts(response, 2)
    finally:
        hass.set_state(CoreState.running)
    assert len(decode_mjpeg([whole])) >= 2


async def test_a_live_view_ends_when_the_camera_goes_off_or_home_assistant_stops(
    hass: HomeAssistant, edge: EdgeApp, hass_client: ClientSessionGenerator
) -> None:
    """L-62: below 20 % a running live view ends; so does one when Home Assistant stops."""
    await setup_entry(hass, await paired_entry(hass, edge))
    camera = entity_id(hass, "camera", "camera")
    client = await hass_client()
    async with client.get(f"/api/camera_proxy_stream/{camera}") as response:
        await _parts(response, 1)
        await sim_of(edge).battery(19)
        rest = await response.content.read()  # to the end: the edge closed it
    assert rest.endswith(b"--ezlock-frame--\r\n")
    await sim_of(edge).battery(25)
    await eventually(
        lambda: current(hass, camera).state != STATE_UNAVAILABLE, "camera back"
    )
    async with client.get(f"/api/camera_proxy_stream/{camera}") as response:
        await _parts(response, 1)
        hass.set_state(CoreState.stopping)
        try:
            rest = await response.content.read()
        finally:
            hass.set_state(CoreState.running)
    assert not rest.endswith(b"--ezlock-frame--\r\n")  # ended by Home Assistant
    await eventually(
        lambda: edge.core.camera.status.viewers == 0, "the edge's stream closed"
    )


async def _parts(response: ClientResponse, count: int) -> bytes:
    """Read ``count`` whole parts of an MJPEG stream (fails if the stream ends first)."""
    received = b""
    while received.count(b"--ezlock-frame\r\n") <= count:
        chunk = await response.content.readany()
        assert chunk, (
            f"the stream ended after {received.count(b'--ezlock-frame')} parts"
        )
        received += chunk
    return received[: received.rindex(b"--ezlock-frame\r\n")]


async def test_a_stream_of_a_camera_that_is_off_is_refused(
    hass: HomeAssistant, edge: EdgeApp, hass_client: ClientSessionGenerator
) -> None:
    """Below 20 % the edge refuses the stream; the proxy answers 502, never hangs."""
    await setup_entry(hass, await paired_entry(hass, edge))
    camera = entity_id(hass, "camera", "camera")
    await sim_of(edge).battery(19)
    await eventually(
        lambda: current(hass, camera).state == STATE_UNAVAILABLE, "camera off"
    )
    client = await hass_client()
    async with client.get(f"/api/camera_proxy_stream/{camera}") as response:
        assert response.status == 502


async def test_a_ring_carries_the_snapshot_home_assistant_fetches(
    hass: HomeAssistant, edge: EdgeApp, hass_client: ClientSessionGenerator
) -> None:
    """The doorbell event names the snapshot; the last visitor image serves it."""
    await setup_entry(hass, await paired_entry(hass, edge))
    visitor = entity_id(hass, "image", "last_visitor")
    assert await async_get_image_bytes(hass, visitor) is None  # nobody came yet
    # ... so no picture to ask for: the frontend shows the icon, not a broken picture
    assert "entity_picture" not in current(hass, visitor).attributes
    rings = fired(hass, "doorbell")
    await sim_of(edge).keypad(["doorbell"])
    await eventually(lambda: bool(rings), "the doorbell rang in Home Assistant")
    snapshot_id = rings[-1].attributes["snapshot_id"]
    assert isinstance(snapshot_id, str)
    await eventually(
        lambda: current(hass, visitor).attributes.get("snapshot_id") == snapshot_id,
        "the last visitor shows the ring",
    )
    state = current(hass, visitor)
    assert state.attributes["event_type"] == "doorbell"
    client = await hass_client()
    async with client.get(state.attributes["entity_picture"]) as response:
        assert response.status == 200
        assert response.content_type == "image/jpeg"
        picture = decode_jpeg(await response.read())
    assert has_person(picture)  # whoever pressed the bell

    edge.core.camera.store.clear()  # the lock's bounded store let it go
    assert (await async_get_image_bytes(hass, visitor)) is None


async def async_get_image_bytes(hass: HomeAssistant, image: str) -> bytes | None:
    """Ask the image entity itself (the proxy turns "nothing" into an HTTP error)."""
    entity = hass.data[IMAGES].get_entity(image)
    assert isinstance(entity, ImageEntity)
    return await entity.async_image()


async def test_no_camera_no_camera_entities(
    hass: HomeAssistant, edge_options: EdgeOptions
) -> None:
    """A lock without a camera gets no live view, no last visitor, no camera sensor."""
    edge_options.camera = NO_CAMERA
    edge = await start_edge(edge_options)
    try:
        assert edge.core.state.as_dict()["camera"]["reason"] == "not_configured"
        entry = await paired_entry(hass, edge)
        await setup_entry(hass, entry)
        platforms = {
            reg.domain
            for reg in er.async_entries_for_config_entry(
                er.async_get(hass), entry.entry_id
            )
        }
        assert "lock" in platforms
        assert not platforms & {"camera", "image"}
        assert not any(
            reg.unique_id.endswith("camera_status")
            for reg in er.async_entries_for_config_entry(
                er.async_get(hass), entry.entry_id
            )
        )
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await edge.stop()


# aiohttp 3.14 re-arms a WebSocket's heartbeat timer when the close frame of a close
# the other side started arrives: the reload closes the first push connection so.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_the_last_visitor_survives_a_restart_of_home_assistant(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """After a reload the image shows the newest kept snapshot from the lock's log."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    rings = fired(hass, "doorbell")
    await sim_of(edge).keypad(["doorbell"])
    await eventually(lambda: bool(rings), "the doorbell rang in Home Assistant")
    snapshot_id = rings[-1].attributes["snapshot_id"]
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    visitor = entity_id(hass, "image", "last_visitor")
    assert current(hass, visitor).attributes["snapshot_id"] == snapshot_id
