"""``credential_to_ha`` and ``ha_command``: a finger to Home Assistant, and Home Assistant's unlock, on one lock."""

from __future__ import annotations

from pathlib import Path
import time
from typing import Any

import aiohttp

from benchmarks import trace
from benchmarks.hass import home_assistant
from benchmarks.stats import latency, ratio

from .breakdown import breakdown
from .floors import floor_ms
from .ha_timing import StateWatch, credential_sample, paired_locks, relock
from .scale import Scale


async def bench_credential_and_command(tmp: Path, scale: Scale) -> dict[str, Any]:
    """``credential_to_ha`` and ``ha_command`` on one lock."""
    floor = await floor_ms(scale.samples)
    async with (
        aiohttp.ClientSession() as session,
        home_assistant(tmp / "ha") as hass,
    ):
        (lock,), _ = await paired_locks(hass, tmp, session, 1, trace_to=tmp)
        watch = StateWatch(hass, {lock.lock_entity, lock.access_entity})
        try:
            await relock(hass, lock, watch)
            samples = [
                await credential_sample(hass, lock, watch) for _ in range(scale.samples)
            ]
            credential = [sample.seconds for sample in samples]
            command = []
            for _ in range(scale.samples):
                started = time.perf_counter()
                await hass.services.async_call(
                    "lock", "unlock", {"entity_id": lock.lock_entity}, blocking=True
                )
                await watch.until(lock.lock_entity, lambda state: state == "unlocked")
                command.append(time.perf_counter() - started)
                await relock(hass, lock, watch)
        finally:
            watch.unsubscribe()
            await lock.edge.stop()
    assert lock.edge.trace_file is not None
    where = breakdown(samples, trace.load(lock.edge.trace_file))
    credential_summary = latency(credential)
    command_summary = latency(command)
    return {
        "credential_to_ha": {
            **credential_summary,
            "floor_ms": round(floor, 3),
            "p50_over_floor": ratio(credential_summary["p50_ms"], floor),
            "p99_over_floor": ratio(credential_summary["p99_ms"], floor),
            "breakdown": where,
        },
        "ha_command": {
            **command_summary,
            "floor_ms": round(floor, 3),
            "p50_over_floor": ratio(command_summary["p50_ms"], floor),
        },
    }
