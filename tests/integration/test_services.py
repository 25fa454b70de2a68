"""Every ezlock action against the real edge driver, with its error paths."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import Context, HomeAssistant, SupportsResponse
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.ezlock.const import DOMAIN
from custom_components.ezlock.services import ACTIONS
from ezlock_edge.app import EdgeApp
from tests.support.lock import sim_of
from tests.support.waiting import eventually

from .common import entity_id, fired, paired_entry, setup_entry, state_of


@pytest.fixture
async def lock(hass: HomeAssistant, edge: EdgeApp) -> str:
    """Set up a paired lock and return its lock entity id."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    return entity_id(hass, "lock", "lock")


async def _act(
    hass: HomeAssistant,
    lock: str,
    service: str,
    context: Context | None = None,
    **data: Any,
) -> Any:
    """Call an action; return its response for ``lock``, if it has one."""
    response = await hass.services.async_call(
        DOMAIN,
        service,
        {ATTR_ENTITY_ID: lock, **data},
        blocking=True,
        context=context,
        return_response=ACTIONS[service].response is not SupportsResponse.NONE,
    )
    return None if response is None else response[lock]


async def test_temporary_password_lifecycle(
    hass: HomeAssistant, edge: EdgeApp, lock: str
) -> None:
    """L-30: created (code shown once), used at the keypad, listed without code, revoked."""
    until = dt_util.utcnow() + timedelta(days=1)
    created = await _act(
        hass, lock, "create_temporary_password", name="Cleaner", valid_until=until
    )
    assert created["name"] == "Cleaner"
    assert created["max_uses"] == 1
    code = created["code"]

    access = fired(hass, "access")
    await sim_of(edge).keypad([*code, "confirm"])
    await eventually(lambda: bool(access), "the visitor's unlock")
    assert access[0].attributes["event_type"] == "unlocked_temporary_password"

    listed = await _act(hass, lock, "list_temporary_passwords")
    assert [p["id"] for p in listed["temporary_passwords"]] == [created["id"]]
    assert "code" not in listed["temporary_passwords"][0]

    # Its one use is spent: it stays listed as used up; revoking an ended one forgets it.
    [spent] = (await _act(hass, lock, "list_temporary_passwords"))[
        "temporary_passwords"
    ]
    assert (spent["status"], spent["remaining_uses"], spent["revoked_at"]) == (
        "used_up",
        0,
        None,
    )
    assert dt_util.parse_datetime(spent["last_used_at"]) is not None
    await _act(hass, lock, "revoke_temporary_password", id=created["id"])
    assert (await _act(hass, lock, "list_temporary_passwords")) == {
        "temporary_passwords": []
    }
    with pytest.raises(ServiceValidationError) as missing:
        await _act(hass, lock, "revoke_temporary_password", id=created["id"])
    assert missing.value.translation_key == "temporary_password_not_found"


async def test_validity_must_end_after_it_starts(
    hass: HomeAssistant, lock: str
) -> None:
    """A window that ends before it starts is bad input, translated."""
    now = dt_util.utcnow()
    with pytest.raises(ServiceValidationError) as bad:
        await _act(
            hass,
            lock,
            "create_temporary_password",
            name="Backwards",
            valid_from=now,
            valid_until=now - timedelta(hours=1),
        )
    assert bad.value.translation_key == "invalid_validity"


