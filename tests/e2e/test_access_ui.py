"""Who can open the door, managed in a real browser through Home Assistant's own UI.

On the one-command demo (the simulated lock paired with Home Assistant): the lock's rows
on the integration page (task 1), adding a person (task 2) and enrolling their finger
with the dialog's live progress (task 4), that finger opening the door, and a visitor
code created in the dialog (task 5), shown once and opening the door. The screenshots
are the ones docs/home-assistant.md shows.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
from typing import Any

import pytest

from .cdp import Page
from .demo_stack import running_demo, sim
from .ha_pages import DIALOG, FLOW_TEXT, choose, fill, log_in, open_in_app, submit

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run the demo for this module; Ctrl-C it afterwards."""
    with running_demo(tmp_path_factory.mktemp("access-demo")) as running:
        yield running.info


async def _open_integration(page: Page, demo: dict[str, Any]) -> None:
    await open_in_app(page, "/config/integrations/integration/ezlock")
    await page.wait_for(
        f"__deepText().includes({json.dumps(demo['lock_user'])})",
        within=30,
        what="the lock's people on the integration page",
    )


async def test_add_a_person_enroll_a_finger_and_give_a_visitor_a_code(
    page: Page, demo: dict[str, Any], artifacts: Path
) -> None:
    """Tasks 1, 2, 4, 5 in the browser; the finger and the code then open the door."""
    await log_in(page, demo)
    await _open_integration(page, demo)
    await page.screenshot(artifacts / "home-assistant-access-rows.png")

    # Task 2: add a person.
    await page.click(
        "__byText('ha-button, mwc-button', 'Add person')", what="Add person"
    )
    await page.wait_for(f"{FLOW_TEXT}.includes('Add a person')", what="the person form")
    await fill(page, "ha-textfield[name='name'] input, input[name='name']", "Bob")
    await page.screenshot(artifacts / "home-assistant-add-person.png")
    await submit(page)
    await page.wait_for(
        f"{FLOW_TEXT}.includes('Enroll a fingerprint')", what="the person's menu"
    )
    await page.screenshot(artifacts / "home-assistant-person-menu.png")

    # Task 4: enroll a fingerprint with live progress; the finger is laid at the lock.
    await choose(page, "Enroll a fingerprint")
    await page.wait_for(
        f"{FLOW_TEXT}.includes('Enroll for Bob')", what="the enroll form"
    )
    await submit(page)
    await page.wait_for(
        f"{FLOW_TEXT}.includes('Place the finger on the reader')",
        within=30,
        what="the live progress saying what the lock asks",
    )
    await page.screenshot(artifacts / "home-assistant-enrolling.png")
    await sim(demo, "finger", {"id": "bob-index"})
    await page.wait_for(
        f"{FLOW_TEXT}.includes('Lift the finger and place it again')",
        within=30,
        what="the lock asking for the finger again",
    )
    await page.screenshot(artifacts / "home-assistant-enrolling-again.png")
    for _ in range(10):
        await sim(demo, "finger", {"id": "bob-index"})
        if await page.evaluate(f"{FLOW_TEXT}.includes('Done')"):
            break
        await page.wait_for(
            f"{FLOW_TEXT}.includes('Capture') || {FLOW_TEXT}.includes('Done')",
            within=15,
            what="the next capture",
        )
    await page.wait_for(f"{FLOW_TEXT}.includes('Done')", within=30, what="done")
    await page.screenshot(artifacts / "home-assistant-enrolled.png")
    await submit(page)
    await choose(page, "Done")
    await page.wait_for(f"{FLOW_TEXT}.includes('Bob')", what="Bob created")
    await submit(page)  # Finish
    await page.wait_for("!__byText('ha-button, mwc-button', 'Finish')", what="closed")
    await page.wait_for("__deepText().includes('Bob')", what="Bob's row")

    lock = json.dumps(demo["lock_entity"])
    state = f"document.querySelector('home-assistant').hass.states[{lock}]"
    await sim(demo, "finger", {"id": "bob-index"})
    await page.wait_for(
        f"{state}.attributes.changed_by === 'Bob'",
        within=30,
        what="Bob's finger to open the door",
    )

    # Task 5: a visitor code, shown once.
    await page.click(
        "__byText('ha-button, mwc-button', 'Add visitor code')", what="Add visitor code"
    )
    await page.wait_for(f"{FLOW_TEXT}.includes('Give a visitor')", what="the form")
    await fill(
        page, "ha-textfield[name='name'] input, input[name='name']", "Weekend guest"
    )
    await page.screenshot(artifacts / "home-assistant-visitor-code-form.png")
    await submit(page)
    await page.wait_for(
        f"{FLOW_TEXT}.includes('not shown again')", within=30, what="the code"
    )
    await page.screenshot(artifacts / "home-assistant-visitor-code.png")
    code = await page.evaluate(
        f"__deepAll('h1', {DIALOG}.shadowRoot).map((h) => h.textContent).join('')"
    )
    digits = "".join(ch for ch in str(code) if ch.isdigit())
    assert len(digits) == 8, code
    await submit(page)
    await page.wait_for(f"{FLOW_TEXT}.includes('Weekend guest')", what="created")
    await submit(page)  # Finish
    await page.wait_for("!__byText('ha-button, mwc-button', 'Finish')", what="closed")
    await page.wait_for("__deepText().includes('Weekend guest')", what="the code's row")
    await page.screenshot(artifacts / "home-assistant-access-rows-after.png")
    await sim(demo, "keypad", {"keys": [*digits, "confirm"]})
    await page.wait_for(
        f"{state}.attributes.changed_by === 'Weekend guest'",
        within=30,
        what="the visitor code to open the door",
    )

    # A new fingerprint module: Bob's finger is lost with the old one; a repair says so
    # and removes his fingerprint from the lock.
    fingerprints = (
        "Object.values(document.querySelector('home-assistant').hass.states)"
        ".find((s) => s.entity_id.startsWith('sensor.')"
        " && s.entity_id.endsWith('_fingerprints'))"
    )
    await sim(demo, "replace_module", {"link": "fingerprint"})
    await page.wait_for(
        f"{fingerprints}.state === 'unavailable'", within=30, what="the module out"
    )
    await sim(demo, "replug", {"link": "fingerprint"})
    await open_in_app(page, "/config/repairs")
    lost = "fingerprints lost from the fingerprint module"
    await page.wait_for(
        f"__deepText().includes({json.dumps(lost)})", within=30, what="the repair"
    )
    await page.click(
        "__deepAll('ha-list-item-button, ha-md-list-item, ha-list-item')"
        f".find((e) => __visible(e) && __deepText(e).includes({json.dumps(lost)}))",
        what="the repair",
    )
    await page.wait_for(
        f"{FLOW_TEXT}.includes('Remove the lost fingerprints')"
        f" && {FLOW_TEXT}.includes('Bob')",
        within=30,
        what="the repair's form, naming Bob",
    )
    await page.screenshot(artifacts / "home-assistant-templates-repair.png")
    await submit(page)
    await page.wait_for(
        f"{fingerprints}.state === '0' && !__deepText().includes({json.dumps(lost)})",
        within=30,
        what="Bob's lost fingerprint removed from the lock, the repair gone",
    )


