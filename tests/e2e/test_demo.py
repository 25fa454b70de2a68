"""The one-command demo in a real browser: Home Assistant and the simulator's front panel.

Covers, end to end through the UI: remote unlock from Home Assistant (L-40, L-43), a
password typed on the front panel's keypad (L-03, L-40) arriving in Home Assistant as
an access event with the user's name, and Ctrl-C stopping everything.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest

from .cdp import Page
from .demo_stack import running_demo, sim
from .ha_pages import log_in, open_in_app

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ICONS_DRAWN = (
    "__deepAll('state-badge').every((badge) => badge.style.backgroundImage"
    " || __deep('ha-svg-icon', badge.shadowRoot)"
    "?.shadowRoot?.querySelector('path')?.getAttribute('d'))"
)
"""Entity icons load after the page: screenshots wait for them (a camera or image
entity's badge is its picture instead)."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run the demo for this module; Ctrl-C it afterwards."""
    with running_demo(tmp_path_factory.mktemp("demo")) as running:
        yield running.info
    assert running.status == 0, (
        f"Ctrl-C did not stop the demo cleanly:\n{running.output()}"
    )
    for url in (running.info["home_assistant"], running.info["panel"]):
        address = urlsplit(url)
        with socket.socket() as sock:
            assert sock.connect_ex((address.hostname, address.port)) != 0, (
                f"{url} still answers after Ctrl-C"
            )


async def open_device_page(page: Page, demo: dict[str, Any]) -> None:
    """Show the lock's device page."""
    await open_in_app(page, f"/config/devices/device/{demo['device_id']}")
    await page.wait_for(
        "__deep('ha-config-device-page') && __deepText().includes('Controls')",
        within=30,
        what="the lock's device page",
    )


async def test_unlock_from_home_assistant_moves_the_bolt(
    page: Page, demo: dict[str, Any], artifacts: Path
) -> None:
    """L-40 remote unlock, L-43 enabled by the demo: HA's Unlock button opens the lock."""
    await log_in(page, demo)
    await open_device_page(page, demo)
    await page.wait_for(ICONS_DRAWN, what="the entity icons")
    await page.screenshot(artifacts / "device-page-locked.png")

    await page.click(
        "__byText('ha-button, mwc-button, button', 'Unlock')",
        what="the lock's Unlock button",
    )
    lock = json.dumps(demo["lock_entity"])
    await page.wait_for(
        f"document.querySelector('home-assistant').hass.states[{lock}].state === 'unlocked'",
        within=30,
        what="Home Assistant to show the lock unlocked",
    )
    await page.screenshot(artifacts / "device-page-unlocked.png")

    await page.goto(demo["panel"])
    await page.wait_for(
        "document.querySelector('#bolt').dataset.state === 'unlocked'",
        what="the front panel to show the bolt unlocked",
    )
    await page.screenshot(artifacts / "front-panel-unlocked.png")


async def test_password_on_front_panel_shows_user_in_home_assistant(
    page: Page, demo: dict[str, Any], artifacts: Path
) -> None:
    """L-03, L-40: a password typed on the keypad is an access event naming the user."""
    await page.goto(demo["panel"])
    await page.wait_for("document.body.dataset.online === 'true'", what="the panel")
    bolt = "document.querySelector('#bolt').dataset.state"
    # Lock from inside first (L-44), so the password visibly opens the lock.
    await page.click("document.querySelector('#lock-button')", what="the lock button")
    await page.wait_for(f"{bolt} === 'locked'", what="the bolt thrown")
    spoken = (
        "[...document.querySelectorAll('#transcript li')]"
        ".filter((item) => item.dataset.prompt === 'door_unlocked').length"
    )
    unlocks_before = await page.evaluate(spoken)
    for key in [*demo["lock_password"], "confirm"]:
        await page.click(f"__deep('[data-key=\"{key}\"]')", what=f"the {key} key")
    await page.wait_for(
        f"{spoken} > {unlocks_before} && {bolt} === 'unlocked'",
        what="the lock to say the door is unlocked and the bolt to retract",
    )
    await page.screenshot(artifacts / "front-panel-password.png")

    await log_in(page, demo)
    await open_device_page(page, demo)
    access = json.dumps(demo["access_entity"])
    await page.wait_for(
        f"document.querySelector('home-assistant').hass.states[{access}]"
        "?.attributes.event_type === 'unlocked_password'",
        within=30,
        what="the access event of the password unlock",
    )
    await page.wait_for(ICONS_DRAWN, what="the entity icons")
    await page.screenshot(artifacts / "device-page-after-password.png")
    # What a person sees: the Access event's details (HA's more-info "Details") name
    # the user.
    await page.click(
        "__deep('.info', __deepAll('hui-generic-entity-row')"
        ".find((row) => __deepText(row).trim().startsWith('Access')).shadowRoot)",
        what="the Access event row",
    )
    dialog = "__deep('ha-more-info-dialog')"
    await page.click(
        f"__deep('ha-dropdown', {dialog}.shadowRoot)?.querySelector('[slot=trigger]')",
        what="the dialog's menu",
    )
    await page.click("__byText('ha-dropdown-item', 'Details')", what="Details")
    details = await page.wait_for(
        f"__deepText({dialog}).includes('Person') && __deepText({dialog})",
        what="the access event's details",
    )
    assert "Unlocked by password" in details
    assert f"Person {demo['lock_user']}" in details  # the user_name attribute
    await page.screenshot(artifacts / "home-assistant-access-event.png")


async def test_live_view_on_the_device_page(
    page: Page, demo: dict[str, Any], artifacts: Path
) -> None:
    """L-13: the lock's device page shows the camera; its dialog plays the live view."""
    await sim(demo, "at_door", {"name": "courier"})
    await log_in(page, demo)
    await open_device_page(page, demo)
    states = "document.querySelector('home-assistant').hass.states"
    camera = await page.wait_for(
        f"Object.keys({states}).find((id) => id.startsWith('camera.'))",
        within=30,
        what="the lock's camera entity",
    )
    await page.wait_for(
        f"{states}[{json.dumps(camera)}].state !== 'unavailable'",
        what="the camera available",
    )
    open_dialog = (
        "document.querySelector('home-assistant').dispatchEvent(new CustomEvent("
        f"'hass-more-info', {{detail: {{entityId: {json.dumps(camera)}}},"
        " bubbles: true, composed: true}))"
    )
    # The MJPEG stream is an <img> whose frames replace each other in place; the
    # dialog's first stream request shows the live view, even when Home Assistant's
    # start is not over yet (the demo is ready before it is).
    live = (
        "__deepAll('img').find((img) =>"
        " img.src.includes('/api/camera_proxy_stream/') && img.naturalWidth === 640)"
    )
    await page.evaluate(open_dialog)
    await page.wait_for(live, within=15, what="the live view's frames")
    await page.screenshot(artifacts / "home-assistant-live-view.png")
