"""``password_check``: the anti-peep check (L-41) of a long entry against every password and code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
import functools
from pathlib import Path
import random
import time
from typing import Any

from benchmarks.stats import latency, ratio
from ezlock_edge.clock import SystemClock, local_time_zone
from ezlock_edge.core.directory import Directory
from ezlock_edge.core.events import EventLog
from ezlock_edge.core.models import Role, VisitorKind
from ezlock_edge.core.policy import ENTRY_MAX, check_password, entry_windows
from ezlock_edge.core.secrets import DeviceSecret
from ezlock_edge.core.store import Store
from ezlock_edge.core.visitors import Visitors

from .scale import Scale

# The keypad's check hashes each window once per purpose the entry is checked for:
# users' passwords and visitors' temporary passwords (their hashes are kept apart).
HASH_PURPOSES = ("password", "temporary")


def _hide(rng: random.Random, secret: str, entry: str) -> str:
    """Put ``secret`` somewhere inside ``entry`` (same length: anti-peep digits)."""
    at = rng.randrange(len(entry) - len(secret) + 1)
    return entry[:at] + secret + entry[at + len(secret) :]


async def bench_password_check(tmp: Path, scale: Scale) -> dict[str, Any]:
    """Anti-peep check (L-41) of a 32-digit entry against 50 passwords and 50 codes.

    Three entries side by side, measured in turn so the machine's load hits each
    alike: a miss, a match (a password hidden among the digits) and the worst case
    (a password and a visitor code hidden in the same entry: the most rows to read).
    The matcher's work (every window hashed, every stored hash looked up) is the same
    for all three; only reading the matched rows differs, and that is the outcome the
    person at the door sees anyway (the door opens or not).
    """
    clock = SystemClock()
    store = Store(tmp / "passwords.db")
    secret = DeviceSecret.load_or_create(tmp / "secret")
    directory = Directory(
        store, EventLog(store, clock), clock, secret, local_time_zone()
    )
    rng = random.Random(7)
    passwords: list[str] = []
    while len(passwords) < 50:
        password = "".join(rng.choice("0123456789") for _ in range(8))
        try:
            check_password(password)
            user = directory.create_user(f"bench {len(directory.users())}", Role.USER)
            directory.set_password(user, password)
        except ValueError:
            continue
        passwords.append(password)
    visitors = Visitors(store, EventLog(store, clock), clock, secret, local_time_zone())
    codes = [
        visitors.create(
            VisitorKind.TEMPORARY_PASSWORD,
            f"visitor {index}",
            clock.now() + timedelta(days=1),
        )[1]
        for index in range(50)
    ]

    def check(entry: str) -> int:
        return len(directory.match_entry(entry)) + len(visitors.match_entry(entry))

    while True:
        miss = "".join(rng.choice("0123456789") for _ in range(ENTRY_MAX))
        if not check(miss):
            break
    entries = {
        "miss": miss,
        "match": _hide(rng, passwords[17], miss),
        "worst": _hide(rng, passwords[17], miss[:16])
        + _hide(rng, codes[33], miss[16:]),
    }
    found = {name: check(entry) for name, entry in entries.items()}
    assert found == {"miss": 0, "match": 1, "worst": 2}, found
    windows = entry_windows(miss)

    def floor() -> None:
        for purpose in HASH_PURPOSES:
            for window in windows:
                secret.digest(purpose, window)

    runs: dict[str, Callable[[], object]] = {
        name: functools.partial(check, entry) for name, entry in entries.items()
    }
    runs["floor"] = floor
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(scale.password_checks):
        for name, run in runs.items():
            started, cpu_started = time.perf_counter(), time.thread_time()
            run()
            cpu[name].append(time.thread_time() - cpu_started)
            wall[name].append(time.perf_counter() - started)
    store.close()
    floor_ms = latency(wall["floor"])["p50_ms"]
    cases = {}
    for name in ("match", "miss", "worst"):
        summary = latency(wall[name])
        cpu_summary = latency(cpu[name])
        cases[name] = {
            **summary,
            "cpu_p50_ms": cpu_summary["p50_ms"],
            "cpu_p99_ms": cpu_summary["p99_ms"],
            "p50_over_floor": ratio(summary["p50_ms"], floor_ms),
        }
    return {
        "password_check": {
            "windows": len(windows),
            "candidates": len(passwords) + len(codes),
            **cases,
            "floor_ms": floor_ms,
            "floor_cpu_ms": latency(cpu["floor"])["p50_ms"],
            "floor": "HMAC-SHA256 of every window for each of the two hash purposes "
            "(no lookups, no database)",
            # Wall-time tails are the machine's load (other processes preempt this
            # one); CPU time is this check's own work.
            "worst_cpu_p99_over_floor": ratio(
                float(cases["worst"]["cpu_p99_ms"]), floor_ms
            ),
        }
    }
