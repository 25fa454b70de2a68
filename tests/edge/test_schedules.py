"""Weekly schedules (issue #14): windows of days and times, read on the lock's own clock.

At the lock: a person's password and a visitor code open only inside their windows, the
refusal is ``outside_schedule`` (apart from ``not_yet_valid`` and ``expired``), at the
boundaries, across midnight and across a daylight-saving change, on a ManualClock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ezlock_edge.api.discovery import Advertisement
from ezlock_edge.app import EdgeApp, EdgeOptions
from ezlock_edge.clock import ManualClock
from ezlock_edge.config import ConfigError, build
from ezlock_edge.core.errors import InvalidRequestError
from ezlock_edge.core.models import VisitorKind
from ezlock_edge.core.schedule import NO_SCHEDULE, Schedule, Weekday, parse_schedule
from ezlock_edge.core.schema import MIGRATIONS, SCHEMA_VERSION
from ezlock_edge.core.store import Store
from tests.support.waiting import eventually

from .api_support import ApiClient, client_for
from .rig_support import Rig, running_lock

BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")
PASSWORD = "730461"


def _at(text: str, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def test_boundaries_from_is_inside_until_is_not() -> None:
    """A window holds from its first second up to, not including, ``until``."""
    weekdays = parse_schedule(
        [
            {
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "from": "08:00",
                "until": "17:30",
            }
        ]
    )
    monday = "2026-03-02"  # a Monday
    assert not weekdays.allows(_at(f"{monday}T07:59:59"), BERLIN)
    assert weekdays.allows(_at(f"{monday}T08:00:00"), BERLIN)
    assert weekdays.allows(_at(f"{monday}T17:29:59"), BERLIN)
    assert not weekdays.allows(_at(f"{monday}T17:30:00"), BERLIN)
    assert not weekdays.allows(_at("2026-03-07T12:00:00"), BERLIN)  # Saturday


def test_a_window_past_midnight_ends_on_the_next_day() -> None:
    """``fri 22:00-02:00`` opens Friday night until Saturday 02:00, not Saturday night."""
    night = parse_schedule([{"days": ["fri"], "from": "22:00", "until": "02:00"}])
    assert not night.allows(_at("2026-03-06T21:59:59"), BERLIN)
    assert night.allows(_at("2026-03-06T22:00:00"), BERLIN)
    assert night.allows(_at("2026-03-07T01:59:59"), BERLIN)
    assert not night.allows(_at("2026-03-07T02:00:00"), BERLIN)
    assert not night.allows(_at("2026-03-07T23:00:00"), BERLIN)
    assert not night.allows(_at("2026-03-06T01:00:00"), BERLIN)  # Thursday's night
    sunday_night = parse_schedule(
        [{"days": ["sun"], "from": "23:00", "until": "01:00"}]
    )
    assert sunday_night.allows(_at("2026-03-09T00:30:00"), BERLIN)  # Monday 00:30


def test_the_next_change_of_a_schedule_is_the_next_window_edge() -> None:
    """``next_change``: the next open or close on the wall clock, across a DST change."""
    weekdays = parse_schedule(
        [
            {
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "from": "08:00",
                "until": "17:30",
            }
        ]
    )
    saturday = _at("2026-03-07T12:00:00")
    assert weekdays.next_change(saturday, BERLIN) == _at("2026-03-09T08:00:00")
    assert weekdays.next_change(_at("2026-03-09T08:00:00"), BERLIN) == _at(
        "2026-03-09T17:30:00"
    )
    # Two windows that touch are one opening: the edge between them changes nothing.
    joined = parse_schedule(
        [
            {"days": ["mon"], "from": "08:00", "until": "12:00"},
            {"days": ["mon"], "from": "12:00", "until": "18:00"},
        ]
    )
    assert joined.next_change(_at("2026-03-09T09:00:00"), BERLIN) == _at(
        "2026-03-09T18:00:00"
    )
    # 2026-03-29: Berlin's clocks go from 02:00 CET to 03:00 CEST.
    night = parse_schedule([{"days": ["sun"], "from": "01:00", "until": "04:00"}])
    assert night.next_change(_at("2026-03-29T01:30:00"), BERLIN) == datetime(
        2026, 3, 29, 2, 0, tzinfo=UTC
    )  # 04:00 CEST, two hours of real time after 01:00 CET
    always = parse_schedule(
        [{"days": list(Weekday), "from": "00:00", "until": "24:00"}]
    )
    assert always.next_change(saturday, BERLIN) is None
    assert NO_SCHEDULE.next_change(saturday, BERLIN) is None


def test_whole_days_and_no_schedule() -> None:
    """``00:00-24:00`` is the whole day; ``null`` and ``[]`` mean no restriction."""
    saturday = parse_schedule([{"days": ["sat"], "from": "00:00", "until": "24:00"}])
    assert saturday.allows(_at("2026-03-07T00:00:00"), BERLIN)
    assert saturday.allows(_at("2026-03-07T23:59:59"), BERLIN)
    assert not saturday.allows(_at("2026-03-08T00:00:00"), BERLIN)
    assert parse_schedule(None) == NO_SCHEDULE == parse_schedule([])
    assert NO_SCHEDULE.allows(_at("2026-03-07T03:00:00"), BERLIN)
    assert NO_SCHEDULE.as_list() is None
    assert saturday.as_list() == [{"days": ["sat"], "from": "00:00", "until": "24:00"}]


def test_the_same_wall_clock_window_on_both_sides_of_a_dst_change() -> None:
    """Europe/Berlin moves to summer time on 2026-03-29: 08:00 is 07:00 UTC before, 06:00 after."""
    mornings = parse_schedule(
        [{"days": ["sat", "sun"], "from": "08:00", "until": "09:00"}]
    )
    saturday_0715_utc = datetime(2026, 3, 28, 7, 15, tzinfo=UTC)  # 08:15 CET
    assert mornings.allows(saturday_0715_utc, BERLIN)
    sunday_0715_utc = saturday_0715_utc + timedelta(days=1)  # 09:15 CEST
    assert not mornings.allows(sunday_0715_utc, BERLIN)
    assert mornings.allows(sunday_0715_utc - timedelta(hours=1), BERLIN)  # 08:15 CEST
    # A window across the missing hour ends when the wall clock passes its end.
    across = parse_schedule([{"days": ["sun"], "from": "01:30", "until": "03:30"}])
    assert across.allows(datetime(2026, 3, 29, 0, 59, tzinfo=UTC), BERLIN)  # 01:59 CET
    assert across.allows(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), BERLIN)  # 03:00 CEST
    assert not across.allows(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), BERLIN)


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("mon", "schedule"),
        ([{"days": [], "from": "08:00", "until": "09:00"}], "schedule.0.days"),
        ([{"days": ["monday"], "from": "08:00", "until": "09:00"}], "schedule.0.days"),
        (
            [{"days": ["mon", "mon"], "from": "08:00", "until": "09:00"}],
            "schedule.0.days",
        ),
        ([{"days": ["mon"], "from": "8:00", "until": "09:00"}], "schedule.0.from"),
        ([{"days": ["mon"], "from": "24:00", "until": "09:00"}], "schedule.0.from"),
        ([{"days": ["mon"], "from": "08:00", "until": "24:01"}], "schedule.0.until"),
        ([{"days": ["mon"], "from": "08:00", "until": "08:00"}], "schedule.0.until"),
        ([{"days": ["mon"], "from": "08:00"}], "schedule.0.until"),
        (
            [{"days": ["mon"], "from": "08:00", "until": "09:00", "x": 1}],
            "schedule.0.x",
        ),
        ([{"days": ["mon"], "from": "08:00", "until": "09:00"}] * 9, "schedule"),
        ([["mon"]], "schedule.0"),
    ],
)
def test_a_bad_schedule_names_the_bad_part(value: Any, field: str) -> None:
    """Every refusal points at the field that is wrong."""
    with pytest.raises(InvalidRequestError) as refused:
        parse_schedule(value)
    assert list(refused.value.fields) == [field]


async def _person_with_schedule(rig: Rig, schedule: list[dict[str, Any]]) -> None:
    await rig.create_first_admin()
    guest = await rig.core.create_user("Guest", schedule=parse_schedule(schedule))
    await rig.core.set_password(guest.number, PASSWORD)


async def _tries(rig: Rig, reason: str | None) -> None:
    """Type the guest's password; expect it to open or be refused for ``reason``."""
    before = len(rig.events)
    await rig.type_password(PASSWORD)

    def outcome() -> bool:
        return any(e.type in {"unlocked", "unlock_failed"} for e in rig.events[before:])

    await eventually(outcome, "an unlock decision")
    [decision] = [
        e for e in rig.events[before:] if e.type in {"unlocked", "unlock_failed"}
    ]
    if reason is None:
        assert decision.type == "unlocked", decision
        assert decision.data["user"] == {"number": 2, "name": "Guest"}
    else:
        assert (decision.type, decision.data["reason"]) == ("unlock_failed", reason)


