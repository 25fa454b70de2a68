"""Settling: when the simulated lock's links are quiet enough for its clock to move."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
import random

import pytest

from ezlock_edge.sim.lock.settling import Settling
from ezlock_edge.sim.noise import LineNoise
from ezlock_edge.sim.port import VirtualPort
from tests.support.waiting import settled


async def _chatter(path: Path) -> None:
    """Talk on ``path`` and never stop: a byte every turn of the loop.

    Every turn, not every millisecond: a loaded machine that does not run this process
    for a while must not make the peer look quiet for a while.
    """
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        while True:
            with contextlib.suppress(BlockingIOError):
                os.write(fd, b"\x55")
            await asyncio.sleep(0)
    finally:
        os.close(fd)


async def test_a_link_that_never_stops_moving_is_given_up_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A move of the clock (or a /sim/v1 request) waits at most ``cap``, not forever."""
    port = VirtualPort(tmp_path / "fingerprint", LineNoise(random.Random(1)))
    port.plug()
    settling = Settling({"fingerprint": port}, lambda: 0, cap=0.2)
    chatter = asyncio.create_task(_chatter(port.path))
    try:
        await settled(settling.quiet(), "settling beside a peer that never stops")
        assert port.received > 0  # the link was moving all along
        assert "did not settle" in caplog.text
    finally:
        chatter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await chatter
        port.unplug()
