"""Security lockout (L-42) and the pairing window (L-65) as pure state machines."""

from __future__ import annotations

from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.errors import InvalidVerificationCodeError, PairingClosedError
from ezlock_edge.core.lockout import Lockout
from ezlock_edge.core.pairing import PairingWindow
from ezlock_edge.core.store import Store


def _on(flag: bool) -> bool:
    """Keep mypy from narrowing a property that the clock changes between looks."""
    return flag


async def test_l42_five_failures_in_five_minutes_lock_for_three(tmp_path: Path) -> None:
    """L-42: the fifth failure inside 5 minutes starts a 3-minute lockout."""
    clock = ManualClock()
    store = Store(tmp_path / "lock.db")
    expired: list[bool] = []
    lockout = Lockout(store, clock, lambda: expired.append(True))
    assert [lockout.record_failure() for _ in range(4)] == [False] * 4
    clock.advance(290)
    assert lockout.record_failure()
    assert _on(lockout.active)
    clock.advance(179)
    assert _on(lockout.active)
    assert expired == []
    clock.advance(1)
    assert not _on(lockout.active)
    assert expired == [True]
    store.close()


async def test_l42_failures_outside_the_window_do_not_count(tmp_path: Path) -> None:
    """L-42: the window slides: old failures fall out of it."""
    clock = ManualClock()
    store = Store(tmp_path / "lock.db")
    lockout = Lockout(store, clock, lambda: None)
    for _ in range(4):
        lockout.record_failure()
    clock.advance(301)
    assert not lockout.record_failure()
    lockout.reset_failures()
    for _ in range(4):
        assert not lockout.record_failure()
    store.close()


async def test_l42_lockout_survives_restart_and_can_be_cleared(tmp_path: Path) -> None:
    """L-42: a restart does not end a lockout; clearing from the app does."""
    clock = ManualClock()
    store = Store(tmp_path / "lock.db")
    lockout = Lockout(store, clock, lambda: None)
    for _ in range(5):
        lockout.record_failure()
    lockout.stop()
    store.close()
    store = Store(tmp_path / "lock.db")
    restored = Lockout(store, clock, lambda: None)
    restored.start()
    assert _on(restored.active)
    assert restored.clear()
    assert not _on(restored.active)
    assert not restored.clear()
    store.close()


async def test_l65_pairing_window_closes_after_three_minutes() -> None:
    """L-65: the window ends by itself after 3 minutes."""
    clock = ManualClock()
    changes: list[bool] = []
    window = PairingWindow(clock, "ABCDEF", changes.append)
    window.open()
    clock.advance(179)
    assert _on(window.is_open)
    clock.advance(1)
    assert not _on(window.is_open)
    assert changes == [True, False]
    with pytest.raises(PairingClosedError):
        window.consume("ABCDEF")


async def test_l65_one_pairing_per_window() -> None:
    """L-65: a successful pairing closes the window."""
    window = PairingWindow(ManualClock(), "ABCDEF", lambda _: None)
    window.open()
    window.consume("abcdef")
    with pytest.raises(PairingClosedError):
        window.consume("ABCDEF")


async def test_l65_five_wrong_codes_close_the_window() -> None:
    """L-65: guessing the verification code is cut off after five tries."""
    window = PairingWindow(ManualClock(), "ABCDEF", lambda _: None)
    window.open()
    for _ in range(5):
        with pytest.raises(InvalidVerificationCodeError):
            window.consume("WRONG1")
    with pytest.raises(PairingClosedError):
        window.consume("ABCDEF")