async def test_a_person_opens_only_inside_the_schedule_at_the_keypad(
    tmp_path: Path,
) -> None:
    """Outside every window the password is refused with ``outside_schedule``."""
    # Monday 2026-03-02 07:59:00 in Berlin (CET, UTC+1).
    clock = ManualClock(datetime(2026, 3, 2, 6, 59, tzinfo=UTC))
    async with running_lock(tmp_path, clock=clock, time_zone=BERLIN) as rig:
        await _person_with_schedule(
            rig, [{"days": ["mon"], "from": "08:00", "until": "09:00"}]
        )
        await _tries(rig, "outside_schedule")
        await rig.heard("not_in_validity_period")
        await rig.advance(60)  # 08:00:00 + the seconds the dialogue took, inside
        await _tries(rig, None)
        await rig.advance(3600)  # past 09:00
        await _tries(rig, "outside_schedule")


async def test_a_person_across_midnight_and_a_dst_change_at_the_keypad(
    tmp_path: Path,
) -> None:
    """Saturday 22:00 until 02:00 the next day; the next night the clocks go forward."""
    # Saturday 2026-03-28 21:30 CET = 20:30 UTC; summer time starts Sunday 02:00 CET.
    clock = ManualClock(datetime(2026, 3, 28, 20, 30, tzinfo=UTC))
    async with running_lock(tmp_path, clock=clock, time_zone=BERLIN) as rig:
        await _person_with_schedule(
            rig, [{"days": ["sat"], "from": "22:00", "until": "03:30"}]
        )
        await _tries(rig, "outside_schedule")  # 21:30 CET
        await rig.advance(3600)  # 22:30 CET
        await _tries(rig, None)
        await rig.advance(3 * 3600)  # 00:30 UTC = Sunday 01:30 CET, past midnight
        await _tries(rig, None)
        await rig.advance(3600)  # 01:30 UTC = 03:30 CEST: the wall clock jumped an hour
        await _tries(rig, "outside_schedule")


