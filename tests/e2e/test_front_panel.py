"""The simulator's front panel in a real browser, on the real edge driver.

The edge driver runs in process on simulated hardware, with its ``/sim/v1`` surface on
a free loopback port; the page is the one served at ``/`` of that port. What a person
does is done with the mouse on the page (only set-up steps use the simulator's Python
API), and checked on the page: LEDs, transcript, bolt, door, volume.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
import json
from pathlib import Path

import pytest

from ezlock_edge.app import EdgeApp, EdgeOptions
from ezlock_edge.clock import ManualClock
from tests.support.lock import ADMIN_PASSWORD, create_first_admin, sim_of

from .cdp import Page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[EdgeApp]:
    """Run the edge driver on a fresh simulated lock, its /sim/v1 on a port it binds (0)."""
    app = EdgeApp(
        EdgeOptions(
            data_dir=tmp_path / "edge",
            tls=False,
            motor_travel=0.05,
            simulate=True,
            sim_http_port=0,
        )
    )
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


@pytest.fixture
def panel_url(edge: EdgeApp) -> str:
    """Give the front panel's URL: ``/`` of the simulator's port."""
    return f"http://127.0.0.1:{edge.sim_http_port}/"


async def heard(page: Page, prompt: str) -> None:
    """Wait until the transcript shows the lock saying ``prompt``."""
    await page.wait_for(
        "[...document.querySelectorAll('#transcript li')]"
        f".some((item) => item.dataset.prompt === {json.dumps(prompt)})",
        what=f"the lock to say {prompt}",
    )


async def lit_keys(page: Page) -> list[str]:
    """List the keypad keys the page shows lit or blinking."""
    keys = await page.evaluate(
        "[...document.querySelectorAll('[data-key].lit, [data-key].blink')]"
        ".map((key) => key.dataset.key)"
    )
    return sorted(keys)


async def press(page: Page, *keys: str) -> None:
    """Click keypad keys one after another."""
    for key in keys:
        await page.click(f"__deep('[data-key=\"{key}\"]')", what=f"the {key} key")


async def test_first_admin_then_password_unlock(
    page: Page, panel_url: str, artifacts: Path
) -> None:
    """L-26 first admin on the keypad, L-03 keys lit by the lock, L-40 password unlock."""
    await page.goto(panel_url)
    await page.wait_for("document.body.dataset.online === 'true'", what="the panel")
    assert await page.evaluate("document.querySelector('#bolt').dataset.state") == (
        "locked"
    )

    await page.click("document.querySelector('#keypad')", what="the keypad glass")
    await heard(page, "welcome_add_admin")
    await page.wait_for("document.querySelector('#front').classList.contains('awake')")
    # The manual's initial state lights 1 / 2 (door direction), back and confirm.
    await page.wait_for(
        "document.querySelectorAll('[data-key].lit').length === 4", what="four keys lit"
    )
    assert await lit_keys(page) == ["1", "2", "back", "confirm"]
    await page.screenshot(artifacts / "welcome.png")

    await press(page, "confirm")
    await heard(page, "enter_password")
    await press(page, *ADMIN_PASSWORD, "confirm")
    await heard(page, "enter_password_again")
    await press(page, *ADMIN_PASSWORD, "confirm")
    await heard(page, "success")

    await press(page, *ADMIN_PASSWORD, "confirm")
    await heard(page, "door_unlocked")
    await page.wait_for(
        "document.querySelector('#bolt').dataset.state === 'unlocked'",
        what="the bolt to show unlocked",
    )
    await page.screenshot(artifacts / "unlocked.png")


async def test_physical_keyboard_types_on_the_keypad(
    page: Page, edge: EdgeApp, panel_url: str
) -> None:
    """L-40: digits and Enter typed on the computer's keyboard reach the keypad."""
    await create_first_admin(sim_of(edge))
    await page.goto(panel_url)
    await heard(page, "success")

    for key in [*ADMIN_PASSWORD, "Enter"]:
        await page.press_key(key)
    await heard(page, "door_unlocked")
    await page.wait_for(
        "document.querySelector('#bolt').dataset.state === 'unlocked'",
        what="the bolt to show unlocked",
    )


