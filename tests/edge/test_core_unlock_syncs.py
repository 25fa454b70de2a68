"""What a credential unlock costs in fsyncs: counted, so a new one cannot creep in."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
import sqlite3

import pytest

from ezlock_edge.core.events import Event
from ezlock_edge.framing.mcu_messages import McuRequest, Unlock
from ezlock_edge.protocol.mcu import McuLink
from tests.support.lock import ADMIN_PASSWORD
from tests.support.waiting import eventually

from .api_support import ApiClient, enroll_finger
from .rig_support import running_lock


async def test_a_finger_unlocks_with_two_syncs(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #18: one sync for the movement asked for, one for the unlock and the bolt.

    Before the MCU is told to unlock, the commanded movement is made durable (a
    restart mid-unlock invents no unlock by hand, issue #11.6); the ``unlocked`` event
    and the bolt's reports that came with the MCU's answer share the next sync, and
    are announced after it. Nothing else syncs on the way.
    """
    await enroll_finger(api, "admin-right-index")
    sim = api.edge.sim
    assert sim is not None
    core = api.edge.core
    syncs: list[int] = []
    real_fsync = os.fsync

    def counted(fd: int) -> None:
        syncs.append(fd)
        real_fsync(fd)

    unlocked: list[int] = []
    bolt: list[tuple[str, int]] = []

    def on_event(event: Event) -> None:
        if event.type == "unlocked":
            unlocked.append(len(syncs))
        elif event.type == "bolt":
            bolt.append((event.data["state"], len(syncs)))

    unsubscribe = core.events.subscribe(on_event)
    await core.lock("remote")
    # The state shows the bolt before its report is stored: wait for the report.
    await eventually(lambda: ("locked", 0) in bolt, "locked, announced")
    bolt.clear()
    monkeypatch.setattr(os, "fsync", counted)
    try:
        await sim.finger("admin-right-index")
        await eventually(lambda: bool(unlocked), "the unlock")
        await eventually(lambda: len(bolt) == 2, "the bolt's two reports")
    finally:
        unsubscribe()
    # The simulated bolt travels in no time: its reports come with the MCU's answer.
    assert unlocked == [2]
    assert bolt == [("unlocking", 2), ("unlocked", 2)]
    assert len(syncs) == 2


async def test_a_keypad_unlock_makes_the_movement_durable_before_unlock_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #11.6 at the keypad: the commanded movement is on disk before UNLOCK goes.

    A password is checked inside the MCU event handler, within its batch's group
    commit, which would hold the expectation uncommitted until the batch ends: a
    driver killed after UNLOCK went out would then take the MCU's resent report for a
    hand's. Another connection to the file (it sees only what is committed) and the
    syncs are looked at as UNLOCK is sent.
    """
    seen: list[tuple[object, int]] = []
    syncs: list[int] = []
    real_fsync = os.fsync

    def counted(fd: int) -> None:
        syncs.append(fd)
        real_fsync(fd)

    request = McuLink.request

    async def observed(self: McuLink, message: McuRequest) -> bytes:
        if isinstance(message, Unlock):
            with contextlib.closing(
                sqlite3.connect(tmp_path / "data" / "lock.db")
            ) as other:
                row = other.execute(
                    "SELECT value FROM meta WHERE key = 'mechanism_expected'"
                ).fetchone()
            seen.append((json.loads(row[0]) if row else None, len(syncs)))
        return await request(self, message)

    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        monkeypatch.setattr(McuLink, "request", observed)
        monkeypatch.setattr(os, "fsync", counted)
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("unlocked", method="password")
    assert seen == [(["UNLOCKED"], 1)]  # committed and synced: before the motor moves
