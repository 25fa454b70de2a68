"""``credential_to_ha`` and ``ha_command``: a finger to Home Assistant, and Home Assistant's unlock, on one lock."""

from __future__ import annotations

from pathlib import Path
import time
from typing import Any

import aiohttp

from benchmarks import probes, trace
from benchmarks.edge import EdgeProcess
from benchmarks.hass import home_assistant
from benchmarks.stats import cpu_seconds, latency, ratio

from .breakdown import breakdown, presented
from .floors import floor_ms, floor_parts
from .ha_timing import StateWatch, credential_sample, paired_locks, relock
from .press import Press
from .scale import Scale
from .tail import tail_profile


async def bench_credential_and_command(tmp: Path, scale: Scale) -> dict[str, Any]:
    """``credential_to_ha`` and ``ha_command`` on one lock."""
    floor = await floor_ms(scale.samples)
    parts = await floor_parts(scale.samples)
    async with (
        aiohttp.ClientSession() as session,
        home_assistant(tmp / "ha") as hass,
    ):
        (lock,), _ = await paired_locks(hass, tmp, session, 1, trace_to=tmp)
        watch = StateWatch(hass, {lock.lock_entity, lock.access_entity})
        press = Press(hass, lock)
        here = probes.install()  # Home Assistant's process (with the benchmark)
        assert lock.edge.simulator is not None
        stats = probes.SchedStats(
            {
                "driver": lock.edge.pid,
                "simulator": lock.edge.simulator.pid,
                "home_assistant": "self",
            }
        )
        try:
            await press.open()
            await relock(hass, lock, watch)
            cpu_before = _cpu(lock.edge)
            samples = [
                await credential_sample(hass, lock, watch, press, probe=stats.read)
                for _ in range(scale.samples)
            ]
            cpu = {
                name: round((after - cpu_before[name]) * 1000 / len(samples), 3)
                for name, after in _cpu(lock.edge).items()
            }
            credential = [sample.seconds for sample in samples]
            command = []
            for _ in range(scale.samples):
                # As for a finger: the call begins with the lock at rest, not while
                # Home Assistant still handles the relock's last messages.
                await press.settle()
                watch.reset()
                started = time.perf_counter_ns()
                await hass.services.async_call(
                    "lock", "unlock", {"entity_id": lock.lock_entity}, blocking=True
                )
                unlocked = await watch.until(
                    lock.lock_entity, lambda state: state == "unlocked"
                )
                command.append((unlocked - started) / 1e9)
                await relock(hass, lock, watch)
        finally:
            stats.close()
            press.close()
            watch.unsubscribe()
            await lock.edge.stop()
    assert lock.edge.trace_file is not None and lock.edge.sim_trace_file is not None
    simulator = trace.load(lock.edge.sim_trace_file)
    marks = sorted(trace.load(lock.edge.trace_file) + simulator, key=lambda m: m[1])
    noted = {
        "driver": trace.load_probes(lock.edge.trace_file),
        "simulator": trace.load_probes(lock.edge.sim_trace_file),
        "home_assistant": here,
    }
    credential_summary = latency(credential)
    command_summary = latency(command)
    return {
        "credential_to_ha": {
            "measured": "the benchmark's press request -> Home Assistant event",
            **credential_summary,
            "floor_ms": round(floor, 3),
            "floor_parts": parts,
            "p50_over_floor": ratio(credential_summary["p50_ms"], floor),
            "p99_over_floor": ratio(credential_summary["p99_ms"], floor),
            # CPU time per sample (the unlock, the relock, the wait at rest with its
            # panel and GET /state): each process's own work, steadier than wall
            # time on a shared machine.
            "cpu_ms_per_sample": cpu,
            "presented_at_sensor": _over_floor(
                "credential presented at the sensor -> Home Assistant event",
                presented(samples, simulator),
                floor,
            ),
            "breakdown": breakdown(samples, marks),
            "tail": tail_profile(
                samples,
                marks,
                noted,
                {
                    "driver": trace.load_cpu(lock.edge.trace_file),
                    "simulator": trace.load_cpu(lock.edge.sim_trace_file),
                    "home_assistant": watch.cpu_at,
                },
            ),
        },
        "ha_command": {
            **command_summary,
            "floor_ms": round(floor, 3),
            "p50_over_floor": ratio(command_summary["p50_ms"], floor),
        },
    }


def _over_floor(measured: str, seconds: list[float], floor: float) -> dict[str, Any]:
    """Summarise ``seconds`` with ratios of its p50 and p99 to the floor."""
    if len(seconds) < 2:
        return {"measured": measured, "n": len(seconds)}
    summary = latency(seconds)
    return {
        "measured": measured,
        **summary,
        "p50_over_floor": ratio(summary["p50_ms"], floor),
        "p99_over_floor": ratio(summary["p99_ms"], floor),
    }


def _cpu(edge: EdgeProcess) -> dict[str, float]:
    """CPU seconds so far of the driver, the simulator and this process (Home Assistant).

    This process also runs the benchmark's own code (the press, the waits).
    """
    assert edge.simulator is not None
    return {
        "driver": cpu_seconds(edge.pid),
        "simulator": cpu_seconds(edge.simulator.pid),
        "home_assistant_and_benchmark": cpu_seconds(),
    }
