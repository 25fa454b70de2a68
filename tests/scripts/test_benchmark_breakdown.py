"""The credential benchmark's breakdown: where an unlock's time goes, counted right.

The driver's marks of one sample can begin in the middle of the previous unlock's sync
(its relock's last report is being stored as the finger comes): that sync is not this
unlock's, and pairing its end with this unlock's first start gave a negative duration.
The second figure starts at the simulator's mark of the finger laid on the reader, the
one inside each sample's own press and event.
"""

from __future__ import annotations

import pytest

from benchmarks import trace
from benchmarks.cases.breakdown import (
    STAGES,
    breakdown,
    medians,
    presented,
    stage_times,
)
from benchmarks.cases.ha_timing import Sample
from benchmarks.cases.path_floor import STAGES as SKELETON_STAGES

MS = 1_000_000


def test_a_sync_begun_before_the_press_is_not_the_unlocks() -> None:
    """Each stage from its own marks; fsyncs counted and timed from start to end."""
    at = {
        "sim_request": 0.25,  # the simulator's (sim_main.py --trace)
        "sim_finger": 0.5,
        "mcu_sensor_wake": 1.5,
        "finger_identify_end": 2.5,
        "fsync_start": 3.0,
        "mcu_unlock_sent": 4.0,
        "mcu_unlock_answered": 5.0,
        "announce_unlocked": 6.0,
        "ws_sent_unlocked": 7.0,
    }
    marks = [(name, int(ms * MS)) for name, ms in at.items()]
    marks += [
        ("fsync_start", -1 * MS),  # the relock's last sync, still running
        ("fsync_end", MS // 10),
        ("fsync_end", int(3.5 * MS)),  # the commanded movement's (issue #11.6)
        ("fsync_start", int(5.2 * MS)),  # the unlock's
        ("fsync_end", int(5.7 * MS)),
    ]
    marks.sort(key=lambda mark: mark[1])
    result = breakdown([Sample(pressed=0, event=8 * MS, unlocked=9 * MS)], marks)
    assert result["complete_samples"] == 1
    assert list(result["stages_p50_ms"].values()) == [0.25, 0.25] + [1.0] * 2 + [
        0.5
    ] + [1.0] * (len(STAGES) - 5)
    assert (result["fsyncs_per_unlock_p50"], result["fsync_p50_ms"]) == (2, 0.5)
    assert (result["fsync_p99_ms"], result["fsync_max_ms"]) == (0.5, 0.5)


def test_each_sample_is_timed_from_its_own_finger_on_the_reader() -> None:
    samples = [
        Sample(pressed=0, event=8 * MS, unlocked=9 * MS),
        Sample(pressed=20 * MS, event=28 * MS, unlocked=30 * MS),
        Sample(pressed=40 * MS, event=48 * MS, unlocked=49 * MS),  # its mark is lost
    ]
    marks = [
        ("sim_finger", -5 * MS),  # a press before the samples (the enrollment's)
        ("mcu_sensor_wake", 1 * MS),  # the driver's: not the simulator's
        ("sim_finger", int(0.5 * MS)),
        ("sim_finger", 21 * MS),
        ("sim_finger", 29 * MS),  # after the second sample's event: not its own
    ]
    assert presented(samples, marks) == [0.0085, 0.009]


def test_the_skeletons_stages_are_of_whole_samples_only() -> None:
    """path_floor's stages, from the skeleton's processes' marks and the client's."""
    samples = [
        Sample(pressed=0, event=7 * MS, unlocked=7 * MS),
        Sample(pressed=10 * MS, event=17 * MS, unlocked=17 * MS),  # no commit mark
    ]
    names = [end for _, _, end in SKELETON_STAGES][:-1]  # the last is the client's
    marks = [(name, (i + 1) * MS) for i, name in enumerate(names)]
    marks += [(name, 10 * MS + (i + 1) * MS) for i, name in enumerate(names[:-1])]
    times = stage_times(samples, sorted(marks, key=lambda m: m[1]), SKELETON_STAGES)
    assert medians(times) == dict.fromkeys(
        (label for label, _, _ in SKELETON_STAGES), 1.0
    )
    assert {len(ms) for ms in times.values()} == {1}


def test_an_unlock_without_the_commanded_movements_sync() -> None:
    """An MCU that reports what moved the bolt: no #11.6 sync before UNLOCK."""
    at = {
        "sim_request": 0.25,
        "sim_finger": 0.5,
        "mcu_sensor_wake": 1.5,
        "finger_identify_end": 2.5,
        "mcu_unlock_sent": 3.5,
        "mcu_unlock_answered": 4.5,
        "fsync_start": 5.0,  # the unlock's commit
        "fsync_end": 5.5,
        "announce_unlocked": 6.0,
        "ws_sent_unlocked": 7.0,
    }
    marks = sorted(
        ((name, int(ms * MS)) for name, ms in at.items()), key=lambda m: m[1]
    )
    result = breakdown([Sample(pressed=0, event=8 * MS, unlocked=9 * MS)], marks)
    assert result["complete_samples"] == 1
    stages = result["stages_p50_ms"]
    assert stages["unlock decision"] == 1.0  # to UNLOCK, not to the commit's sync
    assert stages["the commanded movement made durable (issue #11.6), fsync"] == 0.0
    assert stages["commit of the unlock and bolt events, fsync included"] == 1.5
    assert (result["fsyncs_per_unlock_p50"], result["fsync_p50_ms"]) == (1, 0.5)


def test_every_method_the_trace_wraps_is_still_there() -> None:
    """A rename in the driver fails here, naming what moved, not in a benchmark."""
    trace.check(trace.DRIVER_TARGETS)
    trace.check(trace.SIMULATOR_TARGETS)


class _Renamed:
    def __init__(self) -> None:
        self.kept = True

    def sync(self) -> None:
        """Stand for a driver class whose attribute was renamed."""


def test_a_renamed_method_or_attribute_fails_loudly() -> None:
    module = f"{__name__}"
    with pytest.raises(trace.TraceError, match=r"_Renamed\.flush, which is gone"):
        trace.check(((module, "_Renamed", "flush", ()),))
    with pytest.raises(trace.TraceError, match=r"_Renamed's _unsynced"):
        trace.check(((module, "_Renamed", "sync", ("_unsynced",)),))
    trace.check(((module, "_Renamed", "sync", ("kept",)),))
    with pytest.raises(trace.TraceError, match=r"no ezlock_edge\.core\.store\.Gone"):
        trace.check((("ezlock_edge.core.store", "Gone", "sync", ()),))


def test_samples_without_a_stages_mark_name_it() -> None:
    """A mark never noted (its event renamed) is named, not an empty breakdown."""
    marks = [
        (name, int(ms * MS))
        for name, ms in {
            "sim_request": 0.25,
            "sim_finger": 0.5,
            "mcu_sensor_wake": 1.5,
            "finger_identify_end": 2.5,
            "mcu_unlock_sent": 4.0,
            "mcu_unlock_answered": 5.0,
            "ws_sent_unlocked": 7.0,
        }.items()
    ]
    with pytest.raises(
        trace.TraceError, match=r"never marked: \['announce_unlocked'\]"
    ):
        breakdown([Sample(pressed=0, event=8 * MS, unlocked=9 * MS)], marks)
