"""The rest of the access tasks in a real browser, on a lock whose clock the test moves.

On the one-command demo with the simulated lock on a manual clock (``--sim-clock
manual``): the one-screen overview (task 1), replacing a password with the lock's rule
named when one is refused (task 3), marking a credential as duress (task 6), a visitor
code with a weekly schedule made in the form that opens the door inside its window and
not outside it when the lock's time moves (task 5 and the schedules), and revoking it
(task 6), whose row then says so. The screenshots are the ones docs/home-assistant.md
shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from .cdp import Page
from .demo_stack import running_demo, sim
from .ha_pages import DIALOG, FLOW_TEXT, choose, fill, log_in, open_in_app, submit

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

FORM = "__deep('dialog-form').shadowRoot"
"""The small dialog in which the schedule's list editor adds one window."""
NEW_PASSWORD = "147036"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run the demo with ``--sim-clock manual`` for this module; Ctrl-C it after."""
    with running_demo(
        tmp_path_factory.mktemp("access-tasks-demo"), "--sim-clock", "manual"
    ) as running:
        yield running.info


async def _lock_now(demo: dict[str, Any]) -> datetime:
    """Read the lock's time, in its own zone (``/info``), where schedules are read."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(demo["edge_api"], ssl=False) as reply,
    ):
        zone = ZoneInfo((await reply.json())["time_zone"])
    clock = await sim(demo, "clock", {})
    return datetime.fromisoformat(clock["now"]).astimezone(zone)


async def _advance_to(demo: dict[str, Any], moment: datetime) -> None:
    """Move the lock's manual clock forward to ``moment``."""
    seconds = (moment - await _lock_now(demo)).total_seconds()
    assert seconds > 0, moment
    await sim(demo, "clock", {"advance": seconds})


def _in_dialog(selector: str, text: str, root: str = f"{DIALOG}.shadowRoot") -> str:
    return (
        f"__deepAll({json.dumps(selector)}, {root})"
        f".find((e) => __visible(e) && __deepText(e).trim() === {json.dumps(text)})"
    )


async def _radio(page: Page, label: str) -> None:
    """Pick the option of a list selector (radio buttons) by its label."""
    await page.click(
        f"__deepAll('ha-radio-option', {DIALOG}.shadowRoot)"
        f".find((o) => __visible(o) && __deepText(o).trim() === {json.dumps(label)})",
        what=label,
    )


async def _row_menu(page: Page, title: str) -> None:
    """Open a row's menu: the Configure button of the subentry row ``title``."""
    await page.click(
        "__deepAll('ha-config-sub-entry-row')"
        f".filter((r) => __deepText(r).includes({json.dumps(title)}))"
        ".map((r) => __deepAll('ha-icon-button', r.shadowRoot)"
        ".find((b) => b.label === 'Configure'))[0]",
        what=f"the menu of {title}",
    )


async def _close_dialog(page: Page) -> None:
    await page.click(
        f"__deepAll('ha-icon-button', {DIALOG}.shadowRoot)"
        ".find((b) => __visible(b) && b.label === 'Close')",
        what="the dialog's Close",
    )
    await page.wait_for(f"!{DIALOG} || !__visible({DIALOG})", what="the dialog closed")


async def _set_time(page: Page, index: int, hour: int, minute: int) -> None:
    """Type a time into the window dialog's ``index``-th time field (12-hour clock)."""
    fields = f"__deepAll('ha-base-time-input', {FORM})[{index}]"
    for name, value in (("hours", hour % 12 or 12), ("minutes", minute)):
        field = f"__deep('input[name={name}]', {fields}.shadowRoot)"
        await page.click(field, what=f"{name} of time {index}")
        await page.evaluate(f"{field}.select()")
        await page.type_text(str(value))
        await page.evaluate(f"{field}.blur()")  # the field takes it on change
    wanted = "AM" if hour < 12 else "PM"
    select = f"__deep('ha-select', {fields}.shadowRoot)"
    if await page.evaluate(f"{select}.value") != wanted:
        await page.click(select, what="AM/PM")
        await page.click(
            f"__deepAll('ha-dropdown-item', {select}.shadowRoot)"
            f".find((e) => __visible(e) && __deepText(e).trim() === {json.dumps(wanted)})",
            what=wanted,
        )
    await page.wait_for(
        f"{fields}.hours == {hour % 12 or 12} && {fields}.minutes == {minute}"
        f" && {fields}.amPm === {json.dumps(wanted)}",
        what=f"time {index} set",
    )


