"""The credential benchmark's tail: which stage made the slowest samples slow, and what ran in them.

``credential_to_ha.tail`` lines the slowest samples up with what each process noted
(``benchmarks/probes.py``: collections, timers; the scheduler's statistics read around
each sample): a sample slow because its driver waited for a CPU in the module exchange,
or because a collection ran in the simulator, must say so, and the middle samples must
not be charged with it.
"""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys

from benchmarks import probes
from benchmarks.cases.breakdown import STAGES
from benchmarks.cases.ha_timing import Sample
from benchmarks.cases.tail import tail_profile
from benchmarks.probes import Probes, SchedStat

MS = 1_000_000
EXCHANGE = "fingerprint module exchanges (capture, search)"
# Each stage's end mark one millisecond after the previous one (as in
# test_benchmark_breakdown): the benchmark's own marks are the sample's.
ENDS = [end for _, _, end in STAGES if end not in {"ha_event", "ha_unlocked"}]


def _sample(
    at: int, exchange_ms: int = 1, wait_ms: int = 0
) -> tuple[Sample, list[tuple[str, int]]]:
    marks, t = [], at
    for end in ENDS:
        if end == "fsync_start":
            continue  # the unlock with no #11.6 sync
        t += (exchange_ms if end == "finger_identify_end" else 1) * MS
        marks.append((end, t))
    # The driver computes a tenth of the time (its CPU at a mark: the mark's time / 10).
    before = {p: SchedStat(0, 0, 0) for p in ("driver", "simulator", "home_assistant")}
    after = dict(before, driver=SchedStat((t + 2 * MS) // 10, wait_ms * MS, 10))
    before["driver"] = SchedStat(at // 10, 0, 0)
    sample = Sample(at, t + MS, t + 2 * MS, (before, after))
    return sample, marks


def test_the_slowest_samples_name_their_stage_and_what_ran_in_them() -> None:
    samples, marks = [], []
    for index in range(100):
        grown = index == 50
        sample, own = _sample(index * 100 * MS, 7 if grown else 1, 6 if grown else 0)
        samples.append(sample)
        marks += own
    slow = samples[50]
    in_exchange = slow.pressed + 4 * MS  # inside its 7 ms module exchange
    noted = {
        "driver": Probes(timers=[(in_exchange, in_exchange + MS, "battery.measure")]),
        "simulator": Probes(gc=[(in_exchange, in_exchange + 2 * MS, 1)]),
        "home_assistant": Probes(
            gc=[(samples[10].unlocked + MS, samples[10].unlocked + 2 * MS, 0)]
        ),
    }
    marks.sort(key=lambda mark: mark[1])

    simulator_marks = {"sim_request", "sim_finger"}
    cpu = {
        "driver": {ns: ns // 10 for name, ns in marks if name not in simulator_marks}
    }
    tail = tail_profile(samples, marks, noted, cpu)

    worst = tail["slowest_1_percent"]
    assert worst["n"] == 1
    assert next(iter(worst["stages_over_middle_ms"])) == EXCHANGE
    assert worst["stages_over_middle_ms"][EXCHANGE] == 6.0
    assert worst["simulator"]["gc_by_generation"] == {"1": 1}
    assert worst["simulator"]["gc_in_stage"] == {EXCHANGE: 1}
    assert worst["simulator"]["gc_ms_mean"] == 2.0
    assert worst["driver"]["timers"] == {"battery.measure": {"count": 1, "ms": 1.0}}
    assert worst["driver"]["sched_mean"]["wait_for_cpu_ms"] == 6.0
    assert tail["slowest_samples"] == [
        {
            "ms": 16.0,
            "stage_grown_most": EXCHANGE,
            "stage_ms": 7.0,
            "wait_for_cpu_ms": {"driver": 6.0, "simulator": 0.0, "home_assistant": 0.0},
            "gc_ms": {"driver": 0.0, "simulator": 2.0, "home_assistant": 0.0},
            "fsync_ms": 0.0,
        }
    ]
    middle = tail["middle_p40_p60"]
    assert middle["driver"]["sched_mean"]["wait_for_cpu_ms"] == 0.0
    # What the driver computed from mark to mark (no #11.6 sync: the decision ends
    # at UNLOCK), and after its WebSocket write while Home Assistant worked.
    assert middle["driver"]["cpu_ms_between_its_marks"] == {
        "the press -> mcu_sensor_wake": 0.3,
        "mcu_sensor_wake -> finger_identify_end": 0.1,
        "finger_identify_end -> mcu_unlock_sent": 0.1,
        "mcu_unlock_sent -> mcu_unlock_answered": 0.1,
        "mcu_unlock_answered -> announce_unlocked": 0.1,
        "announce_unlocked -> ws_sent_unlocked": 0.1,
        "ws_sent_unlocked -> the sample seen": 0.2,
    }
    exchange = "mcu_sensor_wake -> finger_identify_end"
    assert worst["driver"]["cpu_ms_between_its_marks"][exchange] == 0.7
    # Home Assistant's collection came after its sample had ended: in no sample.
    assert all(
        tail[group][process]["samples_with_gc"] == 0
        for group in ("middle_p40_p60", "slowest_5_percent")
        for process in ("driver", "home_assistant")
    )
    assert tail["per_sample"]["home_assistant"]["gc"]["0"]["per_sample"] == 0.01


def test_a_process_notes_its_collections_and_timers() -> None:
    noted = probes.install()
    try:
        gc.collect(1)
        (start, end, generation) = noted.gc[-1]
        assert generation == 1 and start <= end

        async def sleep_briefly() -> None:
            await asyncio.sleep(0)
            asyncio.get_running_loop().call_later(0.001, print_nothing)
            await asyncio.sleep(0.01)

        asyncio.run(sleep_briefly())
        names = [what for _, _, what in noted.timers]
        assert f"{__name__}.print_nothing" in names
    finally:
        probes.uninstall()
    assert "_run" not in asyncio.TimerHandle.__dict__  # Handle's own again


def print_nothing() -> None:
    """Do nothing (a timer's callback with a name of its own)."""


def test_the_scheduler_statistics_of_a_process() -> None:
    first = probes.schedstat()
    assert first.cpu_ns > 0 and first.slices > 0  # this process has run


def test_the_statistics_read_through_a_kept_file_are_read_anew() -> None:
    stats = probes.SchedStats({"this": "self"})
    try:
        first = stats.read()["this"]
        assert first.slices > 0
        # Waiting for a child takes this thread off the CPU: a switch, counted at once.
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        then, fresh = stats.read()["this"], probes.schedstat()
        assert then.slices > first.slices
        assert fresh.slices >= then.slices and fresh.cpu_ns >= then.cpu_ns
    finally:
        stats.close()
