"""What makes the slowest credential samples slow: their stages, and what else ran meanwhile.

The slowest 5 % and 1 % of the samples beside the middle 20 % (p40-p60): each group's
mean time per stage of the breakdown (``breakdown.STAGES``) and how much more than the
middle's it took, then, per process (the driver, the simulator, Home Assistant with the
benchmark), what ran inside the group's samples that a sample does not need: garbage
collections (count, milliseconds, generation, and in which stage they landed), timer
callbacks (what they were, milliseconds), the main thread's wait for a CPU and its CPU
time (``/proc/<pid>/schedstat``, from right before the press to right after the sample
was seen, so slightly more than the sample), and the fsyncs. ``benchmarks/probes.py``
notes them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
import itertools
import statistics
from typing import Any

from benchmarks.probes import Probes, SchedStat

from .breakdown import STAGES, stage_spans
from .ha_timing import Sample

PROCESSES = ("driver", "simulator", "home_assistant")


def tail_profile(
    samples: list[Sample],
    marks: list[tuple[str, int]],
    probes: dict[str, Probes],
    cpu: dict[str, dict[int, int]] | None = None,
) -> dict[str, Any]:
    """Return the slowest samples' stage profile next to the middle's, and what ran in them."""
    ordered = sorted(samples, key=lambda sample: sample.seconds)
    n = len(ordered)
    groups = {
        "middle_p40_p60": ordered[int(n * 0.4) : max(int(n * 0.6), int(n * 0.4) + 1)],
        "slowest_5_percent": ordered[n - max(1, n // 20) :],
        "slowest_1_percent": ordered[n - max(1, n // 100) :],
    }
    spans = {id(sample): stage_spans(sample, marks) for sample in samples}
    fsyncs = _intervals(marks, "fsync_start", "fsync_end")
    profile: dict[str, Any] = {
        name: _group(group, spans, probes, fsyncs) for name, group in groups.items()
    }
    names = {ns: name for name, ns in marks}
    for name, group in groups.items():
        for process, at_marks in (cpu or {}).items():
            profile[name][process]["cpu_ms_between_its_marks"] = _cpu_between(
                group, spans, process, at_marks, names
            )
    middle = profile["middle_p40_p60"]["stages_mean_ms"]
    for name in ("slowest_5_percent", "slowest_1_percent"):
        stages = profile[name]["stages_mean_ms"]
        excess = {
            label: round(ms - middle.get(label, 0.0), 3) for label, ms in stages.items()
        }
        profile[name]["stages_over_middle_ms"] = dict(
            sorted(excess.items(), key=lambda item: -item[1])
        )
    profile["slowest_samples"] = [
        _one(sample, spans[id(sample)], probes, fsyncs, middle)
        for sample in reversed(groups["slowest_1_percent"])
    ]
    return {
        "measured": (
            "the slowest 5 % and 1 % of credential samples beside the middle 20 %: "
            "stage means, and per process what ran inside them"
        ),
        **profile,
        "per_sample": {
            process: _per_sample(probes[process], samples) for process in probes
        },
    }


def _group(
    group: Sequence[Sample],
    spans: dict[int, list[tuple[str, int, int]] | None],
    probes: dict[str, Probes],
    fsyncs: list[tuple[int, int]],
) -> dict[str, Any]:
    stage_ms: dict[str, list[float]] = {}
    for sample in group:
        for label, start, end in spans[id(sample)] or ():
            stage_ms.setdefault(label, []).append((end - start) / 1e6)
    result: dict[str, Any] = {
        "n": len(group),
        "mean_ms": round(statistics.fmean(s.seconds for s in group) * 1000, 3),
        "stages_mean_ms": {
            label: round(statistics.fmean(ms), 3) for label, ms in stage_ms.items()
        },
        "fsync_ms_mean": _mean_overlap(group, fsyncs),
    }
    for process, noted in probes.items():
        result[process] = _ran_inside(group, spans, noted)
    sched = [s.probed for s in group if s.probed is not None]
    for process in PROCESSES:
        deltas: list[SchedStat] = [
            after[process] - before[process]
            for before, after in sched
            if process in before and process in after
        ]
        if deltas:
            result[process]["sched_mean"] = {
                "wait_for_cpu_ms": round(
                    statistics.fmean(d.wait_ns for d in deltas) / 1e6, 3
                ),
                "cpu_ms": round(statistics.fmean(d.cpu_ns for d in deltas) / 1e6, 3),
                "timeslices": round(statistics.fmean(d.slices for d in deltas), 1),
            }
    return result


def _cpu_between(
    group: Sequence[Sample],
    spans: dict[int, list[tuple[str, int, int]] | None],
    process: str,
    at_marks: dict[int, int],
    names: dict[int, str],
) -> dict[str, float]:
    """Return the mean CPU time of ``process`` between its stage marks, in the group.

    From the press (its CPU read right before it) to its first mark, from mark to
    mark, and from its last mark to the sample seen (its CPU read right after): what
    it computed in each, and, after the last mark, the work it still did while the
    next hops ran.
    """
    ends = {label: end for label, _, end in STAGES}
    spent: dict[str, list[float]] = {}
    for sample in group:
        sample_spans = spans[id(sample)]
        if sample_spans is None or sample.probed is None:
            continue
        before, after = sample.probed
        if process not in before or process not in after:
            continue
        known = [("the press", before[process].cpu_ns)]
        last_ns = sample.pressed
        for label, _, end_ns in sample_spans:
            if end_ns != last_ns and (at := at_marks.get(end_ns)) is not None:
                # By the mark's own name: an optional stage's end may be the next's.
                known.append((names.get(end_ns, ends[label]), at))
            last_ns = end_ns
        known.append(("the sample seen", after[process].cpu_ns))
        for (first, start), (then, end) in itertools.pairwise(known):
            spent.setdefault(f"{first} -> {then}", []).append((end - start) / 1e6)
    return {interval: round(statistics.fmean(ms), 3) for interval, ms in spent.items()}


def _one(
    sample: Sample,
    spans: list[tuple[str, int, int]] | None,
    probes: dict[str, Probes],
    fsyncs: list[tuple[int, int]],
    middle: dict[str, float],
) -> dict[str, Any]:
    """One slow sample: the stage that grew most, each process's wait, GC and fsync."""
    one: dict[str, Any] = {"ms": round(sample.seconds * 1000, 3)}
    if spans:
        label, start, end = max(
            spans, key=lambda span: (span[2] - span[1]) / 1e6 - middle.get(span[0], 0.0)
        )
        one["stage_grown_most"] = label
        one["stage_ms"] = round((end - start) / 1e6, 3)
    if sample.probed is not None:
        before, after = sample.probed
        one["wait_for_cpu_ms"] = {
            process: round((after[process] - before[process]).wait_ns / 1e6, 3)
            for process in PROCESSES
            if process in before and process in after
        }
    one["gc_ms"] = {
        process: round(
            sum(
                (_overlap(s, e, sample) for s, e, _ in _overlapping(noted.gc, sample)),
                0.0,
            ),
            3,
        )
        for process, noted in probes.items()
    }
    one["fsync_ms"] = _mean_overlap([sample], fsyncs)
    return one