async def _add_window(page: Page, day: str, start: datetime, end: datetime) -> None:
    """Add one weekly window with the schedule's list editor, as a person would."""
    await page.click(
        f"__deepAll('ha-button', __deep('ha-selector-object', {DIALOG}.shadowRoot)"
        ".shadowRoot).find((b) => __deepText(b).includes('Add'))",
        what="the schedule's Add",
    )
    await page.wait_for(
        f"__deep('dialog-form') && __deepAll('ha-base-time-input', {FORM}).length == 2",
        what="the window dialog",
    )
    # The days: exactly the window's day.
    chips = f"__deepAll('ha-input-chip', {FORM}).filter(__visible)"
    labels = f"JSON.stringify({chips}.map((c) => c.label))"
    for _ in range(8):  # a click a loaded page gives another day is undone below
        days = await page.evaluate(f"{chips}.map((c) => c.label)")
        if days == [day]:
            break
        if day not in days:
            await page.click(_in_dialog("ha-button", "Days", FORM), what="Days")
            await page.click(
                f"__deepAll('ha-combo-box-item').find((i) => __visible(i)"
                f" && __deepText(i).trim() === {json.dumps(day)})",
                what=day,
            )
            await page.wait_for(
                f"{labels} !== {json.dumps(json.dumps(days, separators=(',', ':')))}",
                what=f"a day chosen ({day} asked for)",
            )
            continue
        other = next(d for d in days if d != day)
        await page.click(
            f"{chips}.find((c) => c.label === {json.dumps(other)})"
            ".shadowRoot.querySelector('button.remove')",
            what=f"remove {other}",
        )
        await page.wait_for(
            f"!{chips}.some((c) => c.label === {json.dumps(other)})",
            what=f"{other} removed",
        )
    else:
        raise AssertionError(f"the window's days stayed {days}, not [{day}]")
    await _set_time(page, 0, start.hour, start.minute)
    await _set_time(page, 1, end.hour, end.minute)
    await page.click(_in_dialog("ha-button", "Add", FORM), what="the window's Add")
    await page.wait_for(
        "!__deepAll('dialog-form').some(__visible)", what="the window dialog closed"
    )