async def test_validity_and_schedule_have_their_own_reasons(tmp_path: Path) -> None:
    """Before the period ``not_yet_valid``, inside it but off-hours ``outside_schedule``."""
    clock = ManualClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 CET
    async with running_lock(tmp_path, clock=clock, time_zone=BERLIN) as rig:
        await rig.create_first_admin()
        guest = await rig.core.create_user(
            "Guest",
            valid_from=clock.now() + timedelta(hours=1),
            valid_until=clock.now() + timedelta(hours=6),  # 13:00 CET
            schedule=parse_schedule(
                [{"days": ["mon"], "from": "10:00", "until": "12:00"}]
            ),
        )
        await rig.core.set_password(guest.number, PASSWORD)
        await _tries(rig, "not_yet_valid")
        await rig.advance(3600)  # 08:00: valid, but before the window
        await _tries(rig, "outside_schedule")
        await rig.advance(2 * 3600)  # 10:00
        await _tries(rig, None)
        await rig.advance(3 * 3600)  # 13:00: the period is over (and the window too)
        await _tries(rig, "expired")


async def test_a_visitor_code_inside_and_outside_its_schedule(tmp_path: Path) -> None:
    """A visitor code refused off-hours keeps its use; the unlock names the code."""
    clock = ManualClock(datetime(2026, 3, 6, 20, 0, tzinfo=UTC))  # Friday 21:00 CET
    async with running_lock(tmp_path, clock=clock, time_zone=BERLIN) as rig:
        await rig.create_first_admin()
        temporary, code = await rig.core.create_visitor(
            VisitorKind.TEMPORARY_PASSWORD,
            "Weekend guest",
            clock.now() + timedelta(days=3),
            schedule=parse_schedule(
                [{"days": ["fri", "sat"], "from": "22:00", "until": "02:00"}]
            ),
        )
        await rig.type_password(code)
        refused = await rig.event(
            "unlock_failed", method="temporary_password", reason="outside_schedule"
        )
        assert refused.data["visitor"] == {"id": temporary.id, "name": "Weekend guest"}
        await rig.advance(3600)  # 22:00 CET
        await rig.type_password(code)
        opened = await rig.event("unlocked", method="temporary_password")
        assert opened.data["visitor"] == {"id": temporary.id, "name": "Weekend guest"}
        await rig.event("temporary_password_used", id=temporary.id)
        [listed] = await rig.core.list_visitors(VisitorKind.TEMPORARY_PASSWORD)
        assert listed.uses == 1
        assert rig.core.describe_visitor(listed)["status"] == "used_up"