async def test_door_and_rear_lock_button(page: Page, panel_url: str) -> None:
    """L-02 door sensor, L-44 rear lock button: the page shows bolt and door live."""
    await page.goto(panel_url)
    await page.wait_for("document.body.dataset.online === 'true'", what="the panel")

    await page.click("document.querySelector('#door-open')", what="Open door")
    await page.wait_for(
        "document.querySelector('#door').dataset.state === 'open' &&"
        " document.querySelector('#bolt').dataset.state === 'unlocked'",
        what="the door open and the bolt retracted by the handle",
    )
    await page.click("document.querySelector('#door-close')", what="Close door")
    await page.wait_for(
        "document.querySelector('#door').dataset.state === 'closed'", what="door closed"
    )
    await page.click("document.querySelector('#lock-button')", what="the lock button")
    await page.wait_for(
        "document.querySelector('#bolt').dataset.state === 'locked'",
        what="the bolt thrown by the rear lock button",
    )


async def test_label_sticker_and_unknown_action_error(
    page: Page, panel_url: str
) -> None:
    """L-64: the sticker shows the serial and verification code; refusals are shown."""
    await page.goto(panel_url)
    code = await page.wait_for(
        "document.querySelector('#label-code').textContent.match(/^[A-Z0-9]{4,}$/)"
        " && document.querySelector('#label-code').textContent",
        what="the sticker's verification code",
    )
    assert await page.evaluate("document.querySelector('#label-serial').textContent")
    assert code.isalnum()

    # An empty identity is refused by /sim/v1, and the page says so.
    await page.evaluate("document.querySelector('#identity').value = ''")
    await page.click("__byText('button', 'Finger')", what="the Finger button")
    message = await page.wait_for(
        "!document.querySelector('#error').hidden &&"
        " document.querySelector('#error').textContent",
        what="the error line",
    )
    assert message.startswith("finger:")


async def test_doorbell_key_and_long_press_mute(
    page: Page, edge: EdgeApp, panel_url: str
) -> None:
    """L-49 doorbell key; L-48 holding 0 (a long press on the page) mutes the prompts."""
    await create_first_admin(sim_of(edge))
    await page.goto(panel_url)
    await heard(page, "success")

    await press(page, "doorbell")
    await heard(page, "doorbell")
    assert await page.evaluate("document.querySelector('#volume').textContent") != (
        "muted"
    )

    await page.hold(
        "__deep('[data-key=\"0\"]')",
        until="document.querySelector('#volume').textContent === 'muted'",
        what="the 0 key, until the lock mutes its prompts",
    )


async def test_lock_time_and_skip_ahead(tmp_path: Path, page: Page) -> None:
    """Issue #13: the page shows the simulated time; +20 s puts the keypad to sleep (L-03)."""
    app = EdgeApp(
        EdgeOptions(
            data_dir=tmp_path / "edge",
            tls=False,
            clock=ManualClock(datetime(2026, 5, 4, 8, 0, tzinfo=UTC)),
            motor_travel=0.05,
            simulate=True,
            sim_http_port=0,
        )
    )
    await app.start()
    try:
        await page.goto(f"http://127.0.0.1:{app.sim_http_port}/")
        await page.wait_for(
            "document.querySelector('#clock-kind').textContent === 'manual'",
            what="the manual clock",
        )
        assert await page.evaluate("document.querySelector('#clock-now').dateTime") == (
            "2026-05-04T08:00:00+00:00"
        )
        await page.click("document.querySelector('#keypad')", what="the keypad glass")
        await heard(page, "welcome_add_admin")
        await page.wait_for(
            "document.querySelector('#front').classList.contains('awake')",
            what="the keypad awake",
        )
        await page.click("document.querySelector('[data-skip=\"20\"]')", what="+20 s")
        await page.wait_for(
            "document.querySelector('#clock-now').dateTime"
            " === '2026-05-04T08:00:20+00:00'"
            " && !document.querySelector('#front').classList.contains('awake')",
            what="20 s later and the keypad dark",
        )
        assert await lit_keys(page) == []
    finally:
        await app.stop()


async def test_real_clock_cannot_be_skipped(page: Page, panel_url: str) -> None:
    """With the system clock the skip buttons are off and say how to get a manual one."""
    await page.goto(panel_url)
    await page.wait_for(
        "document.querySelector('#clock-kind').textContent === 'real'"
        " && !document.querySelector('#clock-hint').hidden"
        " && document.querySelector('[data-skip=\"20\"]').disabled",
        what="the real clock, skipping disabled",
    )