async def test_secret_actions_are_admin_only(hass: HomeAssistant, lock: str) -> None:
    """Only admins may change who can open the door (issue #11.7)."""
    user = MockUser(name="Housemate").add_to_hass(hass)
    user.mock_policy({"entities": True})  # may use every entity, but is no admin
    context = Context(user_id=user.id)
    until = dt_util.utcnow() + timedelta(days=1)
    calls: list[tuple[str, dict[str, Any]]] = [
        ("create_temporary_password", {"name": "X", "valid_until": until}),
        ("create_bluetooth_key", {"name": "X", "valid_until": until}),
        ("set_lock_password", {"user_number": 1, "password": "582046"}),
        ("enroll_credential", {"user_number": 1, "credential_type": "face"}),
        ("set_duress", {"credential_id": "cr_x", "duress": True}),
        # Issue #11.7: these were open to every user.
        ("set_lock_user", {"name": "Burglar", "role": "admin"}),
        ("set_lock_user", {"user_number": 1, "role": "user"}),
        ("clear_lock_user", {"user_number": 1}),
        ("clear_lock_credential", {"credential_id": "cr_x"}),
        ("revoke_temporary_password", {"id": "tp_x"}),
        ("revoke_bluetooth_key", {"id": "bk_x"}),
        ("clear_lockout", {}),
        # Who may switch the lock's remote PIN decides who may open it remotely.
        ("set_remote_pin_required", {"enabled": True}),
        ("set_remote_pin_required", {"enabled": False}),
    ]
    for service, data in calls:
        with pytest.raises(Unauthorized):
            await _act(hass, lock, service, context, **data)
    # Reading is fine for everyone.
    assert await _act(hass, lock, "get_lock_info", context)


async def test_bluetooth_key_lifecycle(hass: HomeAssistant, lock: str) -> None:
    """L-31: created with its key shown once, listed without it, revoked."""
    created = await _act(
        hass,
        lock,
        "create_bluetooth_key",
        name="Guest phone",
        valid_until=dt_util.utcnow() + timedelta(days=2),
    )
    assert created["key"]
    listed = await _act(hass, lock, "list_bluetooth_keys")
    assert [k["id"] for k in listed["bluetooth_keys"]] == [created["id"]]
    assert "key" not in listed["bluetooth_keys"][0]
    await _act(hass, lock, "revoke_bluetooth_key", id=created["id"])
    # Revoked, it stays listed (in Home Assistant's zone); revoking it again forgets it.
    [revoked] = (await _act(hass, lock, "list_bluetooth_keys"))["bluetooth_keys"]
    assert revoked["status"] == "revoked"
    revoked_at = dt_util.parse_datetime(revoked["revoked_at"])
    assert revoked_at is not None
    assert revoked_at.utcoffset() == dt_util.now().utcoffset()
    await _act(hass, lock, "revoke_bluetooth_key", id=created["id"])
    with pytest.raises(ServiceValidationError) as missing:
        await _act(hass, lock, "revoke_bluetooth_key", id=created["id"])
    assert missing.value.translation_key == "bluetooth_key_not_found"


async def test_bluetooth_key_opens_and_locks(
    hass: HomeAssistant, edge: EdgeApp, lock: str
) -> None:
    """L-12, L-31: the guest's phone opens and locks; each is an access event naming it."""
    created = await _act(
        hass,
        lock,
        "create_bluetooth_key",
        name="Guest phone",
        valid_until=dt_util.utcnow() + timedelta(days=2),
    )
    access = fired(hass, "access")
    await sim_of(edge).bluetooth(created["key"])
    await eventually(lambda: len(access) == 1, "the phone's unlock")
    await sim_of(edge).bluetooth(created["key"], action="lock")
    await eventually(lambda: len(access) == 2, "the phone's lock")
    assert [a.attributes["event_type"] for a in access] == [
        "unlocked_bluetooth",
        "locked_bluetooth",
    ]
    assert access[1].attributes["visitor_name"] == "Guest phone"


async def test_countdown_actions(hass: HomeAssistant, edge: EdgeApp, lock: str) -> None:
    """L-45: one-shot countdown, and the automatic countdown with its delay."""
    await _act(hass, lock, "countdown_lock", seconds=30)
    assert edge.core.state.countdown_lock_at is not None

    await _act(hass, lock, "set_countdown_lock", enabled=True, seconds=60)
    assert state_of(hass, "switch", "countdown_lock_enabled").state == STATE_ON
    assert state_of(hass, "number", "countdown_lock_seconds").state == "60"
    await _act(hass, lock, "set_countdown_lock", enabled=False)
    assert state_of(hass, "switch", "countdown_lock_enabled").state == STATE_OFF


