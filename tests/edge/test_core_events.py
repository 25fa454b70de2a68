"""The event log (L-66): numbering, persistence before announcement, queries, retention."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.events import Event, EventLog, handling_mcu_event
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