async def test_a_visitor_status_follows_its_window_and_is_announced_on_time(
    tmp_path: Path,
) -> None:
    """L-30 + schedules: ``active`` exactly when the lock would open, told when it changes.

    The status is the refusal the keypad gives (``outside_schedule``), ``status_until``
    is the window's next edge, and the state's count of active codes is announced at
    the edge itself (the clock starts half a minute off the minute STATUS poll, so
    only the visitors' own timer can announce it then).
    """
    clock = ManualClock(datetime(2026, 3, 6, 20, 0, 30, tzinfo=UTC))  # Fri 21:00 CET
    kind = VisitorKind.TEMPORARY_PASSWORD
    async with running_lock(tmp_path, clock=clock, time_zone=BERLIN) as rig:
        await rig.create_first_admin()
        announced: list[tuple[datetime, int]] = []
        rig.core.subscribe(
            lambda _: None, lambda s: announced.append((clock.now(), s.visitors[kind]))
        )
        temporary, code = await rig.core.create_visitor(
            kind,
            "Weekend guest",
            clock.now() + timedelta(days=3),
            max_uses=None,
            schedule=parse_schedule(
                [{"days": ["fri", "sat"], "from": "22:00", "until": "02:00"}]
            ),
        )

        async def shown() -> tuple[str, str]:
            [listed] = await rig.core.list_visitors(kind)
            data = rig.core.describe_visitor(listed)
            return data["status"], data["status_until"]

        def first(count: int) -> datetime | None:
            return next((at for at, n in announced if n == count), None)

        assert await shown() == ("outside_schedule", "2026-03-06T21:00:00+00:00")
        assert rig.core.state.visitors[kind] == 0
        await rig.type_password(code)
        await rig.event(
            "unlock_failed", reason="outside_schedule", visitor=temporary.ref
        )
        announced.clear()
        await rig.advance(3600)  # 22:00:30 CET: the window opened half a minute ago
        assert first(1) == datetime(2026, 3, 6, 21, 0, tzinfo=UTC)
        assert await shown() == ("active", "2026-03-07T01:00:00+00:00")  # Sat 02:00
        await rig.type_password(code)
        await rig.event("unlocked", method="temporary_password")
        announced.clear()
        await rig.advance(4 * 3600)  # Saturday 02:00:30 CET
        assert first(0) == datetime(2026, 3, 7, 1, 0, tzinfo=UTC)
        assert await shown() == ("outside_schedule", "2026-03-07T21:00:00+00:00")


async def test_bluetooth_key_outside_its_schedule(tmp_path: Path) -> None:
    """A visitor's Bluetooth key follows its schedule too (L-31)."""
    clock = ManualClock(datetime(2026, 3, 2, 21, 30, tzinfo=UTC))  # Monday 22:30 CET
    async with running_lock(tmp_path, clock=clock, time_zone=BERLIN) as rig:
        await rig.create_first_admin()
        key, secret = await rig.core.create_visitor(
            VisitorKind.BLUETOOTH_KEY,
            "Dog walker",
            clock.now() + timedelta(days=7),
            schedule=parse_schedule(
                [{"days": ["tue"], "from": "00:00", "until": "02:00"}]
            ),
        )
        await rig.sim.bluetooth(secret)
        refused = await rig.event("unlock_failed", method="bluetooth")
        assert refused.data["reason"] == "outside_schedule"
        assert refused.data["visitor"] == {"id": key.id, "name": "Dog walker"}
        await rig.advance(2 * 3600)  # Tuesday 00:30 CET
        await rig.sim.bluetooth(secret)
        await rig.event("unlocked", method="bluetooth")


async def test_users_and_visitors_carry_schedules_over_the_api(api: ApiClient) -> None:
    """``schedule`` is accepted, returned and cleared on /users and on visitor codes."""
    window = {"days": ["mon", "fri"], "from": "22:00", "until": "06:00"}
    created = await api.call("POST", "/users", {"name": "Bob", "schedule": [window]})
    assert created.status == 201, created.body
    assert created.body["schedule"] == [window]
    number = created.body["number"]
    cleared = await api.call("PATCH", f"/users/{number}", {"schedule": []})
    assert cleared.body["schedule"] is None
    bad = await api.call(
        "PATCH",
        f"/users/{number}",
        {"schedule": [{"days": ["mon"], "from": "25:00", "until": "06:00"}]},
    )
    assert bad.status == 400
    assert bad.body["error"] == "invalid_request"
    assert list(bad.body["fields"]) == ["schedule.0.from"]
    until = (api.edge.core.events.query()[0].time + timedelta(days=2)).isoformat()
    code = await api.call(
        "POST",
        "/temporary_passwords",
        {"name": "Guest", "valid_until": until, "schedule": [window]},
    )
    assert code.status == 201, code.body
    assert code.body["schedule"] == [window]
    [listed] = (await api.call("GET", "/temporary_passwords")).body[
        "temporary_passwords"
    ]
    assert listed["schedule"] == [window]
    assert "code" not in listed


