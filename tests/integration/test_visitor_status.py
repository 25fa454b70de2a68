"""A visitor's row says where it stands, and stays true as time passes (issue #14).

The lock runs on a manual clock here, so the test moves the lock's time and Home
Assistant's together: a scheduled code's row turns active when its dates begin and
expired when they end, without any event from the lock; 30 days after it ended the lock
forgets it and the row goes. A code with a weekly window is active only inside it: its
row and the count sensor follow the window as it opens and closes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ezlock.access_sync import SUBENTRY_VISITOR_CODE
from ezlock_edge.app import EdgeApp, EdgeOptions
from ezlock_edge.clock import ManualClock
from ezlock_edge.core.models import VisitorKind
from ezlock_edge.core.schedule import parse_schedule
from ezlock_edge.sim.lock import SimulatedLock
from tests.support.waiting import eventually

from .common import MOTOR_TRAVEL, entity_id, paired_entry, setup_entry


@pytest.fixture
def clock() -> ManualClock:
    """Give the lock a time the test moves."""
    return ManualClock(datetime.now(dt_util.UTC))


@pytest.fixture
def edge_options(tmp_path: Path, sim: SimulatedLock, clock: ManualClock) -> EdgeOptions:
    """Run the conftest's edge driver on the manual clock."""
    return EdgeOptions(
        data_dir=tmp_path / "edge",
        simulate=True,
        sim=sim,
        motor_travel=MOTOR_TRAVEL,
        clock=clock,
        time_zone="UTC",
    )


def _titles(hass: HomeAssistant, entry_id: str) -> list[str]:
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    return sorted(
        subentry.title
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_VISITOR_CODE
    )


def _mover(
    hass: HomeAssistant, clock: ManualClock
) -> Callable[[timedelta], Awaitable[None]]:
    """Move the lock's clock and Home Assistant's together."""
    start = clock.now()

    async def move(delta: timedelta) -> None:
        clock.advance(delta.total_seconds())
        async_fire_time_changed(hass, dt_util.utcnow() + (clock.now() - start))

    return move


async def test_a_visitor_row_follows_its_status(
    hass: HomeAssistant, edge: EdgeApp, clock: ManualClock
) -> None:
    """Scheduled, active, expired, then forgotten: the row's title follows the lock."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    start = clock.now()
    visitor, _ = await edge.core.create_visitor(
        VisitorKind.TEMPORARY_PASSWORD,
        "Weekend guest",
        start + timedelta(hours=2),
        start + timedelta(hours=1),
    )
    await eventually(
        lambda: _titles(hass, entry.entry_id) == ["Weekend guest (Scheduled)"],
        "the row of a code not valid yet",
    )

    move = _mover(hass, clock)
    await move(timedelta(hours=1, seconds=1))
    await eventually(
        lambda: _titles(hass, entry.entry_id) == ["Weekend guest"],
        "the row once the code's dates began",
    )
    await move(timedelta(hours=1))
    await eventually(
        lambda: _titles(hass, entry.entry_id) == ["Weekend guest (Expired)"],
        "the row once the code's dates ended",
    )
    since = edge.core.events.last_seq
    await move(timedelta(days=30))
    await eventually(
        lambda: _titles(hass, entry.entry_id) == [], "the row 30 days after it ended"
    )
    [removed] = [
        event
        for event in edge.core.events.query(since=since)
        if event.type == "temporary_password_removed"
    ]
    # The lock forgot it by itself: the client whose listing it happened in did not.
    assert removed.data == {
        "id": visitor.id,
        "name": "Weekend guest",
        "reason": "retention",
    }


async def test_a_visitor_with_a_weekly_window_is_active_only_inside_it(
    hass: HomeAssistant, edge: EdgeApp, clock: ManualClock
) -> None:
    """Outside its window a code is not active: its row and the sensor say so, on time."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    sensor = entity_id(hass, "sensor", "temporary_password_count")
    now = clock.now()  # the lock's zone is UTC here
    opens, closes = now + timedelta(hours=1), now + timedelta(hours=2)
    window = {
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "from": opens.strftime("%H:%M"),
        "until": closes.strftime("%H:%M"),
    }
    await edge.core.create_visitor(
        VisitorKind.TEMPORARY_PASSWORD,
        "Cleaner",
        now + timedelta(days=3),
        schedule=parse_schedule([window]),
    )

    def shows(title: str, active: str) -> Callable[[], bool]:
        def showing() -> bool:
            state = hass.states.get(sensor)
            return _titles(hass, entry.entry_id) == [title] and (
                state is not None and state.state == active
            )

        return showing

    await eventually(
        shows("Cleaner (Outside the schedule)", "0"), "a code outside its window"
    )
    # Only the lock's clock moves: the lock announces its new count of active codes
    # at the window's edges, and the rows follow the lock's clock, not Home Assistant's.
    clock.advance(3600)
    await eventually(shows("Cleaner", "1"), "the code once its window opened")
    clock.advance(3600)
    await eventually(
        shows("Cleaner (Outside the schedule)", "0"), "the code once it closed"
    )
