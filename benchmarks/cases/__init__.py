"""The benchmarks of docs/performance.md, one coroutine each, returning plain JSON data.

One module per benchmark: ``credential`` (credential_to_ha, ha_command), ``storm``
(event_storm), ``footprint`` (edge_footprint), ``passwords`` (password_check), ``fleet``
(many_locks, many_locks_large), ``path_floor`` (the credential path's hops with no
lock in them, ``benchmarks/skeleton.py``); with ``scale`` (how much work: full or ``--quick``),
``floors`` (what a latency is measured against), ``ha_timing`` (an unlock as Home
Assistant sees it) and ``breakdown`` (where an unlock's time goes).
"""

from __future__ import annotations

from .credential import bench_credential_and_command
from .fleet import bench_many_locks, bench_many_locks_large
from .footprint import bench_edge_footprint
from .passwords import bench_password_check
from .path_floor import bench_path_floor
from .scale import FULL, QUICK, Scale
from .storm import bench_event_storm

__all__ = ["BENCHMARKS", "FULL", "QUICK", "Scale"]

BENCHMARKS = {
    "password_check": bench_password_check,
    "credential_to_ha": bench_credential_and_command,
    "path_floor": bench_path_floor,
    "event_storm": bench_event_storm,
    "edge_footprint": bench_edge_footprint,
    "many_locks": bench_many_locks,
    "many_locks_large": bench_many_locks_large,
}
