"""Issue #11.6: while the bolt moves, and across a restart while it moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import json
from pathlib import Path
import sqlite3
import sys
import textwrap

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.mechanism import Mechanism
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.vocabulary.mcu import BoltCause, BoltState, McuOption
from tests.support.lock import ADMIN_PASSWORD, create_first_admin
from tests.support.waiting import WAIT, eventually

from .api_support import client_for, pair, running_edge
from .rig_support import Rig, running_lock, simulated_lock

TRAVEL = 2.0  # seconds of the (manual) clock the simulated bolt takes


@pytest.fixture
async def sim(tmp_path: Path, clock: ManualClock) -> AsyncIterator[SimulatedLock]:
    lock = SimulatedLock(clock=clock, motor_travel=TRAVEL, state_dir=tmp_path / "sim")
    await lock.start()
    yield lock
    await lock.stop()


async def test_lock_or_unlock_while_the_bolt_moves_is_busy(
    tmp_path: Path, clock: ManualClock, sim: SimulatedLock
) -> None:
    """``409 busy`` (retry-able), not ``503 lock_offline``: the lock is there."""
    async with (
        running_edge(tmp_path / "edge", clock, sim=sim) as edge,
        client_for(edge) as api,
    ):
        await create_first_admin(sim)
        await pair(api)
        await api.call("PATCH", "/settings", {"remote_unlock_enabled": True})
        assert (await api.call("POST", "/unlock")).status == 202
        for path in ("/lock", "/unlock"):
            reply = await api.call("POST", path)
            assert (reply.status, reply.body["error"]) == (409, "busy"), path
        await sim.clock(advance=TRAVEL + 0.5)
        await eventually(
            lambda: edge.core.state.as_dict()["bolt"] == "unlocked", "unlocked"
        )
        assert (await api.call("POST", "/lock")).status == 202


@contextlib.asynccontextmanager
async def _restarted_once_the_bolt_arrived(
    tmp_path: Path, clock: ManualClock, sim: SimulatedLock
) -> AsyncIterator[Rig]:
    """Let the bolt arrive with no driver on the link, then start one that hears it.

    A jump of the clock (see the restart test); the new driver is yielded once it
    shows the bolt unlocked and the MCU keeps no report unacknowledged.
    """
    clock.advance(TRAVEL + 0.5)

    async def arrived() -> bool:
        return bool((await sim.panel())["bolt"] == "unlocked")

    await eventually(arrived, "the bolt arrived with no driver")
    async with running_lock(tmp_path, clock=clock, sim=sim) as rig:

        async def heard() -> bool:
            links = (await sim.panel())["links"]
            return bool(
                rig.core.state.as_dict()["bolt"] == "unlocked"
                and not links["mcu"]["unacknowledged_events"]
            )

        await eventually(heard, "the restarted driver took the bolt's reports")
        yield rig


async def test_a_restart_while_the_bolt_moves_invents_no_operation(
    tmp_path: Path, clock: ManualClock, sim: SimulatedLock
) -> None:
    """The driver dies mid-unlock; the MCU resends "unlocked" to the next one."""
    async with (
        running_edge(tmp_path / "edge", clock, sim=sim) as edge,
        client_for(edge) as api,
    ):
        await create_first_admin(sim)
        await pair(api)
        await api.call("PATCH", "/settings", {"remote_unlock_enabled": True})
        assert (await api.call("POST", "/unlock")).status == 202
    # The driver is gone, and what it held in memory with it; the bolt arrives. A jump
    # of the clock, not the settled move: no driver reads the MCU link, so the one or two
    # resends of "unlocked" wait in the pty for the next driver (what this test is
    # about), and a settled move would only wait for a reader that is not there.
    clock.advance(TRAVEL + 0.5)

    async def arrived() -> bool:
        return bool((await sim.panel())["bolt"] == "unlocked")

    await eventually(arrived, "the bolt arrived")
    async with running_edge(tmp_path / "edge", clock, sim=sim) as edge:
        await eventually(
            lambda: edge.core.state.as_dict()["bolt"] == "unlocked",
            "the restarted driver heard the bolt",
        )
        unlocks = [
            event.data["method"]
            for event in edge.core.events.query(0, 1000)
            if event.type == "unlocked"
        ]
        assert unlocks == ["remote"]


_DRIVER = textwrap.dedent(
    """
    import asyncio
    import sys
    from pathlib import Path
    from ezlock_edge.clock import SystemClock
    from ezlock_edge.core.lock import LockCore
    from ezlock_edge.devices.hardware import Hardware

    async def main(data: str, mcu: str, fingerprint: str, face: str, palm: str) -> None:
        hardware = await Hardware.open(
            mcu=mcu, fingerprint=fingerprint, face=face, palm=palm
        )
        core = LockCore(hardware, Path(data), SystemClock())
        await core.start()
        await core.unlock_remote("c_killed")
        print("unlocking", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main(*sys.argv[1:]))
    """
)


async def test_a_sigkill_while_the_bolt_moves_invents_no_operation(
    tmp_path: Path, clock: ManualClock, sim: SimulatedLock
) -> None:
    """The driver, in a process of its own, is killed -9 mid-unlock; no goodbye.

    Nothing it held in memory survives, and nothing it would have done on a clean stop
    (flushing, closing the store) happens. The bolt arrives with no driver; the MCU
    resends its unacknowledged "unlocked" report to the next driver, which must not
    record an unlock from inside on top of the remote one.
    """
    async with running_lock(tmp_path, clock=clock, sim=sim) as rig:
        await rig.create_first_admin()
        await rig.core.update_settings(remote_unlock_enabled=True)
    ports = [str(sim.ports[link]) for link in ("mcu", "fingerprint", "face", "palm")]
    driver = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _DRIVER,
        str(tmp_path / "data"),
        *ports,
        stdout=asyncio.subprocess.PIPE,
    )
    assert driver.stdout is not None
    try:
        async with asyncio.timeout(WAIT):
            said = await driver.stdout.readline()
        assert said == b"unlocking\n"
        assert (await sim.panel())["bolt"] == "unlocking"  # the lock's clock stands
    finally:
        driver.kill()
        await driver.wait()
    async with _restarted_once_the_bolt_arrived(tmp_path, clock, sim) as rig:
        unlocks = [
            event.data["method"]
            for event in rig.core.events.query(0, 1000)
            if event.type == "unlocked"
        ]
        assert unlocks == ["remote"]


_DRIVER_KILLED_BEFORE_ITS_COMMIT = textwrap.dedent(
    """
    import asyncio
    import sys
    from pathlib import Path
    from ezlock_edge.clock import SystemClock
    from ezlock_edge.core.lock import LockCore
    from ezlock_edge.devices.hardware import Hardware
    from ezlock_edge.devices.mcu import McuDevice

    unlock = McuDevice.unlock

    async def answered_then_stuck(self, direction):
        await unlock(self, direction)  # the MCU said OK: its motor runs
        print("unlock answered", flush=True)
        await asyncio.Event().wait()  # the unlock is never committed

    McuDevice.unlock = answered_then_stuck

    async def main(data: str, mcu: str, fingerprint: str, face: str, palm: str) -> None:
        hardware = await Hardware.open(
            mcu=mcu, fingerprint=fingerprint, face=face, palm=palm
        )
        core = LockCore(hardware, Path(data), SystemClock())
        await core.start()
        await core.unlock_remote("c_killed")

    asyncio.run(main(*sys.argv[1:]))
    """
)


@pytest.mark.parametrize(
    ("mcu_options", "stored"),
    [(McuOption.BOLT_CAUSE, None), (McuOption.NONE, ["UNLOCKED"])],
    ids=["mcu-says-what-moved-the-bolt", "mcu-of-an-earlier-revision"],
)
async def test_a_sigkill_between_unlock_and_its_commit_invents_no_operation(
    tmp_path: Path, clock: ManualClock, mcu_options: McuOption, stored: object
) -> None:
    """Killed -9 after the MCU took UNLOCK, before the unlock was stored (#11.6).

    The next driver hears the MCU's reports of that movement (sent again, or sent
    for the first time) with nothing in memory. From an MCU that says what moved the
    bolt they say the motor, and nothing had to be stored before UNLOCK; from one
    that does not, the movement asked for was on disk before UNLOCK went out. Either
    way no unlock is recorded: not the remote one (never stored), and no unlock from
    inside in its place.
    """
    sim = SimulatedLock(
        clock=clock,
        motor_travel=TRAVEL,
        state_dir=tmp_path / "sim",
        mcu_options=mcu_options,
    )
    await sim.start()
    try:
        async with running_lock(tmp_path, clock=clock, sim=sim) as rig:
            await rig.create_first_admin()
            await rig.core.update_settings(remote_unlock_enabled=True)
        ports = [
            str(sim.ports[link]) for link in ("mcu", "fingerprint", "face", "palm")
        ]
        driver = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _DRIVER_KILLED_BEFORE_ITS_COMMIT,
            str(tmp_path / "data"),
            *ports,
            stdout=asyncio.subprocess.PIPE,
        )
        assert driver.stdout is not None
        try:
            async with asyncio.timeout(WAIT):
                said = await driver.stdout.readline()
            assert said == b"unlock answered\n"
        finally:
            driver.kill()
            await driver.wait()
        with contextlib.closing(sqlite3.connect(tmp_path / "data" / "lock.db")) as db:
            row = db.execute(
                "SELECT value FROM meta WHERE key = 'mechanism_expected'"
            ).fetchone()
        assert (json.loads(row[0]) if row else None) == stored
        async with _restarted_once_the_bolt_arrived(tmp_path, clock, sim) as rig:
            events = rig.core.events.query(0, 1000)
            assert [e.data for e in events if e.type == "unlocked"] == []
            bolt = [e.data["state"] for e in events if e.type == "bolt"]
            assert bolt[-1] == "unlocked"
    finally:
        await sim.stop()


async def test_an_mcu_restarted_under_a_running_driver_is_greeted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A battery swap restarts the MCU with the port up (L-06): its session is gone.

    Its next BOLT reports come without the cause the driver's HELLO asked for; the
    driver takes them for the motor's because it asked for that movement (kept in
    memory in any case), starts a new session, and the next movement's reports say
    the motor again. A driver killed in between loses nothing either: the MCU keeps
    the cause with every report it queues and sends it to the driver that asks.
    """
    reports: list[tuple[BoltState, BoltCause | None]] = []
    bolt_moved = Mechanism.bolt_moved

    async def observed(
        self: Mechanism, bolt: BoltState, cause: BoltCause | None = None
    ) -> None:
        reports.append((bolt, cause))
        await bolt_moved(self, bolt, cause)

    clock = ManualClock()
    async with (
        simulated_lock(tmp_path, clock) as sim,
        running_lock(tmp_path, clock=clock, sim=sim) as rig,
    ):
        await rig.create_first_admin()
        monkeypatch.setattr(Mechanism, "bolt_moved", observed)
        await sim.battery(80)  # the controller restarts
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("unlocked", method="password")
        await eventually(lambda: len(reports) == 2, "the unlock's two reports")
        await rig.core.lock("remote")
        await eventually(lambda: len(reports) == 4, "the lock's two reports")
        operations = [
            (event.type, event.data.get("method", event.data.get("source")))
            for event in rig.core.events.query(0, 1000)
            if event.type in {"locked", "unlocked"}
        ]
    # The restarted MCU's session asked for nothing; "unlocked" may come before the
    # new session or in it.
    assert reports[0] == (BoltState.UNLOCKING, None)
    assert reports[1] in {
        (BoltState.UNLOCKED, None),
        (BoltState.UNLOCKED, BoltCause.MOTOR),
    }
    assert reports[2:] == [
        (BoltState.LOCKING, BoltCause.MOTOR),  # greeted again: option 01
        (BoltState.LOCKED, BoltCause.MOTOR),
    ]
    assert operations[-2:] == [("unlocked", "password"), ("locked", "remote")]