async def test_events_page_newest_first(api: ApiClient) -> None:
    """``order=newest`` pages back through history with ``before``."""
    first = await api.call("GET", "/events?order=newest&limit=2")
    seqs = [event["seq"] for event in first.body["events"]]
    assert seqs == sorted(seqs, reverse=True)
    assert seqs[0] == first.body["last_seq"]
    older = await api.call("GET", f"/events?order=newest&limit=2&before={seqs[-1]}")
    assert all(event["seq"] < seqs[-1] for event in older.body["events"])


def test_a_version_1_database_migrates(tmp_path: Path) -> None:
    """A lock's database from before schedules opens with none, and keeps its rows."""
    path = tmp_path / "lock.db"
    raw = sqlite3.connect(path)
    raw.executescript(MIGRATIONS[0])
    raw.execute(
        "INSERT INTO users VALUES (1, 'Alice', 'admin', NULL, NULL, ?)",
        ("2026-01-01T00:00:00+00:00",),
    )
    raw.execute(
        "INSERT INTO temporary_passwords VALUES ('tp_1', 'Cleaner', x'00',"
        " '2026-01-01T00:00:00+00:00', '2026-01-02T00:00:00+00:00', 1, 0,"
        " '2026-01-01T00:00:00+00:00')"
    )
    raw.execute("PRAGMA user_version=1")
    raw.commit()
    raw.close()
    store = Store(path)
    try:
        [alice] = store.list_users()
        assert (alice.name, alice.schedule) == ("Alice", NO_SCHEDULE)
        [cleaner] = store.list_visitors(VisitorKind.TEMPORARY_PASSWORD)
        assert (cleaner.name, cleaner.schedule) == ("Cleaner", Schedule())
        scheduled = parse_schedule(
            [{"days": ["sun"], "from": "10:00", "until": "11:00"}]
        )
        store.put_user(alice.__class__(**{**_fields(alice), "schedule": scheduled}))
        assert store.list_users()[0].schedule == scheduled
    finally:
        store.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    check.close()


def _fields(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__dataclass_fields__}


def test_the_lock_name_and_time_zone_are_settings(tmp_path: Path) -> None:
    """``name`` and ``time_zone`` come from the config file, the environment or flags."""
    config = build({"data_dir": str(tmp_path)}, {"name": "Front door"})
    assert (config.name, config.time_zone) == ("Front door", None)
    zoned = build({"data_dir": str(tmp_path), "time_zone": "Asia/Taipei"})
    assert EdgeOptions.from_config(zoned).time_zone == "Asia/Taipei"
    for bad in ({"time_zone": "Mars/Olympus"}, {"name": "x" * 33}, {"name": "a\nb"}):
        with pytest.raises(ConfigError):
            build({"data_dir": str(tmp_path)}, bad)
    advert = Advertisement("EZL123", "M1", "1.0", 8765, None, name="Front door")
    assert advert.properties()["name"] == "Front door"
    assert "name" not in Advertisement("EZL123", "M1", "1.0", 8765, None).properties()


async def test_info_names_the_place_and_the_time_zone(tmp_path: Path) -> None:
    """/info tells a client what to call the lock and in which zone schedules run."""
    edge = EdgeApp(
        EdgeOptions(
            data_dir=tmp_path,
            clock=ManualClock(),
            motor_travel=0.0,
            simulate=True,
            name="Front door",
            time_zone="Asia/Taipei",
        )
    )
    await edge.start()
    try:
        async with client_for(edge) as client:
            info = await client.call("GET", "/info", token="")
        assert (info.body["name"], info.body["time_zone"]) == (
            "Front door",
            "Asia/Taipei",
        )
    finally:
        await edge.stop()


async def test_a_visitor_code_the_owner_chose(api: ApiClient) -> None:
    """The owner may type the code: L-25 applies by rule, and it must be free."""
    until = (api.edge.core.events.query()[0].time + timedelta(days=2)).isoformat()
    body = {"name": "Aunt", "valid_until": until}
    chosen = await api.call("POST", "/temporary_passwords", body | {"code": "583920"})
    assert chosen.status == 201, chosen.body
    assert chosen.body["code"] == "583920"
    weak = await api.call("POST", "/temporary_passwords", body | {"code": "123456"})
    assert (weak.status, weak.body["fields"]) == (400, {"password": "sequential"})
    taken = await api.call("POST", "/temporary_passwords", body | {"code": "583920"})
    assert (taken.status, taken.body["error"]) == (409, "duplicate_credential")
