"""Who can open the door, managed from the integration page (issue #14).

People, visitor codes and Bluetooth keys are config subentries of the lock, added,
managed and deleted with Home Assistant's own flows, against the real edge driver:
every step and every refusal of the lock, live enrollment progress, cancelling by
closing the dialog, and subentries that follow changes made elsewhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import logging
from types import MappingProxyType
from typing import Any

from homeassistant.components.frontend.storage import async_user_store
from homeassistant.config_entries import ConfigSubentry, SubentryFlowContext
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ezlock.access_sync import (
    SUBENTRY_BLUETOOTH_KEY,
    SUBENTRY_PERSON,
    SUBENTRY_VISITOR_CODE,
)
from custom_components.ezlock.client import CredentialType
from custom_components.ezlock.const import DOMAIN, ISSUE_DELETE_REFUSED, ISSUE_NO_ADMIN
from ezlock_edge.app import EdgeApp, EdgeOptions
from ezlock_edge.core.events import Event
from ezlock_edge.core.models import VisitorKind as EdgeVisitorKind
from tests.support.lock import ADMIN_PASSWORD, create_first_admin, sim_of
from tests.support.waiting import eventually

from .common import paired_entry, setup_entry

type Result = dict[str, Any]
_SLOW_CALLBACK = "Executing %s took %.3f seconds"
"""asyncio's debug-mode warning of a slow callback: the machine's load, not the flow's."""


def _rows(entry: MockConfigEntry, kind: str) -> dict[str, ConfigSubentry]:
    """Return the entry's subentries of one type, by title."""
    return {
        subentry.title: subentry
        for subentry in entry.subentries.values()
        if subentry.subentry_type == kind
    }


async def _ready(hass: HomeAssistant, edge: EdgeApp) -> MockConfigEntry:
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    return entry


async def _start(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    kind: str,
    subentry: ConfigSubentry | None = None,
) -> Result:
    context = SubentryFlowContext(source="user")
    if subentry is not None:
        context = SubentryFlowContext(
            source="reconfigure", subentry_id=subentry.subentry_id
        )
    return dict(
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, kind), context=context
        )
    )


async def _step(hass: HomeAssistant, result: Result, data: Any = None) -> Result:
    if data is None:
        return dict(
            await hass.config_entries.subentries.async_configure(result["flow_id"])
        )
    return dict(
        await hass.config_entries.subentries.async_configure(result["flow_id"], data)
    )


async def _enroll(hass: HomeAssistant, result: Result, kind: str) -> Result:
    """From a person's menu, start enrolling a ``kind`` of biometric at the lock."""
    result = await _step(hass, result, {"next_step_id": "enroll"})
    return await _step(hass, result, {"type": kind})


async def _admin_menu(
    hass: HomeAssistant, edge: EdgeApp, entry: MockConfigEntry
) -> tuple[ConfigSubentry, Result]:
    """Open the lock's first admin's row: return the row and its menu."""
    row = _rows(entry, SUBENTRY_PERSON)[(await edge.core.list_users())[0].name]
    return row, await _start(hass, entry, SUBENTRY_PERSON, row)


def _visit(
    name: str, begins: timedelta = timedelta(0), ends: timedelta = timedelta(days=1)
) -> dict[str, Any]:
    """Fill a visitor form's name and validity: ``begins`` to ``ends`` from now (HA's)."""
    here = dt_util.now()
    return {
        "name": name,
        "valid_from": _form_time(here + begins),
        "valid_until": _form_time(here + ends),
    }


def _form_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _events(edge: EdgeApp, since: int, kind: str) -> list[Event]:
    return [e for e in edge.core.events.query(since, 1000) if e.type == kind]


def _lock_now(edge: EdgeApp) -> datetime:
    return datetime.now(edge.core.time_zone)