async def test_overview_password_duress_schedule_and_revoke(
    page: Page, demo: dict[str, Any], artifacts: Path
) -> None:
    """Tasks 1, 3, 5 with a schedule, 6; the lock's time moves in and out of it."""
    await log_in(page, demo)
    await open_in_app(page, "/config/integrations/integration/ezlock")
    await page.wait_for(
        f"__deepText().includes({json.dumps(demo['lock_user'])})",
        within=30,
        what="the lock's people on the integration page",
    )
    lock = json.dumps(demo["lock_entity"])
    access = json.dumps(demo["access_entity"])
    states = "document.querySelector('home-assistant').hass.states"

    # Task 3: replace Alice's password; a refused one names the lock's rule (L-25).
    await _row_menu(page, "Alice")
    # The menu's summary (Markdown) renders after the menu: wait for it, so that the
    # items no longer move.
    await page.wait_for(
        f"{FLOW_TEXT}.includes('Set or replace the password')"
        f" && {FLOW_TEXT}.includes('Role: Admin')",
        what="Alice's menu",
    )
    await choose(page, "Set or replace the password")
    await page.wait_for(f"{FLOW_TEXT}.includes('Password of Alice')", what="the form")
    for value in ("123456", NEW_PASSWORD):
        await fill(page, "input[name='password']", value)
        await fill(page, "input[name='password_repeat']", value)
        if value == "123456":
            await submit(page)
            await page.wait_for(
                f"{FLOW_TEXT}.includes('Consecutive digits')",
                what="the broken rule named",
            )
            await page.screenshot(artifacts / "home-assistant-password-refused.png")
    await submit(page)
    await page.wait_for(
        f"{FLOW_TEXT}.includes('Remove a credential or mark it as duress')"
        f" && {FLOW_TEXT}.includes('Role: Admin')",
        what="back in Alice's menu",
    )
    assert NEW_PASSWORD not in str(await page.evaluate(FLOW_TEXT))

    # Task 6: mark her password as the duress one (L-29).
    await choose(page, "Remove a credential or mark it as duress")
    await page.wait_for(f"{FLOW_TEXT}.includes('Credentials of Alice')", what="form")
    await _radio(page, "Password")
    await _radio(page, "Mark as duress")
    await page.screenshot(artifacts / "home-assistant-credentials.png")
    await submit(page)
    await page.wait_for(
        f"{FLOW_TEXT}.includes('(duress)') && {FLOW_TEXT}.includes('Role: Admin')",
        what="the duress mark",
    )
    await choose(page, "Done")
    await page.click(
        _in_dialog("ha-button, mwc-button", "Close"), what="the dialog's Close"
    )
    await page.wait_for(f"!{DIALOG} || !__visible({DIALOG})", what="closed")

    # Task 5 with a weekly schedule: one hour from the next full hour, on the lock's
    # clock, and as many uses as the visitor likes.
    now = await _lock_now(demo)
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    end = start + timedelta(hours=1)
    day = start.strftime("%a")
    await page.click(
        "__byText('ha-button, mwc-button', 'Add visitor code')", what="Add visitor code"
    )
    await page.wait_for(f"{FLOW_TEXT}.includes('Give a visitor')", what="the form")
    await fill(page, "ha-textfield[name='name'] input, input[name='name']", "Cleaner")
    await _add_window(page, day, start, end)
    await _radio(page, "Unlimited")
    await page.wait_for(
        f"{FLOW_TEXT}.includes({json.dumps(f'{start:%H:%M}')})",
        what="the window in the form's list",
    )
    await page.screenshot(artifacts / "home-assistant-visitor-code-schedule.png")
    await submit(page)
    await page.wait_for(
        f"{FLOW_TEXT}.includes('not shown again')", within=30, what="the code"
    )
    code = await page.evaluate(
        f"__deepAll('h1', {DIALOG}.shadowRoot).map((h) => h.textContent).join('')"
    )
    digits = "".join(ch for ch in str(code) if ch.isdigit())
    assert len(digits) == 8, code
    await submit(page)
    await page.wait_for(f"{FLOW_TEXT}.includes('Cleaner')", what="created")
    await submit(page)  # Finish
    await page.wait_for("!__byText('ha-button, mwc-button', 'Finish')", what="closed")

    # Inside its window the code opens; two hours later, outside it, it does not.
    await _advance_to(demo, start + timedelta(minutes=5))
    await sim(demo, "keypad", {"keys": [*digits, "confirm"]})
    await sim(demo, "clock", {"advance": 5})
    await page.wait_for(
        f"{states}[{lock}].attributes.changed_by === 'Cleaner'",
        within=30,
        what="the code to open the door inside its schedule",
    )
    await _advance_to(demo, end + timedelta(minutes=55))
    await sim(demo, "keypad", {"keys": [*digits, "confirm"]})
    await sim(demo, "clock", {"advance": 5})
    await page.wait_for(
        f"{states}[{access}].attributes.event_type === 'unlock_failed'"
        f" && {states}[{access}].attributes.reason === 'outside_schedule'"
        f" && {states}[{access}].attributes.visitor_name === 'Cleaner'",
        within=30,
        what="the code refused outside its schedule",
    )

    # Task 6: revoke it; its row stays and says so. Outside its window it is not
    # active, and its row says so without a reload.
    await page.wait_for(
        "__deepText().includes('Cleaner (Outside the schedule)')",
        what="the row of the code outside its window",
    )
    await _row_menu(page, "Cleaner")
    await page.wait_for(
        f"{FLOW_TEXT}.includes('Revoke now')"
        f" && {FLOW_TEXT}.includes('Status: Outside the schedule')",
        what="its menu",
    )
    await page.screenshot(artifacts / "home-assistant-visitor-menu.png")
    await choose(page, "Revoke now")
    await page.wait_for(f"{FLOW_TEXT}.includes('was revoked')", what="revoked")
    await page.click(
        _in_dialog("ha-button, mwc-button", "Close"), what="the dialog's Close"
    )
    await page.wait_for(
        "__deepText().includes('Cleaner (Revoked)')", what="the row marked revoked"
    )

    # Task 1: everyone on one screen, from the entry's Configure.
    await page.click(
        "__deepAll('ha-config-entry-row').map((r) => __deepAll('ha-icon-button',"
        " r.shadowRoot).find((b) => __visible(b) && b.label === 'Configure'))"
        ".find(Boolean)",
        what="the entry's Configure",
    )
    await choose(page, "Who can open the door")
    await page.wait_for(
        f"{FLOW_TEXT}.includes('Revoked') && {FLOW_TEXT}.includes('(duress)')"
        f" && {FLOW_TEXT}.includes('Back to the lock options')",
        what="the overview",
    )
    # Read only: a menu, with no Submit button to wonder about.
    assert await page.evaluate("!__byText('ha-button, mwc-button', 'Submit')")
    await page.screenshot(artifacts / "home-assistant-overview.png")
    await _close_dialog(page)
