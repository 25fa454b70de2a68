"""The SQLite store: schema versions, WAL, secrets file, and durability under SIGKILL."""

from __future__ import annotations

from datetime import UTC, datetime
import os
from pathlib import Path
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap

import pytest

from ezlock_edge.core.models import ClientRole, Role, User
from ezlock_edge.core.schema import MIGRATIONS, SCHEMA_VERSION
from ezlock_edge.core.secrets import DeviceSecret
from ezlock_edge.core.store import Store, StoreError
from ezlock_edge.core.store.database import PAGE_CACHE_KIB

from .rig_support import running_lock

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_store_is_wal_full_sync_and_versioned(tmp_path: Path) -> None:
    """The database runs in WAL mode with the current schema version."""
    store = Store(tmp_path / "lock.db")
    store.close()
    raw = sqlite3.connect(tmp_path / "lock.db")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    raw.close()


def test_store_keeps_a_small_page_cache(tmp_path: Path) -> None:
    """A full event log read and pruned grows SQLite's cache to 512 KiB, not 2 MiB."""
    store = Store(tmp_path / "lock.db")
    try:
        (size,) = store._db.execute("PRAGMA cache_size").fetchone()
        assert size == -PAGE_CACHE_KIB == -512  # negative: KiB, not pages
    finally:
        store.close()


def test_store_refuses_a_newer_schema(tmp_path: Path) -> None:
    """A database written by a newer program is not touched."""
    Store(tmp_path / "lock.db").close()
    raw = sqlite3.connect(tmp_path / "lock.db")
    raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StoreError):
        Store(tmp_path / "lock.db")


def test_clients_paired_before_roles_stay_admins(tmp_path: Path) -> None:
    """Issue #11.2: schema 1 had no roles; its clients paired at the lock, so admin."""
    raw = sqlite3.connect(tmp_path / "lock.db")
    raw.executescript(MIGRATIONS[0])
    raw.execute("PRAGMA user_version=1")
    raw.execute(
        "INSERT INTO clients (id, name, token_hash, created) VALUES (?, ?, ?, ?)",
        ("c_old", "Home Assistant", "ab" * 32, NOW.isoformat()),
    )
    raw.commit()
    raw.close()
    store = Store(tmp_path / "lock.db")
    [client] = store.list_clients()
    assert (client.id, client.role) == ("c_old", ClientRole.ADMIN)
    tablet = store.add_client("c_new", "Tablet", "cd" * 32, NOW, ClientRole.OPERATE)
    assert store.find_client("cd" * 32) == tablet
    store.close()


def test_stored_events_are_classed_when_the_schema_moves_to_4(tmp_path: Path) -> None:
    """Issue #11.4: events from before retention knew security from noise keep it."""
    raw = sqlite3.connect(tmp_path / "lock.db")
    for script in MIGRATIONS[:3]:
        raw.executescript(script)
    raw.execute("PRAGMA user_version=3")
    for kind in ("unlocked", "door", "settings_changed", "doorbell"):
        raw.execute(
            "INSERT INTO events (time, ts, type, data) VALUES (?, ?, ?, '{}')",
            (NOW.isoformat(), NOW.timestamp(), kind),
        )
    raw.commit()
    raw.close()
    store = Store(tmp_path / "lock.db")
    store.prune_events(1)  # one of each class stays: the newest
    store.close()
    raw = sqlite3.connect(tmp_path / "lock.db")
    rows = raw.execute("SELECT type, security FROM events ORDER BY seq").fetchall()
    raw.close()
    assert rows == [("settings_changed", 1), ("doorbell", 0)]


def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    """A change that fails half-way is rolled back completely."""
    store = Store(tmp_path / "lock.db")

    def add_then_fail() -> None:
        with store.transaction():
            store.put_user(User(1, "Alice", Role.ADMIN, None, None, NOW))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        add_then_fail()
    assert store.list_users() == []
    store.close()


def test_l21_user_numbers_fill_from_one(tmp_path: Path) -> None:
    """L-21: users get the lowest free number from 001 upwards."""
    store = Store(tmp_path / "lock.db")
    assert store.free_user_number() == 1
    for number in (1, 2, 4):
        store.put_user(User(number, f"u{number}", Role.USER, None, None, NOW))
    assert store.free_user_number() == 3
    store.close()


def test_clients_are_kept_by_token_hash_only(tmp_path: Path) -> None:
    """Paired clients: add, find by token hash, touch, list, revoke."""
    store = Store(tmp_path / "lock.db")
    store.add_client("c_1", "Home Assistant", "ab" * 32, NOW)
    found = store.find_client("ab" * 32)
    assert found is not None
    assert found.id == "c_1"
    store.touch_client("c_1", NOW)
    assert store.list_clients()[0].last_seen == NOW
    assert store.revoke_client("c_1")
    assert not store.revoke_client("c_1")
    assert store.find_client("ab" * 32) is None
    store.close()


