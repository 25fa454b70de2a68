"""Timing an unlock as Home Assistant sees it: state writes watched, credential samples, paired locks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
import time
from typing import Any

import aiohttp
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event

from benchmarks.edge import EdgeProcess
from benchmarks.hass import PairedLock, add_lock

from .press import Press


class StateWatch:
    """Timestamps of Home Assistant state writes for chosen entities.

    Each write's time is taken in the state-change callback itself, which Home
    Assistant runs inside the write: a coroutine waiting for the write resumes a loop
    turn or more later, after whatever else was ready (the rest of the messages read
    with it), and that time was the benchmark's, not the lock's or Home Assistant's.
    """

    def __init__(self, hass: HomeAssistant, entity_ids: set[str]) -> None:
        """Listen for state changes of ``entity_ids``."""
        self.changed: dict[str, asyncio.Event] = {
            e: asyncio.Event() for e in entity_ids
        }
        # Start from what Home Assistant shows: a lock already locked is not written
        # again when it is locked again (its changed_by names no one for a remote lock).
        self.states: dict[str, str] = {
            e: state.state for e in entity_ids if (state := hass.states.get(e))
        }
        # Each entity's writes since the last reset: (perf_counter_ns, state).
        self.writes: dict[str, list[tuple[int, str]]] = {e: [] for e in entity_ids}
        # The loop thread's CPU time at every write watched (by its time, never reset).
        self.cpu_at: dict[int, int] = {}

        @callback
        def _on_change(event: Event[EventStateChangedData]) -> None:
            written = time.perf_counter_ns()
            self.cpu_at[written] = time.thread_time_ns()
            entity_id = event.data["entity_id"]
            if (new_state := event.data["new_state"]) is not None:
                self.writes[entity_id].append((written, new_state.state))
                self.states[entity_id] = new_state.state
                self.changed[entity_id].set()

        # Dispatched by entity id: one watch per lock does not make every state
        # write of every lock call every watch (which grew with the square of the
        # number of locks, and was counted as Home Assistant's CPU per event).
        self.unsubscribe = async_track_state_change_event(
            hass, list(entity_ids), _on_change
        )

    def reset(self) -> None:
        """Forget what was seen."""
        for flag in self.changed.values():
            flag.clear()
        for writes in self.writes.values():
            writes.clear()

    async def until(
        self, entity_id: str, check: Callable[[str], bool], patience: float = 10
    ) -> int:
        """Wait until ``entity_id`` shows a state that passes ``check``.

        Returns when the first such state since the last reset was written
        (``perf_counter_ns``), or now if it showed one already and was not written.
        """
        async with asyncio.timeout(patience):
            while not check(self.states.get(entity_id, "")):
                self.changed[entity_id].clear()
                await self.changed[entity_id].wait()
        return next(
            (ns for ns, state in self.writes[entity_id] if check(state)),
            time.perf_counter_ns(),
        )


async def relock(
    hass: HomeAssistant, lock: PairedLock, watch: StateWatch, patience: float = 10
) -> None:
    """Lock again between samples, from Home Assistant (if it is not locked yet)."""
    current = hass.states.get(lock.lock_entity)
    if current is not None and current.state == "locked":
        return
    await hass.services.async_call(
        "lock", "lock", {"entity_id": lock.lock_entity}, blocking=True
    )
    await watch.until(lock.lock_entity, lambda state: state == "locked", patience)


@dataclass(frozen=True)
class Sample:
    """One credential sample on ``time.perf_counter_ns``: pressed, event seen, unlocked."""

    pressed: int
    event: int
    unlocked: int
    # What ``probe`` read right before the press and right after the sample was seen.
    probed: tuple[Any, Any] | None = None

    @property
    def seconds(self) -> float:
        """From the press to the entity unlocked."""
        return (self.unlocked - self.pressed) / 1e9


async def credential_sample(
    hass: HomeAssistant,
    lock: PairedLock,
    watch: StateWatch,
    press: Press,
    patience: float = 10,
    probe: Callable[[], Any] | None = None,
    *,
    alone: bool = True,
) -> Sample:
    """Present the enrolled finger; time until HA shows the access event and unlock.

    ``press``: lays the finger, once the lock is at rest (press.py) if it is sampled
    ``alone``; the fleet's locks, sampled all at once, are pressed as soon as their
    relock returned (waiting for Home Assistant at rest would wait for the others).
    ``patience``: seconds before giving up on each step (a fleet all active is slow). ``probe``: called right before the press (its clock not
    started yet) and once the sample is seen; both results go into the sample (the
    scheduler's statistics).
    """
    if alone:
        await press.settle(patience)
    watch.reset()
    watch.changed[lock.access_entity].clear()
    before = probe() if probe is not None else None
    pressed = press.finger()
    async with asyncio.timeout(patience):
        await watch.changed[lock.access_entity].wait()
    event = watch.writes[lock.access_entity][0][0]
    unlocked = await watch.until(
        lock.lock_entity, lambda state: state == "unlocked", patience
    )
    after = probe() if probe is not None else None
    # The sample ends when both are shown, whichever Home Assistant wrote last.
    probed = (before, after) if probe is not None else None
    sample = Sample(pressed, event, max(event, unlocked), probed)
    await press.answered()
    await relock(hass, lock, watch, patience)
    return sample


async def paired_locks(
    hass: HomeAssistant,
    tmp: Path,
    session: aiohttp.ClientSession,
    count: int,
    trace_to: Path | None = None,
) -> tuple[list[PairedLock], float]:
    """Start ``count`` prepared edge drivers and pair each; returns HA's setup time.

    ``trace_to``: the drivers and simulators note timestamps (benchmarks/trace.py) in
    files there.
    """
    edges = [
        EdgeProcess(
            tmp / f"edge{i}",
            session,
            trace_file=trace_to / f"edge{i}-trace.json" if trace_to else None,
            sim_trace_file=trace_to / f"sim{i}-trace.json" if trace_to else None,
        )
        for i in range(count)
    ]
    # Two cores: bring the drivers up a few at a time so none times out starting.
    gate = asyncio.Semaphore(4)

    async def bring_up(edge: EdgeProcess) -> None:
        async with gate:
            await edge.start()
            await edge.prepare()

    await asyncio.gather(*(bring_up(edge) for edge in edges))
    started = time.perf_counter()
    locks = [await add_lock(hass, edge) for edge in edges]
    await hass.async_block_till_done()
    return locks, time.perf_counter() - started
