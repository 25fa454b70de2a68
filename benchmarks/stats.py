"""Summaries of samples and process memory readings."""

from __future__ import annotations

import os
from pathlib import Path
import statistics

_TICKS = os.sysconf("SC_CLK_TCK")


def latency(samples_s: list[float]) -> dict[str, float | int]:
    """Summarise latencies (seconds in, milliseconds out)."""
    ordered = sorted(samples_s)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(cuts[94] * 1000, 3),
        "p99_ms": round(cuts[98] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


def ratio(value_ms: float, floor_ms: float) -> float:
    """How many floors a figure costs."""
    return round(value_ms / floor_ms, 1) if floor_ms > 0 else float("inf")


def memory_kib(pid: int | str = "self") -> dict[str, int]:
    """Resident set now and its peak (``VmHWM``) of a process, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            fields[name] = int(value.split()[0])
    return {"rss_kib": fields["VmRSS"], "peak_rss_kib": fields["VmHWM"]}


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time a process has used so far, from /proc (clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def load() -> list[float]:
    """Return the load averages (1, 5, 15 minutes): how shared the CPUs were."""
    return [round(value, 2) for value in os.getloadavg()]