async def test_the_visitor_form_in_traditional_chinese(
    page: Page, demo: dict[str, Any], artifacts: Path
) -> None:
    """zh-Hant as Taiwan's Home Assistant reads: the add buttons and the visitor form."""
    await log_in(page, demo)
    await page.evaluate("localStorage.setItem('selectedLanguage', '\"zh-Hant\"')")
    await page.goto(demo["home_assistant"] + "/config/integrations/integration/ezlock")
    await page.wait_for(
        f"__deepText().includes({json.dumps(demo['lock_user'])})"
        " && __byText('ha-button, mwc-button', '新增訪客密碼')",
        within=60,
        what="the integration page in zh-Hant, with its rows",
    )
    await page.click(
        "__byText('ha-button, mwc-button', '新增訪客密碼')", what="新增訪客密碼"
    )
    await page.wait_for(
        f"{FLOW_TEXT}.includes('給訪客一組密碼')", what="the zh-Hant form"
    )
    labels = " && ".join(
        f"__deepText().includes({json.dumps(words)})"
        for words in ("生效時間", "失效時間", "每週排程", "使用次數", "傳送")
    )
    await page.wait_for(labels, what="the form's zh-Hant labels and 傳送")
    await page.screenshot(artifacts / "home-assistant-visitor-code-form-zh-hant.png")


async def test_the_menus_and_the_overview_in_traditional_chinese(
    page: Page, demo: dict[str, Any], artifacts: Path
) -> None:
    """zh-Hant chosen in the user's profile: a person's menu and the overview.

    What the integration writes itself (the summary, the overview's tables) follows the
    language saved in the user's profile, the rest is Home Assistant's translation.
    """
    await log_in(page, demo)
    # What the profile page saves when the user picks a language.
    await page.evaluate(
        "document.querySelector('home-assistant').hass.connection.sendMessagePromise("
        "{type: 'frontend/set_user_data', key: 'language', value: {language: 'zh-Hant',"
        " number_format: 'language', time_format: 'language', date_format: 'language',"
        " time_zone: 'local', first_weekday: 'language'}})"
    )
    await page.evaluate("localStorage.setItem('selectedLanguage', '\"zh-Hant\"')")
    await page.goto(demo["home_assistant"] + "/config/integrations/integration/ezlock")
    user = json.dumps(demo["lock_user"])
    await page.wait_for(
        f"__deepText().includes({user})"
        " && __byText('ha-button, mwc-button', '新增訪客密碼')",
        within=60,
        what="the integration page in zh-Hant, with its rows",
    )
    await page.click(
        "__deepAll('ha-config-sub-entry-row')"
        f".filter((r) => __deepText(r).includes({user}))"
        ".map((r) => __deepAll('ha-icon-button', r.shadowRoot)"
        ".find((b) => __visible(b)))[0]",
        what="the person's menu",
    )
    await page.wait_for(
        f"{FLOW_TEXT}.includes('設定或更換密碼') && {FLOW_TEXT}.includes('管理員')",
        what="the person's menu in zh-Hant, its summary too",
    )
    await page.screenshot(artifacts / "home-assistant-person-menu-zh-hant.png")
    await page.click(
        f"__deepAll('ha-icon-button', {DIALOG}.shadowRoot)"
        ".find((b) => __visible(b) && b.label === '關閉')",
        what="the dialog's close button",
    )
    await page.wait_for(f"!{DIALOG} || !__visible({DIALOG})", what="closed")
    await page.click(
        "__deepAll('ha-config-entry-row').map((r) => __deepAll('ha-icon-button',"
        " r.shadowRoot).find((b) => __visible(b) && b.label === '設定'))"
        ".find(Boolean)",
        what="the entry's 設定",
    )
    await choose(page, "誰可以開門")
    await page.wait_for(
        f"{FLOW_TEXT}.includes('訪客密碼與藍牙鑰匙') && {FLOW_TEXT}.includes('返回門鎖選項')"
        f" && {FLOW_TEXT}.includes('名稱')",
        what="the overview in zh-Hant, its tables too",
    )
    await page.screenshot(artifacts / "home-assistant-overview-zh-hant.png")