def test_l32_device_secret_file_is_private(tmp_path: Path) -> None:
    """L-32: the key under which passwords are hashed is a 0600 file, kept."""
    first = DeviceSecret.load_or_create(tmp_path / "secret.key")
    mode = stat.S_IMODE(os.stat(tmp_path / "secret.key").st_mode)
    assert mode == 0o600
    again = DeviceSecret.load_or_create(tmp_path / "secret.key")
    assert first.digest("password", "482915") == again.digest("password", "482915")


_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from ezlock_edge.clock import SystemClock
    from ezlock_edge.core.events import EventLog
    from ezlock_edge.core.models import Role, User
    from ezlock_edge.core.store import Store

    store = Store(Path(sys.argv[1]))
    log = EventLog(store, SystemClock(), retention=50)
    start = store.free_user_number()
    for number in range(start, start + 100_000):
        user = User(number, f"user {number}", Role.USER, None, None, datetime.now(UTC))
        with store.transaction():
            store.put_user(user)
            event = log.append("user_added", user=user.ref)
        log.append("doorbell")
        print(number, event.seq, flush=True)
    """
)


@pytest.mark.parametrize("round_", [1, 2])
def test_sigkill_during_writes_loses_nothing_acknowledged(
    tmp_path: Path, round_: int
) -> None:
    """Every change acknowledged before a SIGKILL is there after restart, intact."""
    db = tmp_path / "lock.db"
    acked: list[tuple[int, int]] = []
    for _ in range(round_):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(db)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            number, seq = map(int, line.split())
            acked.append((number, seq))
            if len(acked) % 60 == 0:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()

    store = Store(db)
    assert store.integrity_ok()
    numbers = {user.number for user in store.list_users()}
    assert {number for number, _ in acked} <= numbers
    rows = store.event_rows(None, 1000)
    seqs = [row[0] for row in rows]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # no gap
    assert len(seqs) <= 2 * 50  # retention held across the kills (50 of each class)
    assert acked[-1][1] <= store.last_seq()
    store.close()


_RUNNING_LOCK = textwrap.dedent(
    """
    import asyncio
    import sys
    from pathlib import Path
    from ezlock_edge.clock import SystemClock
    from ezlock_edge.core.lock import LockCore
    from ezlock_edge.core.models import Role
    from ezlock_edge.devices.hardware import Hardware
    from ezlock_edge.sim.lock import SimulatedLock

    async def main(root: Path) -> None:
        clock = SystemClock()
        sim = SimulatedLock(clock=clock, motor_travel=0, seed=3, state_dir=root / "sim")
        await sim.start()
        ports = {link: str(path) for link, path in sim.ports.items()}
        hardware = await Hardware.open(**ports)
        core = LockCore(hardware, root / "data", clock)
        logged = asyncio.Queue()

        def stored(event):
            print("event", event.seq, flush=True)
            logged.put_nowait(event.type)

        core.events.subscribe(stored)
        await core.start()
        admin = core._directory.new_user(Role.ADMIN)
        core._directory.set_password(admin, "482915")
        for number in range(2, 999):
            user = await core.create_user(f"user {number}")
            print("user", user.number, flush=True)
            await sim.keypad(["doorbell"])
            while await logged.get() != "doorbell":  # the press came over the MCU link
                pass

    asyncio.run(main(Path(sys.argv[1])))
    """
)


def test_sigkill_of_a_running_lock_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """A lock core killed while users are added and events stream in loses nothing it acknowledged."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _RUNNING_LOCK, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"TMPDIR": str(tmp_path)},  # the killed simulator's ptys
    )
    assert proc.stdout is not None
    users: set[int] = set()
    events: set[int] = set()
    for line in proc.stdout:
        kind, value = line.split()
        (users if kind == "user" else events).add(int(value))
        if len(users) >= 30 and len(events) >= 30:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()

    store = Store(tmp_path / "data" / "lock.db")
    assert store.integrity_ok()
    assert users <= {user.number for user in store.list_users()}
    kept = [row[0] for row in store.event_rows(None, 1000)]
    assert events <= set(kept)
    assert kept == list(range(1, len(kept) + 1))
    store.close()


async def test_the_core_makes_its_data_directory_private(tmp_path: Path) -> None:
    """The lock core alone (no ``EdgeApp`` first): ``0700`` whatever the umask.

    A directory that existed world-readable is tightened too (issue #11.8).
    """
    (tmp_path / "data").mkdir(mode=0o755)
    (tmp_path / "data").chmod(0o755)
    previous = os.umask(0o022)
    try:
        async with running_lock(tmp_path):
            pass
        async with running_lock(tmp_path / "fresh"):
            pass
    finally:
        os.umask(previous)
    for directory in (tmp_path / "data", tmp_path / "fresh" / "data"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