async def test_lock_info_and_users(
    hass: HomeAssistant, edge: EdgeApp, lock: str
) -> None:
    """Capacities and counts (L-22); users without secrets."""
    info = await _act(hass, lock, "get_lock_info")
    assert info["serial"] == edge.core.info.serial
    assert info["users"] == 1
    assert info["credentials"]["password"] == {"count": 1, "capacity": 50}

    users = (await _act(hass, lock, "get_lock_users"))["users"]
    assert [(u["number"], u["role"]) for u in users] == [(1, "admin")]
    assert [c["type"] for c in users[0]["credentials"]] == ["password"]


async def test_user_management(hass: HomeAssistant, edge: EdgeApp, lock: str) -> None:
    """L-27, L-28: add, change, give a validity, clear it, delete; last admin stays."""
    start = dt_util.utcnow()
    added = await _act(hass, lock, "set_lock_user", name="Bob")
    number = added["number"]
    assert added["role"] == "user"

    changed = await _act(
        hass,
        lock,
        "set_lock_user",
        user_number=number,
        name="Robert",
        valid_from=start,
        valid_until=start + timedelta(days=7),
    )
    assert changed["name"] == "Robert"
    assert changed["valid_until"] is not None
    cleared = await _act(
        hass, lock, "set_lock_user", user_number=number, clear_validity=True
    )
    assert cleared["valid_from"] is None
    assert cleared["valid_until"] is None

    await _act(hass, lock, "clear_lock_user", user_number=number)
    with pytest.raises(ServiceValidationError) as missing:
        await _act(hass, lock, "clear_lock_user", user_number=number)
    assert missing.value.translation_key == "user_not_found"
    with pytest.raises(HomeAssistantError) as last:
        await _act(hass, lock, "clear_lock_user", user_number=1)
    assert last.value.translation_key == "last_admin"


async def test_password_policy(hass: HomeAssistant, edge: EdgeApp, lock: str) -> None:
    """L-25: a refused password says which rule; a good one opens the door."""
    number = (await _act(hass, lock, "set_lock_user", name="Carol"))["number"]
    with pytest.raises(ServiceValidationError) as weak:
        await _act(
            hass, lock, "set_lock_password", user_number=number, password="123456"
        )
    assert weak.value.translation_key == "password_policy"
    assert weak.value.translation_placeholders is not None
    assert weak.value.translation_placeholders["rule"] == "sequential"

    await _act(hass, lock, "set_lock_password", user_number=number, password="730619")
    access = fired(hass, "access")
    await sim_of(edge).keypad([*"730619", "confirm"])
    await eventually(lambda: bool(access), "Carol's unlock")
    assert access[0].attributes["user_name"] == "Carol"


def _enrollment_events(edge: EdgeApp, since: int) -> int:
    return sum(
        event.type == "enrollment" for event in edge.core.events.query(since, 100)
    )


async def _enroll(hass: HomeAssistant, edge: EdgeApp, lock: str, finger: str) -> Any:
    """Run enroll_credential while the person lays the finger on the reader."""
    since = edge.core.state.last_seq
    task = asyncio.ensure_future(
        _act(
            hass,
            lock,
            "enroll_credential",
            user_number=1,
            credential_type="fingerprint",
        )
    )
    await eventually(
        lambda: task.done() or _enrollment_events(edge, since) > 0, "enrollment"
    )
    while not task.done():
        steps = _enrollment_events(edge, since)  # started, then one per capture

        def taken(steps: int = steps) -> bool:
            return task.done() or _enrollment_events(edge, since) > steps

        await sim_of(edge).finger(finger)
        await eventually(taken, "the reader taking the finger")
    return await task


