"""The event log (L-66): numbering, persistence before announcement, queries, retention."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.events import Event, EventLog, acting_client, handling_mcu_event
from ezlock_edge.core.store import Store


def test_l66_seq_strictly_increases_and_survives_restart(tmp_path: Path) -> None:
    """L-66: every event is numbered; numbers go on after a restart."""
    clock = ManualClock()
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, clock)
    first = log.append("doorbell")
    second = log.append("door", state="open")
    assert (first.seq, second.seq) == (1, 2)
    store.close()
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, clock)
    assert log.append("door", state="closed").seq == 3
    assert [e.as_dict()["type"] for e in log.query()] == ["doorbell", "door", "door"]
    store.close()


def test_l66_event_is_persisted_before_it_is_announced(tmp_path: Path) -> None:
    """Subscribers hear of an event only once a query would return it."""
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, ManualClock())
    seen: list[tuple[Event, list[int]]] = []
    unsubscribe = log.subscribe(
        lambda event: seen.append((event, [e.seq for e in log.query()]))
    )
    with store.transaction():
        log.append("doorbell")
        assert seen == []  # not committed yet
    assert seen[0][1] == [1]
    unsubscribe()
    log.append("doorbell")
    assert len(seen) == 1
    store.close()


def test_l66_rolled_back_event_is_never_announced(tmp_path: Path) -> None:
    """An event whose transaction fails does not exist for anyone."""
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, ManualClock())
    seen: list[Event] = []
    log.subscribe(seen.append)

    def append_then_fail() -> None:
        with store.transaction():
            log.append("doorbell")
            raise ValueError

    with pytest.raises(ValueError):
        append_then_fail()
    assert seen == []
    assert log.query() == []
    store.close()


def test_l66_query_by_seq_and_time(tmp_path: Path) -> None:
    """L-66: history can be listed from a seq, in pages, and by time."""
    clock = ManualClock()
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, clock)
    start = clock.now()
    for _ in range(10):
        log.append("doorbell")
        clock.advance(60)
    assert [e.seq for e in log.query(since=3, limit=4)] == [4, 5, 6, 7]
    window = log.query(
        start=start + timedelta(minutes=2), end=start + timedelta(minutes=5)
    )
    assert [e.seq for e in window] == [3, 4, 5]
    assert window[0].as_dict()["time"] == (start + timedelta(minutes=2)).isoformat()
    store.close()


def test_l66_retention_prunes_oldest_without_gaps(tmp_path: Path) -> None:
    """L-66: bounded retention drops the oldest; what remains is contiguous."""
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, ManualClock(), retention=5)
    for _ in range(12):
        log.append("doorbell")
    assert [e.seq for e in log.query()] == [8, 9, 10, 11, 12]
    assert log.last_seq == 12
    store.close()


def test_a_flood_never_evicts_security_events(tmp_path: Path) -> None:
    """Issue #11.4: who opened the door outlives any number of doorbells and door events."""
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, ManualClock(), retention=5)
    unlocked = log.append("unlocked", method="password", user=None)
    changed = log.append("settings_changed", changes={"volume": 1})
    refused = log.append("lock_failed", source="bluetooth", reason="no_match")
    for _ in range(50):
        log.append("doorbell")
        log.append("door", state="open")
    kept = log.query()
    assert kept[:3] == [unlocked, changed, refused]  # as they were written
    assert [e.type for e in kept[3:]] == [
        "door",
        "doorbell",
        "door",
        "doorbell",
        "door",
    ]
    # Security events are bounded too, by their own count.
    for number in range(7):
        log.append("alarm", alarm=f"a{number}")
    security = [
        e
        for e in log.query()
        if e.type in {"unlocked", "settings_changed", "lock_failed", "alarm"}
    ]
    assert [e.data["alarm"] for e in security] == [f"a{n}" for n in range(2, 7)]
    store.close()


async def test_repeated_identical_failures_from_a_client_collapse(
    tmp_path: Path,
) -> None:
    """Issue #11.4: 1,000 identical refusals are two events, nothing rewritten."""
    clock = ManualClock()
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, clock)
    tablet = {"id": "c_1", "name": "Tablet"}
    with acting_client(tablet):
        first = log.append("unlock_failed", method="remote", reason="disabled")
        for _ in range(999):
            clock.advance(0.01)
            log.append("unlock_failed", method="remote", reason="disabled")
        other = log.append("unlock_failed", method="remote", reason="wrong_pin")
    with acting_client({"id": "c_2", "name": "Home Assistant"}):
        log.append("unlock_failed", method="remote", reason="disabled")
    # A failure at the lock itself (no client) is never collapsed.
    log.append("unlock_failed", method="password", reason="no_match")
    log.append("unlock_failed", method="password", reason="no_match")
    assert [e.seq for e in log.query()] == [1, 2, 3, 4, 5]
    clock.advance(60)
    summary = log.query(since=5)
    assert [e.data.get("repeated") for e in summary] == [999]
    assert summary[0].data["by_client"] == tablet
    assert summary[0].data["first_repeat"] == first.time.isoformat()
    assert log.query()[0] == first
    assert other.data["reason"] == "wrong_pin"
    # A new run starts after the window.
    with acting_client(tablet):
        log.append("unlock_failed", method="remote", reason="disabled")
    log.flush()
    assert log.last_seq == 7
    store.close()


def test_l66_mcu_event_number_is_stored_with_its_event(tmp_path: Path) -> None:
    """The MCU event a core event came from is remembered in the same commit."""
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, ManualClock())
    assert log.last_mcu_seq is None
    with handling_mcu_event(41):
        log.append("doorbell")
    log.append("doorbell")
    store.close()
    store = Store(tmp_path / "lock.db")
    assert EventLog(store, ManualClock()).last_mcu_seq == 41
    store.close()


def test_l66_latest_event_of_some_types(tmp_path: Path) -> None:
    """L-66: the newest event of given types is found (the last lock or unlock)."""
    store = Store(tmp_path / "lock.db")
    log = EventLog(store, ManualClock())
    assert log.latest("locked", "unlocked") is None
    log.append("locked", source="keypad")
    log.append("doorbell")
    latest = log.latest("locked", "unlocked")
    assert latest is not None
    assert (latest.seq, latest.data) == (1, {"source": "keypad"})
    store.close()
