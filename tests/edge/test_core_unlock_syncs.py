"""What an unlock costs in fsyncs (a finger, the keypad, the app): counted, so none creeps in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
import contextlib
import json
import os
from pathlib import Path
import sqlite3

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.events import Event
from ezlock_edge.framing.mcu_messages import McuRequest, Unlock
from ezlock_edge.protocol.mcu import McuLink
from ezlock_edge.vocabulary.mcu import McuOption
from tests.support.lock import ADMIN_PASSWORD, create_first_admin
from tests.support.waiting import eventually

from .api_support import ApiClient, client_for, enroll_finger, pair, running_edge
from .rig_support import running_lock, simulated_lock

MCUS = pytest.mark.parametrize(
    "mcu_options",
    [McuOption.BOLT_CAUSE, McuOption.NONE],
    ids=["mcu-says-what-moved-the-bolt", "mcu-of-an-earlier-revision"],
)


@pytest.fixture
async def api(
    tmp_path: Path, clock: ManualClock, mcu_options: McuOption
) -> AsyncIterator[ApiClient]:
    """Pair a client with an edge driver on a lock whose MCU grants ``mcu_options``."""
    async with (
        simulated_lock(tmp_path, clock, mcu_options=mcu_options) as sim,
        running_edge(tmp_path / "edge", clock, sim=sim) as edge,
        client_for(edge) as client,
    ):
        await create_first_admin(sim)
        await pair(client)
        yield client


def _count_syncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the fsyncs from now on (each still done): one entry per sync."""
    syncs: list[int] = []
    real_fsync = os.fsync

    def counted(fd: int) -> None:
        syncs.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counted)
    return syncs


def _when_unlock_is_sent(
    monkeypatch: pytest.MonkeyPatch, look: Callable[[], None]
) -> None:
    """Call ``look`` as each UNLOCK request goes to the MCU, before it is sent."""
    request = McuLink.request

    async def observed(self: McuLink, message: McuRequest) -> bytes:
        if isinstance(message, Unlock):
            look()
        return await request(self, message)

    monkeypatch.setattr(McuLink, "request", observed)


@MCUS
async def test_a_finger_unlock_syncs_once_for_the_unlock_and_the_bolt(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch, mcu_options: McuOption
) -> None:
    """Issue #18: one sync for the unlock and the bolt, one before UNLOCK if needed.

    The ``unlocked`` event and the bolt's reports that came with the MCU's answer
    share one sync, and are announced after it. An MCU that says what moved the bolt
    needs nothing more; with one that does not, the commanded movement is made
    durable before the MCU is told to unlock (a restart mid-unlock invents no unlock
    by hand, issue #11.6): one sync more. Nothing else syncs on the way.
    """
    before = 0 if mcu_options & McuOption.BOLT_CAUSE else 1
    await enroll_finger(api, "admin-right-index")
    sim = api.edge.sim
    assert sim is not None
    core = api.edge.core
    syncs: list[int] = []
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
    syncs = _count_syncs(monkeypatch)
    try:
        await sim.finger("admin-right-index")
        await eventually(lambda: bool(unlocked), "the unlock")
        await eventually(lambda: len(bolt) == 2, "the bolt's two reports")
    finally:
        unsubscribe()
    # The simulated bolt travels in no time: its reports come with the MCU's answer.
    assert unlocked == [before + 1]
    assert bolt == [("unlocking", before + 1), ("unlocked", before + 1)]
    assert len(syncs) == before + 1


@MCUS
async def test_a_keypad_unlock_stores_the_movement_before_unlock_only_if_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mcu_options: McuOption
) -> None:
    """Issue #11.6 at the keypad: what a restart needs is on disk before UNLOCK goes.

    With an MCU that does not say what moved the bolt the commanded movement is: a
    password is checked inside the MCU event handler, within its batch's group
    commit, which would hold the expectation uncommitted until the batch ends, and a
    driver killed after UNLOCK went out would then take the MCU's resent report for
    a hand's. An MCU that says so tells the restarted driver itself: nothing is
    stored and nothing synced before UNLOCK. Another connection to the file (it sees
    only what is committed) and the syncs are looked at as UNLOCK is sent.
    """
    seen: list[tuple[object, int]] = []
    syncs: list[int] = []

    def look() -> None:
        with contextlib.closing(
            sqlite3.connect(tmp_path / "data" / "lock.db")
        ) as other:
            row = other.execute(
                "SELECT value FROM meta WHERE key = 'mechanism_expected'"
            ).fetchone()
        seen.append((json.loads(row[0]) if row else None, len(syncs)))

    clock = ManualClock()
    async with (
        simulated_lock(tmp_path, clock, mcu_options=mcu_options) as sim,
        running_lock(tmp_path, clock=clock, sim=sim) as rig,
    ):
        await rig.create_first_admin()
        await rig.keys(*ADMIN_PASSWORD)
        await rig.advance(0)  # settled: every digit's batch stored and acknowledged
        syncs = _count_syncs(monkeypatch)
        _when_unlock_is_sent(monkeypatch, look)
        await rig.keys("confirm")  # checked inside its batch, UNLOCK sent from there
        await rig.event("unlocked", method="password")
    if mcu_options & McuOption.BOLT_CAUSE:
        assert seen == [(None, 0)]  # the MCU's report will say it was the motor
    else:
        assert seen == [(["UNLOCKED"], 1)]  # committed and synced before the motor


@MCUS
async def test_a_remote_unlock_syncs_before_unlock_only_if_needed(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch, mcu_options: McuOption
) -> None:
    """Home Assistant's ``lock.unlock`` (POST /unlock): the same sync, or none.

    As a finger's: nothing is synced before UNLOCK is sent to an MCU that says what
    moved the bolt, one sync (the commanded movement) to one that does not.
    """
    await api.call("PATCH", "/settings", {"remote_unlock_enabled": True})
    at_unlock: list[int] = []
    syncs = _count_syncs(monkeypatch)
    _when_unlock_is_sent(monkeypatch, lambda: at_unlock.append(len(syncs)))
    assert (await api.call("POST", "/unlock")).status == 202
    await eventually(lambda: bool(at_unlock), "UNLOCK sent")
    assert at_unlock == [0 if mcu_options & McuOption.BOLT_CAUSE else 1]
