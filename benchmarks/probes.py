"""What else ran in a benchmark's process while a sample waited: collections, timers, the scheduler.

Benchmark-only, like ``trace.py`` beside it, and installed in each of the three
processes of ``credential_to_ha`` (the driver, the simulator, Home Assistant with the
benchmark). Nothing here changes what runs, only notes when it ran, on
``time.perf_counter_ns`` (CLOCK_MONOTONIC, the clock of the trace marks), so that the
slowest samples can be lined up with what happened in each process meanwhile:

- every garbage collection (``gc.callbacks``): when, how long, which generation, and
  the interpreter's allocated blocks after it (growth across a run);
- every timer callback of the event loop that ran (``asyncio.TimerHandle``): when, how
  long, what it was (the driver's and the simulator's periodic work, timeouts that
  fired);
- the scheduler's view of a process's main thread (``/proc/<pid>/schedstat``: CPU time,
  time spent runnable but waiting for a CPU, timeslices), read by the benchmark from
  outside before and after each sample (:func:`schedstat`).

The GC callback costs nothing unless a collection runs; the timer wrapper one Python
call per timer that fires (a handful per sample).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import gc
import os
from pathlib import Path
import sys
import time
from typing import Any


@dataclass
class Probes:
    """What one process noted (all times ``perf_counter_ns``)."""

    gc: list[tuple[int, int, int]] = field(default_factory=list)  # start, end, gen
    timers: list[tuple[int, int, str]] = field(default_factory=list)  # start, end, what
    blocks: list[tuple[int, int]] = field(default_factory=list)  # after a gc: blocks

    def as_json(self) -> dict[str, Any]:
        """Return the notes as JSON data."""
        return {"gc": self.gc, "timers": self.timers, "blocks": self.blocks}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Probes:
        """Read what :meth:`as_json` wrote."""
        return cls(
            gc=[(int(a), int(b), int(g)) for a, b, g in data.get("gc", [])],
            timers=[(int(a), int(b), str(w)) for a, b, w in data.get("timers", [])],
            blocks=[(int(a), int(b)) for a, b in data.get("blocks", [])],
        )


PROBES = Probes()
_removers: list[Callable[[], None]] = []


def install() -> Probes:
    """Start noting collections and timers in this process (once); returns the notes."""
    if _removers:
        return PROBES
    started: list[int] = [0]
    clock = time.perf_counter_ns

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = clock()
        else:
            end = clock()
            PROBES.gc.append((started[0], end, info["generation"]))
            PROBES.blocks.append((end, sys.getallocatedblocks()))

    gc.callbacks.append(on_gc)
    _removers.append(lambda: gc.callbacks.remove(on_gc))
    handle = asyncio.TimerHandle
    own = handle.__dict__.get("_run")  # None: Handle's
    run = handle._run  # noqa: SLF001

    def on_timer(self: asyncio.TimerHandle) -> None:
        begun = clock()
        try:
            run(self)
        finally:
            what = _name(self._callback)  # type: ignore[attr-defined]
            PROBES.timers.append((begun, clock(), what))

    def restore() -> None:
        if own is None:
            del handle._run  # noqa: SLF001
        else:
            handle._run = own  # type: ignore[method-assign]  # noqa: SLF001

    handle._run = on_timer  # type: ignore[method-assign,assignment]  # noqa: SLF001
    _removers.append(restore)
    return PROBES


def uninstall() -> None:
    """Stop noting (what was noted stays in ``PROBES``); for tests."""
    while _removers:
        _removers.pop()()


def _name(callback: Any) -> str:
    """Name a timer's callback by its qualified name (a partial by its function)."""
    target = getattr(callback, "func", callback)
    name = getattr(target, "__qualname__", None) or type(target).__qualname__
    module = getattr(target, "__module__", None) or ""
    return f"{module}.{name}" if module else name


@dataclass(frozen=True)
class SchedStat:
    """A thread's ``/proc/.../schedstat``: CPU time, wait for a CPU (ns), timeslices."""

    cpu_ns: int
    wait_ns: int
    slices: int

    def __sub__(self, other: SchedStat) -> SchedStat:
        """Return what happened between ``other`` and this reading."""
        return SchedStat(
            self.cpu_ns - other.cpu_ns,
            self.wait_ns - other.wait_ns,
            self.slices - other.slices,
        )


def schedstat(pid: int | str = "self") -> SchedStat:
    """Read the scheduler's statistics of a process's main thread."""
    cpu, wait, slices = Path(f"/proc/{pid}/schedstat").read_text().split()
    return SchedStat(int(cpu), int(wait), int(slices))


class SchedStats:
    """The scheduler's statistics of a few processes, read through files kept open.

    A read is one ``pread`` each (the kernel writes the file anew at offset 0): a few
    microseconds of the benchmark's CPU per sample instead of some 200 for opening
    and decoding the files each time.
    """

    def __init__(self, pids: dict[str, int | str]) -> None:
        """Open ``/proc/<pid>/schedstat`` of each named process."""
        self._files = {
            name: os.open(f"/proc/{pid}/schedstat", os.O_RDONLY)
            for name, pid in pids.items()
        }

    def read(self) -> dict[str, SchedStat]:
        """Return each process's statistics now."""
        found = {}
        for name, descriptor in self._files.items():
            cpu, wait, slices = os.pread(descriptor, 128, 0).split()
            found[name] = SchedStat(int(cpu), int(wait), int(slices))
        return found

    def close(self) -> None:
        """Close the files."""
        for descriptor in self._files.values():
            os.close(descriptor)
        self._files = {}
