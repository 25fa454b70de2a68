"""Settling: when the simulated lock's links are quiet enough for its clock to move."""

from __future__ import annotations

import itertools
from pathlib import Path
import random

import pytest

from ezlock_edge.sim.lock.settling import Settling
from ezlock_edge.sim.noise import LineNoise
from ezlock_edge.sim.port import VirtualPort
from tests.support.waiting import settled


async def test_a_lock_that_never_stops_moving_is_given_up_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A move of the clock (or a /sim/v1 request) waits at most ``cap``, not forever.

    The MCU's unacknowledged events change at every look here (a controller queuing
    event after event that nobody acknowledges). A peer chattering through a pty
    showed it only by luck: a loaded kernel holds its bytes back long enough for the
    link to look quiet, and the settling then rightly ends before its cap.
    """
    port = VirtualPort(tmp_path / "mcu", LineNoise(random.Random(1)))
    port.plug()
    looks = itertools.count(1)
    settling = Settling({"mcu": port}, lambda: next(looks), cap=0.2)
    try:
        await settled(settling.quiet(), "settling beside a lock that never stops")
        assert "did not settle" in caplog.text
    finally:
        port.unplug()
