"""How much work each benchmark does: the full run and ``--quick``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """How much work each benchmark does (``--quick`` shrinks everything)."""

    samples: int
    storm_events: int
    samples_per_lock: int
    password_checks: int
    fleets: tuple[int, ...]
    quick: bool = False


FULL = Scale(
    samples=500,
    storm_events=10_000,
    samples_per_lock=10,
    password_checks=200,
    fleets=(50, 200),
)
QUICK = Scale(
    samples=20,
    storm_events=300,
    samples_per_lock=3,
    password_checks=20,
    fleets=(3,),
    quick=True,
)