async def test_the_lock_s_people_are_rows_that_follow_the_lock(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Task 1: people appear as subentries; changes by others follow without reload."""
    entry = await _ready(hass, edge)
    [admin] = await edge.core.list_users()
    assert set(_rows(entry, SUBENTRY_PERSON)) == {admin.name}
    bob = await edge.core.create_user("Bob")  # another client, or the keypad menu
    await eventually(lambda: "Bob" in _rows(entry, SUBENTRY_PERSON), "Bob's row")
    await edge.core.update_user(bob.number, name="Robert")
    await eventually(lambda: "Robert" in _rows(entry, SUBENTRY_PERSON), "the rename")
    await edge.core.delete_user(bob.number)
    await eventually(lambda: "Robert" not in _rows(entry, SUBENTRY_PERSON), "delete")
    assert entry.runtime_data.streaming  # no reload happened


async def test_add_a_person_with_a_password_and_a_fingerprint_that_opens(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Tasks 2-4: add, password (L-25 by rule), enroll with live progress, then open."""
    entry = await _ready(hass, edge)
    result = await _start(hass, entry, SUBENTRY_PERSON)
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "user")
    window = {"days": ["mon"], "from": "10:00:00", "until": "10:00:00"}
    result = await _step(
        hass, result, {"name": "Bob", "role": "user", "schedule": [window]}
    )
    assert result["errors"] == {"schedule": "schedule_window"}
    result = await _step(hass, result, {"name": "Bob", "role": "user"})
    assert (result["type"], result["step_id"]) == (FlowResultType.MENU, "person")
    assert "delete" not in result["menu_options"]
    assert "Bob" not in _rows(entry, SUBENTRY_PERSON)  # the flow adds it at the end

    result = await _step(hass, result, {"next_step_id": "password"})
    result = await _step(hass, result, {"password": "583920", "password_repeat": "5"})
    assert result["errors"] == {"password_repeat": "password_mismatch"}
    for password, error in (
        ("123456", "password_sequential"),
        ("12a", "password_digits_only"),
    ):
        result = await _step(
            hass, result, {"password": password, "password_repeat": password}
        )
        assert result["errors"] == {"password": error}
    result = await _step(
        hass, result, {"password": ADMIN_PASSWORD, "password_repeat": ADMIN_PASSWORD}
    )
    assert result["errors"] == {"password": "password_taken"}
    result = await _step(
        hass, result, {"password": "583920", "password_repeat": "583920"}
    )
    assert result["step_id"] == "person"

    since = edge.core.events.last_seq
    result = await _enroll(hass, result, "fingerprint")
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "enroll"
    assert result["description_placeholders"]["prompt"] == (
        "Place the finger on the reader"
    )  # the first view says what the lock asks
    result = await _present_finger(hass, edge, result, since, "bob-index")
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "enrolled")
    assert result["description_placeholders"]["result"].startswith("Done")
    result = await _step(hass, result, {})
    assert "Fingerprint #" in result["description_placeholders"]["summary"]
    result = await _step(hass, result, {"next_step_id": "done"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "Bob" in _rows(entry, SUBENTRY_PERSON)

    since = edge.core.events.last_seq
    await sim_of(edge).finger("bob-index")
    await eventually(
        lambda: any(
            e.data["user"] == {"number": 2, "name": "Bob"}
            for e in _events(edge, since, "unlocked")
        ),
        "Bob's finger opens the door",
    )


async def _present_finger(
    hass: HomeAssistant, edge: EdgeApp, result: Result, since: int, finger: str
) -> Result:
    """Lay the finger on the reader once per capture until the flow moves on."""
    prompts: list[str] = []
    for _ in range(12):
        steps_before = len(_events(edge, since, "enrollment"))
        await sim_of(edge).finger(finger)

        def took(before: int = steps_before) -> bool:
            return len(_events(edge, since, "enrollment")) > before

        await eventually(took, "the lock took the finger")
        progress = await _step(hass, result)
        if progress["type"] is not FlowResultType.SHOW_PROGRESS:
            break
        prompts.append(progress["description_placeholders"]["prompt"])
        if any(
            e.data["status"] not in {"started", "progress"}
            for e in _events(edge, since, "enrollment")
        ):
            await eventually(
                lambda: (
                    hass.config_entries.subentries.async_get(result["flow_id"])[
                        "step_id"
                    ]
                    == "enrolled"
                ),
                "the outcome",
            )
            break
    assert prompts  # what the lock asked, as the dialog showed it
    return await _step(hass, result)


async def test_enrollment_outcomes_and_closing_the_dialog(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Task 4: a duplicate finger is said (L-24); closing the dialog cancels at the lock."""
    entry = await _ready(hass, edge)
    _, result = await _admin_menu(hass, edge, entry)
    assert result["step_id"] == "person"
    assert "delete" in result["menu_options"]
    since = edge.core.events.last_seq
    result = await _enroll(hass, result, "fingerprint")
    result = await _present_finger(hass, edge, result, since, "alice-index")
    assert result["description_placeholders"]["result"].startswith("Done")
    result = await _step(hass, result, {})

    since = edge.core.events.last_seq
    result = await _enroll(hass, result, "fingerprint")
    result = await _present_finger(hass, edge, result, since, "alice-index")
    assert "already enrolled" in result["description_placeholders"]["result"]
    result = await _step(hass, result, {})

    since = edge.core.events.last_seq
    result = await _enroll(hass, result, "face")
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    hass.config_entries.subentries.async_abort(result["flow_id"])  # the dialog closes
    await eventually(
        lambda: any(
            e.data["status"] == "cancelled" for e in _events(edge, since, "enrollment")
        ),
        "the enrollment cancelled at the lock",
    )


async def test_closing_the_dialog_of_an_enrollment_that_just_ended(
    hass: HomeAssistant, edge: EdgeApp, caplog: pytest.LogCaptureFixture
) -> None:
    """The lock ended it before the dialog heard: the late cancel is refused quietly."""
    entry = await _ready(hass, edge)
    _, result = await _admin_menu(hass, edge, entry)
    since = edge.core.events.last_seq
    result = await _enroll(hass, result, "face")
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    (started,) = _events(edge, since, "enrollment")
    # Ended at the lock, and the dialog closed before its event reached Home
    # Assistant (no await in between): the flow still asks the lock to cancel it.
    await edge.core.cancel_enrollment(started.data["enrollment_id"])
    hass.config_entries.subentries.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    await eventually(
        lambda: any(
            e.data["status"] == "cancelled" for e in _events(edge, since, "enrollment")
        ),
        "the enrollment cancelled at the lock",
    )
    statuses = [e.data["status"] for e in _events(edge, since, "enrollment")]
    assert statuses.count("cancelled") == 1
    watched = ("custom_components", "asyncio", "homeassistant.data_entry_flow")
    assert not [
        record
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and record.name.startswith(watched)
        and record.msg != _SLOW_CALLBACK
    ]  # no failed task, no error removing the flow


async def test_another_enrollment_s_events_are_not_the_dialog_s(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """One cancelled elsewhere as the dialog starts its own: not the dialog's outcome."""
    entry = await _ready(hass, edge)
    [admin] = await edge.core.list_users()
    _, result = await _admin_menu(hass, edge, entry)
    result = await _step(hass, result, {"next_step_id": "enroll"})
    since = edge.core.events.last_seq
    other = await edge.core.start_enrollment(admin.number, "palm")
    await eventually(
        lambda: any(
            e.data["status"] == "started" for e in _events(edge, since, "enrollment")
        ),
        "the other enrollment started",
    )
    # Cancelled just before the dialog starts its own: its ``cancelled`` event reaches
    # the dialog while (or after) its own start is answered.
    await edge.core.cancel_enrollment(other.id)
    result = await _step(hass, result, {"type": "face"})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await eventually(
        lambda: any(
            e.data["status"] == "cancelled" and e.data["enrollment_id"] == other.id
            for e in _events(edge, since, "enrollment")
        ),
        "the other enrollment cancelled",
    )
    (cancelled,) = [
        e
        for e in _events(edge, since, "enrollment")
        if e.data["enrollment_id"] == other.id and e.data["status"] == "cancelled"
    ]
    coordinator = entry.runtime_data
    await eventually(
        lambda: (coordinator.last_seq or 0) >= cancelled.seq,
        "Home Assistant heard the other's cancel",
    )
    result = await _step(hass, result)
    assert result["type"] is FlowResultType.SHOW_PROGRESS  # still its own, running
    assert result["step_id"] == "enrolling"
    placeholders = result["description_placeholders"]
    assert (placeholders["prompt"], placeholders["steps"]) == (
        "Look straight at the lock",
        "5",
    )  # the face's, not the other's palm
    hass.config_entries.subentries.async_abort(result["flow_id"])


async def test_details_credentials_and_the_last_admin(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Tasks 2, 6: rename, schedule, duress and remove; the last admin stays (L-27)."""
    entry = await _ready(hass, edge)
    [admin] = await edge.core.list_users()
    row, result = await _admin_menu(hass, edge, entry)
    result = await _step(hass, result, {"next_step_id": "details"})
    assert result["step_id"] == "details"
    result = await _step(hass, result, {"name": admin.name, "role": "user"})
    assert result["errors"] == {"base": "last_admin"}
    schedule = [{"days": ["sat", "sun"], "from": "09:00:00", "until": "00:00:00"}]
    until = _form_time(dt_util.now() + timedelta(days=30))
    result = await _step(
        hass,
        result,
        {"name": "Alice", "role": "admin", "valid_until": until, "schedule": schedule},
    )
    # L-27: the last admin opens the menu at every hour, so keeps no weekly schedule.
    assert result["errors"] == {"base": "last_admin"}
    result = await _step(
        hass, result, {"name": "Alice", "role": "admin", "valid_until": until}
    )
    assert result["step_id"] == "person"
    [alice] = await edge.core.list_users()
    assert alice.name == "Alice"
    assert alice.schedule.as_list() is None
    assert alice.valid_until is not None

    result = await _step(hass, result, {"next_step_id": "credentials"})
    [password] = await edge.core.list_credentials(alice.number)
    result = await _step(
        hass, result, {"credential": password.id, "action": "mark_duress"}
    )
    assert (await edge.core.list_credentials(alice.number))[0].duress
    assert "(duress)" in result["description_placeholders"]["summary"]
    result = await _step(hass, result, {"next_step_id": "credentials"})
    result = await _step(hass, result, {"credential": password.id, "action": "remove"})
    assert result["errors"] == {"base": "last_admin"}  # the last admin's only one
    hass.config_entries.subentries.async_abort(result["flow_id"])

    bob = await edge.core.create_user("Bob")
    await edge.core.set_password(bob.number, "583920")
    await eventually(lambda: "Bob" in _rows(entry, SUBENTRY_PERSON), "Bob's row")
    result = await _start(
        hass, entry, SUBENTRY_PERSON, _rows(entry, SUBENTRY_PERSON)["Bob"]
    )
    result = await _step(hass, result, {"next_step_id": "details"})
    result = await _step(
        hass, result, {"name": "Bob", "role": "user", "schedule": schedule}
    )
    assert result["step_id"] == "person"
    bob = await edge.core.get_user(bob.number)
    assert bob.schedule.as_list() == [
        {"days": ["sat", "sun"], "from": "09:00", "until": "24:00"}
    ]
    assert "Sat, Sun 09:00-24:00" in result["description_placeholders"]["summary"]
    result = await _step(hass, result, {"next_step_id": "credentials"})
    [bobs] = await edge.core.list_credentials(bob.number)
    result = await _step(hass, result, {"credential": bobs.id, "action": "remove"})
    assert await edge.core.list_credentials(bob.number) == []
    result = await _step(hass, result, {"next_step_id": "credentials"})
    assert result["step_id"] == "nothing"
    result = await _step(hass, result, {})
    hass.config_entries.subentries.async_abort(result["flow_id"])

    result = await _start(hass, entry, SUBENTRY_PERSON, row)
    result = await _step(hass, result, {"next_step_id": "delete"})
    result = await _step(hass, result, {})
    assert result["errors"] == {"base": "last_admin"}
    hass.config_entries.subentries.async_abort(result["flow_id"])
    await eventually(lambda: "Alice" in _rows(entry, SUBENTRY_PERSON), "the rename")


async def test_delete_a_person_from_the_menu_and_from_the_row(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Deleting a row deletes at the lock; the lock's refusal brings it back (repair)."""
    entry = await _ready(hass, edge)
    await edge.core.create_user("Bob")
    await edge.core.create_user("Carol")
    await eventually(lambda: len(_rows(entry, SUBENTRY_PERSON)) == 3, "three rows")
    result = await _start(
        hass, entry, SUBENTRY_PERSON, _rows(entry, SUBENTRY_PERSON)["Bob"]
    )
    result = await _step(hass, result, {"next_step_id": "delete"})
    result = await _step(hass, result, {})
    assert (result["type"], result["reason"]) == (
        FlowResultType.ABORT,
        "person_deleted",
    )
    assert "Bob" not in _rows(entry, SUBENTRY_PERSON)
    assert [u.name for u in await edge.core.list_users()] == ["User 001", "Carol"]

    carol = _rows(entry, SUBENTRY_PERSON)["Carol"]
    hass.config_entries.async_remove_subentry(entry, carol.subentry_id)
    await eventually(
        lambda: [u.name for u in edge.core._directory.users()] == ["User 001"],
        "Carol deleted at the lock",
    )
    admin = _rows(entry, SUBENTRY_PERSON)["User 001"]
    hass.config_entries.async_remove_subentry(entry, admin.subentry_id)
    issue_id = f"{ISSUE_DELETE_REFUSED}_{entry.entry_id}"
    await eventually(
        lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None,
        "the repair",
    )
    await eventually(lambda: "User 001" in _rows(entry, SUBENTRY_PERSON), "row back")
    assert [u.name for u in await edge.core.list_users()] == ["User 001"]


async def test_a_visitor_code_from_the_form_opens_inside_its_schedule(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Task 5: name, dates, schedule, uses; the code shown once; it opens in its hours."""
    entry = await _ready(hass, edge)
    result = await _start(hass, entry, SUBENTRY_VISITOR_CODE)
    assert result["step_id"] == "user"
    # Dates are in Home Assistant's time zone, the schedule on the lock's clock; the
    # tests run them apart (US/Pacific and the board's zone).
    now = _lock_now(edge)
    base = _visit("Weekend guest", begins=-timedelta(hours=1), ends=timedelta(days=2))
    result = await _step(hass, result, base | {"uses": "count"})
    assert result["errors"] == {"max_uses": "uses_required"}
    result = await _step(hass, result, base | {"code": "123456"})
    assert result["errors"] == {"code": "password_sequential"}
    result = await _step(hass, result, base | {"code": ADMIN_PASSWORD})
    assert result["errors"] == {"code": "password_taken"}
    # The window began half an hour ago, on the day it began: one that runs past
    # midnight belongs to that day (the test failed from 23:30 to 00:30 lock time).
    began = now - timedelta(minutes=30)
    day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][began.weekday()]
    start = began.strftime("%H:%M:00")
    end = (now + timedelta(minutes=30)).strftime("%H:%M:00")
    inside = [{"days": [day], "from": start, "until": end}]
    result = await _step(
        hass, result, base | {"schedule": inside, "uses": "count", "max_uses": 3}
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "secret")
    code = result["description_placeholders"]["code"].replace(" ", "")
    assert len(code) == 8
    assert "Weekend guest" not in _rows(entry, SUBENTRY_VISITOR_CODE)
    result = await _step(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    row = _rows(entry, SUBENTRY_VISITOR_CODE)["Weekend guest"]
    assert "code" not in row.data
    [visitor] = await edge.core.list_visitors(EdgeVisitorKind.TEMPORARY_PASSWORD)
    assert visitor.max_uses == 3

    since = edge.core.events.last_seq
    await sim_of(edge).keypad([*code, "confirm"])
    await eventually(
        lambda: any(
            e.data["visitor"] == {"id": visitor.id, "name": "Weekend guest"}
            for e in _events(edge, since, "unlocked")
        ),
        "the code opens",
    )

    # A code whose window is not now is refused with outside_schedule.
    result = await _start(hass, entry, SUBENTRY_VISITOR_CODE)
    elsewhere = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][
        (now.weekday() + 3) % 7
    ]
    outside = [{"days": [elsewhere], "from": "10:00:00", "until": "11:00:00"}]
    result = await _step(
        hass,
        result,
        base | {"name": "Cleaner", "schedule": outside, "uses": "unlimited"},
    )
    other = result["description_placeholders"]["code"].replace(" ", "")
    await _step(hass, result, {})
    since = edge.core.events.last_seq
    await sim_of(edge).keypad([*other, "confirm"])
    await eventually(
        lambda: any(
            e.data["reason"] == "outside_schedule"
            for e in _events(edge, since, "unlock_failed")
        ),
        "refused outside its schedule",
    )

    # Task 6: its menu shows the status (not active: its window is not now) and
    # revokes it.
    row = _rows(entry, SUBENTRY_VISITOR_CODE)["Cleaner (Outside the schedule)"]
    result = await _start(hass, entry, SUBENTRY_VISITOR_CODE, row)
    assert (result["type"], result["step_id"]) == (FlowResultType.MENU, "visitor")
    assert "Outside the schedule" in result["description_placeholders"]["summary"]
    result = await _step(hass, result, {"next_step_id": "keep"})
    assert result["reason"] == "visitor_kept"
    result = await _start(hass, entry, SUBENTRY_VISITOR_CODE, row)
    result = await _step(hass, result, {"next_step_id": "revoke"})
    assert result["reason"] == "visitor_revoked"
    # The row stays and says so; the code no longer opens (it counts as a wrong one).
    assert "Cleaner (Outside the schedule)" not in _rows(entry, SUBENTRY_VISITOR_CODE)
    row = _rows(entry, SUBENTRY_VISITOR_CODE)["Cleaner (Revoked)"]
    since = edge.core.events.last_seq
    await sim_of(edge).keypad([*other, "confirm"])
    await eventually(
        lambda: any(
            e.data["reason"] == "revoked" for e in _events(edge, since, "unlock_failed")
        ),
        "refused as revoked",
    )
    # Its menu now only deletes it from the list.
    result = await _start(hass, entry, SUBENTRY_VISITOR_CODE, row)
    assert result["menu_options"] == ["delete", "keep"]
    assert "Revoked" in result["description_placeholders"]["summary"]
    result = await _step(hass, result, {"next_step_id": "delete"})
    assert result["reason"] == "visitor_deleted"
    assert "Cleaner (Revoked)" not in _rows(entry, SUBENTRY_VISITOR_CODE)
    assert [
        v.name
        for v in await edge.core.list_visitors(EdgeVisitorKind.TEMPORARY_PASSWORD)
    ] == ["Weekend guest"]


async def test_a_bluetooth_key_and_a_visitor_made_elsewhere(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Bluetooth keys are rows too; a code another client made appears, and goes."""
    entry = await _ready(hass, edge)
    result = await _start(hass, entry, SUBENTRY_BLUETOOTH_KEY)
    result = await _step(hass, result, _visit("Dog walker", ends=-timedelta(days=1)))
    assert result["errors"] == {"valid_until": "invalid_validity"}
    result = await _step(hass, result, _visit("Dog walker"))
    key = result["description_placeholders"]["code"].replace(" ", "")
    assert len(key) == 12
    await _step(hass, result, {})
    assert "Dog walker" in _rows(entry, SUBENTRY_BLUETOOTH_KEY)

    created, _ = await edge.core.create_visitor(
        EdgeVisitorKind.TEMPORARY_PASSWORD,
        "Plumber",
        datetime.now(edge.core.time_zone) + timedelta(hours=3),
    )
    await eventually(
        lambda: "Plumber" in _rows(entry, SUBENTRY_VISITOR_CODE), "the other's code"
    )
    await edge.core.revoke_visitor(EdgeVisitorKind.TEMPORARY_PASSWORD, created.id)
    await eventually(
        lambda: "Plumber (Revoked)" in _rows(entry, SUBENTRY_VISITOR_CODE),
        "revoked there",
    )
    await edge.core.revoke_visitor(EdgeVisitorKind.TEMPORARY_PASSWORD, created.id)
    await eventually(
        lambda: (
            not any(
                name.startswith("Plumber")
                for name in _rows(entry, SUBENTRY_VISITOR_CODE)
            )
        ),
        "forgotten there",
    )
    # Deleting an active key's row revokes and forgets it: the row does not come back.
    row = _rows(entry, SUBENTRY_BLUETOOTH_KEY)["Dog walker"]
    hass.config_entries.async_remove_subentry(entry, row.subentry_id)
    access = entry.runtime_data.access
    await eventually(
        lambda: (
            edge.core._visitors.of_kind(EdgeVisitorKind.BLUETOOTH_KEY) == []
            and access._holds == 0
        ),  # the deletion finished, and reconciled
        "revoked and forgotten at the lock",
    )
    assert _rows(entry, SUBENTRY_BLUETOOTH_KEY) == {}


@pytest.fixture
async def edge_without_admin(edge_options: EdgeOptions) -> Any:
    """Run an edge driver whose lock is still in its initial state (L-26)."""
    app = EdgeApp(edge_options)
    await app.start()
    yield app
    await app.stop()


async def test_a_lock_paired_without_an_admin_raises_a_repair(
    hass: HomeAssistant, edge_without_admin: EdgeApp
) -> None:
    """L-26: the repair asks for the first admin at the keypad and goes by itself."""
    edge = edge_without_admin
    entry = await _ready(hass, edge)
    issue_id = f"{ISSUE_NO_ADMIN}_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    result = await _start(hass, entry, SUBENTRY_PERSON)
    result = await _step(hass, result, {"name": "Bob", "role": "user"})
    assert result["errors"] == {"base": "admin_required"}
    await create_first_admin(sim_of(edge))
    await eventually(
        lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None,
        "the repair goes",
    )
    await eventually(lambda: len(_rows(entry, SUBENTRY_PERSON)) == 1, "the admin row")


def test_only_biometrics_are_enrolled() -> None:
    """The enroll form offers finger, face and palm (passwords are set)."""
    from custom_components.ezlock.forms import BIOMETRIC_SELECTOR

    options = BIOMETRIC_SELECTOR.config["options"]
    assert CredentialType.PASSWORD.value not in options


async def test_refusals_and_a_lock_that_cannot_be_reached(
    hass: HomeAssistant, edge: EdgeApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Every remaining refusal shows in its form; an unreachable lock aborts cleanly."""
    entry = await _ready(hass, edge)
    [admin] = await edge.core.list_users()
    row, result = await _admin_menu(hass, edge, entry)
    result = await _step(hass, result, {"next_step_id": "details"})
    window = {"days": ["mon"], "from": "08:00:00", "until": "08:00:00"}
    result = await _step(
        hass, result, {"name": admin.name, "role": "admin", "schedule": [window]}
    )
    assert result["errors"] == {"schedule": "schedule_window"}
    result = await _step(hass, result, {"name": "Alice", "role": "admin"})
    busy = await edge.core.start_enrollment(admin.number, "palm")
    result = await _enroll(hass, result, "face")
    assert result["errors"] == {"base": "enrollment_busy"}
    await edge.core.cancel_enrollment(busy.id)
    hass.config_entries.subentries.async_abort(result["flow_id"])

    result = await _start(hass, entry, SUBENTRY_PERSON, row)
    bob = await edge.core.create_user("Bob")
    await edge.core.set_password(bob.number, "583920")
    await eventually(lambda: "Bob" in _rows(entry, SUBENTRY_PERSON), "Bob's row")
    bob_row = _rows(entry, SUBENTRY_PERSON)["Bob"]
    result = await _start(hass, entry, SUBENTRY_PERSON, bob_row)
    result = await _step(hass, result, {"next_step_id": "credentials"})
    [password] = await edge.core.list_credentials(bob.number)
    await edge.core.delete_credential(password.id)  # another client was faster
    result = await _step(hass, result, {"credential": password.id, "action": "remove"})
    assert result["errors"] == {"base": "credential_not_found"}
    hass.config_entries.subentries.async_abort(result["flow_id"])
    result = await _start(hass, entry, SUBENTRY_PERSON, row)
    result = await _step(hass, result, {"next_step_id": "done"})
    assert (result["type"], result["reason"]) == (
        FlowResultType.ABORT,
        "reconfigure_successful",
    )
    assert row.title == "Alice"

    result = await _start(hass, entry, SUBENTRY_VISITOR_CODE)
    result = await _step(hass, result, _visit("Guest") | {"schedule": [window]})
    assert result["errors"] == {"schedule": "schedule_window"}
    hass.config_entries.subentries.async_abort(result["flow_id"])

    # Rows the lock no longer knows (between two reconciliations).
    for kind, unique_id, data, reason in (
        (SUBENTRY_PERSON, "user-99", {"number": 99}, "person_gone"),
        (SUBENTRY_VISITOR_CODE, "tp_gone", {"id": "tp_gone"}, "visitor_gone"),
    ):
        stale = ConfigSubentry(
            data=MappingProxyType(data),
            subentry_type=kind,
            title="Stale",
            unique_id=unique_id,
        )
        hass.config_entries.async_add_subentry(entry, stale)
        result = await _start(hass, entry, kind, stale)
        assert (result["type"], result["reason"]) == (FlowResultType.ABORT, reason)

    visitor_row = await _a_visitor_row(hass, entry)
    await edge.stop()
    for kind, subentry in (
        (SUBENTRY_PERSON, row),
        (SUBENTRY_VISITOR_CODE, visitor_row),
    ):
        result = await _start(hass, entry, kind, subentry)
        assert (result["type"], result["reason"]) == (
            FlowResultType.ABORT,
            "cannot_connect",
        )
    result = await _start(hass, entry, SUBENTRY_PERSON)
    result = await _step(hass, result, {"name": "Bob", "role": "user"})
    assert result["errors"] == {"base": "cannot_connect"}
    # A row deleted while the lock cannot be reached: said in the log, nothing lost.
    hass.config_entries.async_remove_subentry(entry, visitor_row.subentry_id)
    await eventually(
        lambda: "Could not delete Courier at the lock" in caplog.text, "the warning"
    )


async def _a_visitor_row(hass: HomeAssistant, entry: MockConfigEntry) -> ConfigSubentry:
    result = await _start(hass, entry, SUBENTRY_VISITOR_CODE)
    result = await _step(hass, result, _visit("Courier"))
    await _step(hass, result, {})
    return _rows(entry, SUBENTRY_VISITOR_CODE)["Courier"]


async def test_a_lock_that_requires_an_admin_pin(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """require_pin_for_remote: each flow asks for a lock admin's PIN first, sends it.

    The lock checks it: a wrong one is refused (and counts towards its lockout), the
    right one lets the flow add a person and give and revoke a visitor code.
    """
    entry = await _ready(hass, edge)
    await edge.core.update_settings(require_pin_for_remote=True)
    coordinator = entry.runtime_data
    await eventually(
        lambda: coordinator.data.require_pin_for_remote, "the setting in the state"
    )

    result = await _start(hass, entry, SUBENTRY_PERSON)
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "pin")
    result = await _step(hass, result, {"pin": "12ab"})
    assert result["errors"] == {"pin": "pin_format"}
    result = await _step(hass, result, {"pin": ADMIN_PASSWORD})
    assert result["step_id"] == "user"
    result = await _step(hass, result, {"name": "Bob", "role": "user"})
    assert (result["type"], result["step_id"]) == (FlowResultType.MENU, "person")
    assert [u.name for u in await edge.core.list_users()][-1] == "Bob"
    hass.config_entries.subentries.async_abort(result["flow_id"])

    # A wrong PIN: the lock refuses the change, and counts it (remote_pin_failed).
    since = edge.core.events.last_seq
    result = await _start(hass, entry, SUBENTRY_VISITOR_CODE)
    result = await _step(hass, result, {"pin": "975318"})
    visit = _visit("Cleaner")
    result = await _step(hass, result, visit)
    assert result["errors"] == {"base": "invalid_pin"}
    assert _events(edge, since, "remote_pin_failed")
    assert await edge.core.list_visitors(EdgeVisitorKind.TEMPORARY_PASSWORD) == []
    hass.config_entries.subentries.async_abort(result["flow_id"])

    result = await _start(hass, entry, SUBENTRY_VISITOR_CODE)
    result = await _step(hass, result, {"pin": ADMIN_PASSWORD})
    result = await _step(hass, result, visit)
    assert result["step_id"] == "secret"
    await _step(hass, result, {})
    row = _rows(entry, SUBENTRY_VISITOR_CODE)["Cleaner"]

    result = await _start(hass, entry, SUBENTRY_VISITOR_CODE, row)
    result = await _step(hass, result, {"pin": "975318"})
    assert (result["type"], result["step_id"]) == (FlowResultType.MENU, "visitor")
    result = await _step(hass, result, {"next_step_id": "revoke"})
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "invalid_pin")
    result = await _start(hass, entry, SUBENTRY_VISITOR_CODE, row)
    result = await _step(hass, result, {"pin": ADMIN_PASSWORD})
    result = await _step(hass, result, {"next_step_id": "revoke"})
    assert result["reason"] == "visitor_revoked"
    [revoked] = await edge.core.list_visitors(EdgeVisitorKind.TEMPORARY_PASSWORD)
    assert revoked.revoked_at is not None


async def test_the_schedule_s_days_are_named(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """The frontend translates no select inside an object selector: the days come named."""
    entry = await _ready(hass, edge)
    result = await _start(hass, entry, SUBENTRY_VISITOR_CODE)
    [schedule] = [
        value
        for key, value in result["data_schema"].schema.items()
        if str(key) == "schedule"
    ]
    days = schedule.config["fields"]["days"]["selector"]
    assert [option["label"] for option in days.config["options"]] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]
    hass.config_entries.subentries.async_abort(result["flow_id"])


async def test_the_dialog_speaks_the_language_of_its_user(
    hass: HomeAssistant,
    edge: EdgeApp,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
) -> None:
    """What the integration writes into a dialog follows the profile's language.

    Through the frontend's own REST view, as the admin whose profile chose zh-Hant: the
    person's summary is in zh-Hant; the same menu opened with no user is in Home
    Assistant's language (en).
    """
    entry = await _ready(hass, edge)
    assert await async_setup_component(hass, "config", {})
    assert await async_setup_component(hass, "frontend", {})
    store = await async_user_store(hass, hass_admin_user.id)
    await store.async_set_item("language", {"language": "zh-Hant"})
    [admin] = await edge.core.list_users()
    row = _rows(entry, SUBENTRY_PERSON)[admin.name]

    client = await hass_client()
    reply = await client.post(
        "/api/config/config_entries/subentries/flow",
        json={
            "handler": [entry.entry_id, SUBENTRY_PERSON],
            "subentry_id": row.subentry_id,
        },
    )
    assert reply.status == 200, await reply.text()
    shown = await reply.json()
    assert shown["step_id"] == "person"
    assert "角色" in shown["description_placeholders"]["summary"]
    # No validity period reads as in the overview: at any time, not two dashes.
    assert "有效期間: 任何時間" in shown["description_placeholders"]["summary"]

    result = await _start(hass, entry, SUBENTRY_PERSON, row)
    assert "Role: Admin" in result["description_placeholders"]["summary"]
    assert "Valid: at any time" in result["description_placeholders"]["summary"]
