"""Home Assistant's frontend as a person uses it: the login page, text fields, links, flows.

The browser tests share these steps; each waits for what a person would see next.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from .cdp import Page

DIALOG = "__deep('dialog-data-entry-flow')"
"""The config (and subentry) flow dialog."""
FLOW_TEXT = f"__deepText({DIALOG})"


async def fill(page: Page, selector: str, value: str) -> None:
    """Click a text field and type ``value``, as a person would, until it holds it.

    Home Assistant's login form renders twice while it loads, which can steal the
    focus of a field clicked too early: then the typing is done again.
    """
    field = f"__deep({json.dumps(selector)})"
    for _ in range(3):
        await page.click(field, what=selector)
        await page.evaluate(f"{field}.select()")
        await page.type_text(value)
        with contextlib.suppress(TimeoutError):
            await page.wait_for(
                f"{field}.value === {json.dumps(value)}", within=2, what=selector
            )
            return
    raise AssertionError(f"could not type into {selector}")


async def log_in(page: Page, demo: dict[str, Any]) -> None:
    """Log in to Home Assistant through its login page, as the demo owner."""
    await page.goto(demo["home_assistant"])
    await page.wait_for(
        "__deep('input[name=\"password\"]')", within=30, what="the login form"
    )
    await fill(page, 'input[name="username"]', demo["username"])
    await fill(page, 'input[name="password"]', demo["password"])
    await page.press_key("Enter")
    await page.wait_for(
        "document.querySelector('home-assistant')?.hass?.connected === true",
        within=60,
        what="Home Assistant's frontend to connect",
    )


async def open_in_app(page: Page, path: str) -> None:
    """Go to another Home Assistant page the way its own links do (no reload)."""
    await page.evaluate(
        f"history.pushState(null, '', {json.dumps(path)}) ||"
        " window.dispatchEvent(new CustomEvent('location-changed'))"
    )


async def submit(page: Page) -> None:
    """Press the flow dialog's Submit (Next, Finish, OK) button."""
    await page.click(
        f"__deepAll('ha-button, mwc-button', {DIALOG}.shadowRoot)"
        ".find((b) => __visible(b) && /submit|next|finish|ok/i.test(__deepText(b)))",
        what="the dialog's submit button",
    )


async def choose(page: Page, label: str) -> None:
    """Pick the flow dialog's menu item whose text includes ``label``."""
    await page.click(
        f"__deepAll('ha-md-list-item, mwc-list-item, ha-list-item', {DIALOG}.shadowRoot)"
        f".find((item) => __visible(item) && __deepText(item).includes({json.dumps(label)}))",
        what=label,
    )
