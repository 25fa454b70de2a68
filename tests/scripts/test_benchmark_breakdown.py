"""The credential benchmark's breakdown: where an unlock's time goes, counted right.

The driver's marks of one sample can begin in the middle of the previous unlock's sync
(its relock's last report is being stored as the finger comes): that sync is not this
unlock's, and pairing its end with this unlock's first start gave a negative duration.
"""

from __future__ import annotations

from benchmarks.cases.breakdown import STAGES, breakdown
from benchmarks.cases.ha_timing import Sample

MS = 1_000_000


def test_a_sync_begun_before_the_press_is_not_the_unlocks() -> None:
    """Each stage from its own marks; fsyncs counted and timed from start to end."""
    at = {
        "mcu_sensor_wake": 1.0,
        "finger_identify_end": 2.0,
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
    assert [ms for _, ms in result["stages_p50_ms"].items()] == [1.0] * len(STAGES)
    assert (result["fsyncs_per_unlock_p50"], result["fsync_p50_ms"]) == (2, 0.5)