def _ran_inside(
    group: Sequence[Sample],
    spans: dict[int, list[tuple[str, int, int]] | None],
    noted: Probes,
) -> dict[str, Any]:
    """Count the collections and timers of one process inside the group's samples."""
    gc_ms, gc_generations, gc_stages = 0.0, Counter[int](), Counter[str]()
    timer_ms: dict[str, float] = {}
    timer_counts = Counter[str]()
    with_gc = 0
    for sample in group:
        found = False
        for start, end, generation in _overlapping(noted.gc, sample):
            found = True
            gc_ms += _overlap(start, end, sample)
            gc_generations[generation] += 1
            gc_stages[_stage_at(spans[id(sample)], start)] += 1
        with_gc += found
        for start, end, what in _overlapping(noted.timers, sample):
            timer_ms[what] = timer_ms.get(what, 0.0) + _overlap(start, end, sample)
            timer_counts[what] += 1
    n = len(group)
    return {
        "samples_with_gc": with_gc,
        "gc_ms_mean": round(gc_ms / n, 3),
        "gc_by_generation": {str(g): c for g, c in sorted(gc_generations.items())},
        "gc_in_stage": dict(gc_stages.most_common()),
        "timers_ms_mean": round(sum(timer_ms.values()) / n, 3),
        "timers": {
            what: {"count": count, "ms": round(timer_ms[what], 3)}
            for what, count in timer_counts.most_common(8)
        },
    }


def _per_sample(noted: Probes, samples: list[Sample]) -> dict[str, Any]:
    """Count collections per sample by generation; the allocated blocks' growth."""
    first, last = samples[0].pressed, samples[-1].unlocked
    inside = [(s, e, g) for s, e, g in noted.gc if first <= s <= last]
    by_generation: dict[str, Any] = {}
    for generation in (0, 1, 2):
        ms = [(e - s) / 1e6 for s, e, g in inside if g == generation]
        by_generation[str(generation)] = {
            "per_sample": round(len(ms) / len(samples), 3),
            "p50_ms": round(statistics.median(ms), 3) if ms else None,
            "max_ms": round(max(ms), 3) if ms else None,
        }
    blocks = [(ns, b) for ns, b in noted.blocks if first <= ns <= last]
    growth = None
    if len(blocks) >= 2:
        span_s = (blocks[-1][0] - blocks[0][0]) / 1e9
        per_s = (blocks[-1][1] - blocks[0][1]) / span_s if span_s else 0.0
        run_s = (last - first) / 1e9
        growth = round(per_s * run_s / len(samples), 1)
    return {
        "gc": by_generation,
        "allocated_blocks_growth_per_sample": growth,
        "timers_per_sample": round(
            sum(1 for s, _, _ in noted.timers if first <= s <= last) / len(samples), 2
        ),
    }


def _intervals(
    marks: list[tuple[str, int]], begin: str, end: str
) -> list[tuple[int, int]]:
    spans, start = [], None
    for name, ns in marks:
        if name == begin:
            start = ns
        elif name == end and start is not None:
            spans.append((start, ns))
            start = None
    return spans


def _overlapping[T: tuple[int, int, Any]](noted: list[T], sample: Sample) -> list[T]:
    return [
        item
        for item in noted
        if item[0] <= sample.unlocked and item[1] >= sample.pressed
    ]


def _overlap(start: int, end: int, sample: Sample) -> float:
    return max(0, min(end, sample.unlocked) - max(start, sample.pressed)) / 1e6


def _mean_overlap(group: Sequence[Sample], spans: list[tuple[int, int]]) -> float:
    total = sum(
        _overlap(start, end, sample)
        for sample in group
        for start, end in spans
        if start <= sample.unlocked and end >= sample.pressed
    )
    return round(total / len(group), 3)


def _stage_at(spans: list[tuple[str, int, int]] | None, ns: int) -> str:
    for label, start, end in spans or ():
        if start <= ns < end:
            return label
    return "outside the stages"
