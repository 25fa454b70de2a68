"""``event_storm``: doorbell presses as fast as they go through, to Home Assistant."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
import time
from typing import Any

import aiohttp
from homeassistant.core import callback

from benchmarks.hass import home_assistant
from benchmarks.stats import cpu_seconds, memory_kib

from .ha_timing import paired_locks
from .scale import Scale

# The simulated MCU keeps at most 1024 unacknowledged events (like real firmware, it
# drops the oldest beyond that), so presses are fed no faster than they are delivered.
STORM_CHUNK = 100
STORM_IN_FLIGHT = 500


async def bench_event_storm(tmp: Path, scale: Scale) -> dict[str, Any]:
    """``event_storm``: doorbell presses as fast as they go through.

    Every press is one MCU event, one ``doorbell`` event persisted in the edge's log,
    one WebSocket message and one event fired in Home Assistant.
    """
    async with (
        aiohttp.ClientSession() as session,
        home_assistant(tmp / "ha") as hass,
    ):
        (lock,), _ = await paired_locks(hass, tmp, session, 1)
        edge = lock.edge
        seen: Counter[int] = Counter()
        progress = asyncio.Event()
        last_delivery = time.perf_counter()

        @callback
        def _on_event(event: Any) -> None:
            nonlocal last_delivery
            if event.type == "doorbell":
                seen[event.seq] += 1
                last_delivery = time.perf_counter()
                progress.set()

        async def delivered_at_least(count: int) -> bool:
            """Wait until ``count`` distinct events arrived; False after 30 s idle."""
            while len(seen) < count:
                progress.clear()
                try:
                    async with asyncio.timeout(30):
                        await progress.wait()
                except TimeoutError:
                    return False
            return True

        remove = lock.entry.runtime_data.async_add_event_listener(_on_event)
        edge_cpu, own_cpu = cpu_seconds(edge.pid), cpu_seconds()
        started = time.perf_counter()
        pressed = 0
        while pressed < scale.storm_events:
            if not await delivered_at_least(pressed - STORM_IN_FLIGHT + STORM_CHUNK):
                break
            presses = min(STORM_CHUNK, scale.storm_events - pressed)
            await edge.sim("keypad", keys=["doorbell"] * presses)
            pressed += presses
        await delivered_at_least(scale.storm_events)
        elapsed = last_delivery - started
        edge_cpu = cpu_seconds(edge.pid) - edge_cpu
        own_cpu = cpu_seconds() - own_cpu
        remove()
        after = edge.memory()
        await edge.stop()
    delivered = len(seen)
    return {
        "event_storm": {
            "events": scale.storm_events,
            "delivered": delivered,
            "lost": scale.storm_events - delivered,
            "duplicated": sum(seen.values()) - delivered,
            "events_per_s": round(delivered / elapsed, 1),
            "seconds": round(elapsed, 2),
            # CPU time per event: steadier than wall time on a shared machine. The
            # edge process includes the simulated lock (firmware, modules, camera).
            "edge_cpu_us_per_event": round(edge_cpu / delivered * 1e6, 1),
            "home_assistant_cpu_us_per_event": round(own_cpu / delivered * 1e6, 1),
            "edge_rss_kib_after": after["rss_kib"],
            "edge_peak_rss_kib": after["peak_rss_kib"],
            "home_assistant_peak_rss_kib": memory_kib()["peak_rss_kib"],
        },
    }