async def test_fingerprint_enrollment_and_duress(
    hass: HomeAssistant, edge: EdgeApp, lock: str
) -> None:
    """L-09, L-24, L-29: enroll at the lock, refuse the same finger, flag duress, delete."""
    enrolled = await _enroll(hass, edge, lock, "alice-index")
    assert enrolled["credential_type"] == "fingerprint"
    credential_id = enrolled["credential_id"]

    with pytest.raises(HomeAssistantError) as duplicate:
        await _enroll(hass, edge, lock, "alice-index")
    assert duplicate.value.translation_key == "enrollment_failed"

    flagged = await _act(
        hass, lock, "set_duress", credential_id=credential_id, duress=True
    )
    assert flagged is None or flagged
    alarms = fired(hass, "alarm")
    await sim_of(edge).finger("alice-index")
    await eventually(lambda: bool(alarms), "the silent duress alarm")
    assert alarms[0].attributes["event_type"] == "duress"

    await _act(hass, lock, "clear_lock_credential", credential_id=credential_id)
    with pytest.raises(ServiceValidationError) as missing:
        await _act(hass, lock, "clear_lock_credential", credential_id=credential_id)
    assert missing.value.translation_key == "credential_not_found"


async def test_lockout_and_clear(hass: HomeAssistant, edge: EdgeApp, lock: str) -> None:
    """L-42: five failures lock the keypad out; unlocking is refused; clearing ends it."""
    await edge.core.update_settings(remote_unlock_enabled=True)
    for _ in range(5):
        await sim_of(edge).keypad([*"917364", "confirm"])
    await eventually(
        lambda: state_of(hass, "binary_sensor", "lockout").state == STATE_ON, "lockout"
    )
    with pytest.raises(HomeAssistantError) as refused:
        await hass.services.async_call(
            "lock", "unlock", {ATTR_ENTITY_ID: lock}, blocking=True
        )
    assert refused.value.translation_key == "locked_out"

    await _act(hass, lock, "clear_lockout")
    await eventually(
        lambda: state_of(hass, "binary_sensor", "lockout").state == STATE_OFF,
        "the lockout to end",
    )


async def test_get_events(hass: HomeAssistant, edge: EdgeApp, lock: str) -> None:
    """L-66: the history pages from a seq."""
    page = await _act(hass, lock, "get_events", since=0, limit=2)
    assert len(page["events"]) == 2
    assert page["last_seq"] == edge.core.state.last_seq
    seqs = [event["seq"] for event in page["events"]]
    assert seqs == sorted(seqs)
    rest = await _act(hass, lock, "get_events", since=seqs[-1])
    assert all(event["seq"] > seqs[-1] for event in rest["events"])


async def test_get_events_newest_first(
    hass: HomeAssistant, edge: EdgeApp, lock: str
) -> None:
    """L-66, issue #14: the history pages back from the newest, with ``before``.

    Each page is the next older one, without a gap or a repeat, down to the first
    event; ``since`` bounds it from below; times are in Home Assistant's zone.
    """
    for name in ("Ann", "Ben", "Cid"):
        await edge.core.create_user(name)
    newest = edge.core.events.last_seq
    everything = [event.seq for event in edge.core.events.query(since=0, limit=1000)]
    assert len(everything) > 4

    seen: list[int] = []
    before: int | None = None
    while True:
        fields: dict[str, Any] = {"limit": 3, "newest_first": True}
        if before is not None:
            fields["before"] = before
        page = await _act(hass, lock, "get_events", **fields)
        seqs = [event["seq"] for event in page["events"]]
        assert page["last_seq"] == newest
        if not seqs:
            break
        assert seqs == sorted(seqs, reverse=True)
        assert len(seqs) <= 3
        seen += seqs
        before = seqs[-1]
    assert seen == everything[::-1]
    first = (await _act(hass, lock, "get_events", limit=1, newest_first=True))[
        "events"
    ][0]
    assert (first["seq"], first["type"], first["user"]["name"]) == (
        newest,
        "user_added",
        "Cid",
    )
    moment = dt_util.parse_datetime(first["time"])
    assert moment is not None
    assert moment.utcoffset() == dt_util.now().utcoffset()

    # since and before together: the window between them, newest first.
    window = await _act(
        hass,
        lock,
        "get_events",
        since=everything[1],
        before=everything[-1],
        newest_first=True,
    )
    assert [event["seq"] for event in window["events"]] == everything[2:-1][::-1]
