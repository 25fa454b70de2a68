"""Where an unlock's time goes: the stages between the driver's trace marks and Home Assistant's."""

from __future__ import annotations

import bisect
import statistics
from typing import Any

from benchmarks.trace import TraceError

from .ha_timing import Sample

# Where an unlock's time goes: (label, from mark, to mark), each the first mark of its
# name after the previous one. "pressed", "ha_event" and "ha_unlocked" are the
# benchmark's own; "sim_finger" the simulator's, the others the driver's
# (benchmarks/trace.py).
STAGES = (
    (
        "the benchmark's press request, to the simulator's process",
        "pressed",
        "sim_request",
    ),
    (
        "the simulator's control surface (HTTP, route, schema) to the finger laid",
        "sim_request",
        "sim_finger",
    ),
    (
        "simulator: finger on the sensor, touch line, MCU event",
        "sim_finger",
        "mcu_sensor_wake",
    ),
    (
        "fingerprint module exchanges (capture, search)",
        "mcu_sensor_wake",
        "finger_identify_end",
    ),
    ("unlock decision", "finger_identify_end", "fsync_start"),
    (
        "the commanded movement made durable (issue #11.6), fsync",
        "fsync_start",
        "mcu_unlock_sent",
    ),
    (
        "UNLOCK request and answer on the MCU link",
        "mcu_unlock_sent",
        "mcu_unlock_answered",
    ),
    (
        "commit of the unlock and bolt events, fsync included",
        "mcu_unlock_answered",
        "announce_unlocked",
    ),
    (
        "WebSocket message framed, its write begun",
        "announce_unlocked",
        "ws_sent_unlocked",
    ),
    ("Home Assistant: message to access event", "ws_sent_unlocked", "ha_event"),
    ("Home Assistant: access event to lock entity unlocked", "ha_event", "ha_unlocked"),
)


# Marks a sample may lack: with an MCU that says itself whether its motor moved the
# bolt, there is no #11.6 sync before UNLOCK (the decision then ends at UNLOCK).
OPTIONAL = frozenset({"fsync_start"})


def breakdown(samples: list[Sample], marks: list[tuple[str, int]]) -> dict[str, Any]:
    """Median time of each stage of STAGES, and the fsyncs each unlock cost."""
    stages: dict[str, list[float]] = {label: [] for label, _, _ in STAGES}
    fsyncs: list[int] = []
    fsync_ms: list[float] = []
    for sample in samples:
        inside = _inside(sample, marks)
        if not _walk(sample, inside, STAGES, stages):
            continue
        # A sync whose start fell before the press is not this unlock's.
        start: int | None = None
        count = 0
        for name, ns in inside:
            if name == "fsync_start":
                start = ns
            elif name == "fsync_end" and start is not None:
                fsync_ms.append((ns - start) / 1e6)
                count, start = count + 1, None
        fsyncs.append(count)
    if samples and not fsyncs:
        seen = {name for name, _ in marks} | {"pressed", "ha_event", "ha_unlocked"}
        missing = [end for _, _, end in STAGES if end not in seen | OPTIONAL]
        raise TraceError(
            f"no credential sample has every mark; never marked: {missing} "
            "(benchmarks/trace.py marks them: what it wraps was renamed or moved?)"
        )
    return {
        "complete_samples": len(fsyncs),
        "stages_p50_ms": medians(stages),
        "fsyncs_per_unlock_p50": statistics.median(fsyncs) if fsyncs else None,
        "fsyncs_per_unlock_max": max(fsyncs) if fsyncs else None,
        "fsync_p50_ms": round(statistics.median(fsync_ms), 3) if fsync_ms else None,
        # The disk's own tail, each of the unlocks' syncs (the samples' p99 beside it).
        "fsync_p99_ms": _p99(fsync_ms),
        "fsync_max_ms": round(max(fsync_ms), 3) if fsync_ms else None,
    }


def _p99(ms: list[float]) -> float | None:
    if len(ms) < 2:
        return round(ms[0], 3) if ms else None
    return round(statistics.quantiles(ms, n=100, method="inclusive")[98], 3)


def stage_spans(
    sample: Sample,
    marks: list[tuple[str, int]],
    stages: tuple[tuple[str, str, str], ...] = STAGES,
) -> list[tuple[str, int, int]] | None:
    """Each stage of one sample as (label, start ns, end ns); None if a mark is missing."""
    times: dict[str, list[float]] = {label: [] for label, _, _ in stages}
    if not _walk(sample, _inside(sample, marks), stages, times):
        return None
    spans, at = [], sample.pressed
    for label, _, _ in stages:
        end = at + round(times[label][0] * 1e6)
        spans.append((label, at, end))
        at = end
    return spans


def stage_times(
    samples: list[Sample],
    marks: list[tuple[str, int]],
    stages: tuple[tuple[str, str, str], ...],
) -> dict[str, list[float]]:
    """Each stage's milliseconds, of the samples that have every mark."""
    times: dict[str, list[float]] = {label: [] for label, _, _ in stages}
    for sample in samples:
        _walk(sample, _inside(sample, marks), stages, times)
    return times


def medians(times: dict[str, list[float]]) -> dict[str, float]:
    """Return the median of each stage that has samples (ms, to the microsecond)."""
    return {label: round(statistics.median(ms), 3) for label, ms in times.items() if ms}


def _inside(sample: Sample, marks: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Return the marks within ``sample`` and the benchmark's own, in time order."""
    inside = [(n, t) for n, t in marks if sample.pressed <= t <= sample.unlocked]
    inside += [("pressed", sample.pressed), ("ha_event", sample.event)]
    inside += [("ha_unlocked", sample.unlocked)]
    inside.sort(key=lambda mark: mark[1])
    return inside


def _walk(
    sample: Sample,
    inside: list[tuple[str, int]],
    stages: tuple[tuple[str, str, str], ...],
    times: dict[str, list[float]],
) -> bool:
    """Add the sample's stage times to ``times`` if it has every mark (all or none).

    An end in OPTIONAL counts only before the next stage's end; without it there,
    its stage ends where the next one does (which then takes 0 ms).
    """
    at, found_times = sample.pressed, []
    ends = [end for _, _, end in stages]
    for index, end in enumerate(ends):
        found = _first(inside, end, at)
        if end in OPTIONAL and index + 1 < len(ends):
            following = _first(inside, ends[index + 1], at)
            if found is None or (following is not None and following < found):
                found = following
        if found is None:
            return False
        found_times.append((found - at) / 1e6)
        at = found
    for (label, _, _), ms in zip(stages, found_times, strict=True):
        times[label].append(ms)
    return True


def presented(samples: list[Sample], marks: list[tuple[str, int]]) -> list[float]:
    """Seconds from the finger laid on the reader to each sample's end.

    The simulator's ``sim_finger`` mark of a sample is the first one after its press
    request and before its event; a sample without one (a trace cut short) is left out.
    """
    placed = sorted(ns for name, ns in marks if name == "sim_finger")
    seconds = []
    for sample in samples:
        at = bisect.bisect_left(placed, sample.pressed)
        if at < len(placed) and placed[at] <= sample.event:
            seconds.append((sample.unlocked - placed[at]) / 1e9)
    return seconds


def _first(inside: list[tuple[str, int]], name: str, at: int) -> int | None:
    return next((t for n, t in inside if n == name and t >= at), None)
