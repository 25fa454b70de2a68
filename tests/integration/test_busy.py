"""Issue #11.6: a lock or unlock while the bolt moves waits for it and is retried once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from homeassistant.const import ATTR_ENTITY_ID, SERVICE_LOCK, SERVICE_UNLOCK
from homeassistant.core import HomeAssistant
import pytest

from tests.support.waiting import eventually

from .common import SERIAL, current, entity_id, paired_entry, setup_entry

if TYPE_CHECKING:
    from ezlock_edge.app import EdgeApp
    from ezlock_edge.sim.lock import SimulatedLock

TRAVEL = 0.5  # real seconds: long enough that the second command meets a moving bolt


@pytest.fixture
async def sim(socket_enabled: None, tmp_path: Path) -> AsyncIterator[SimulatedLock]:
    """Run a lock whose bolt takes half a second to travel."""
    from ezlock_edge.sim.lock import SimulatedLock

    lock = SimulatedLock(
        serial=SERIAL, seed=1, motor_travel=TRAVEL, state_dir=tmp_path / "sim"
    )
    await lock.start()
    yield lock
    await lock.stop()


async def test_lock_right_after_unlock_waits_for_the_bolt(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """The edge driver answers ``409 busy``; the entity waits for the bolt, retries."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    lock = entity_id(hass, "lock", "lock")
    await edge.core.update_settings(remote_unlock_enabled=True)
    await hass.services.async_call(
        "lock", SERVICE_UNLOCK, {ATTR_ENTITY_ID: lock}, blocking=True
    )
    assert edge.core.state.as_dict()["bolt"] in {"locked", "unlocking"}  # on its way
    await hass.services.async_call(
        "lock", SERVICE_LOCK, {ATTR_ENTITY_ID: lock}, blocking=True
    )
    await eventually(lambda: current(hass, lock).state == "locked", "locked again")
    methods = [
        (event.type, event.data.get("method") or event.data.get("source"))
        for event in edge.core.events.query(0, 1000)
        if event.type in {"unlocked", "locked"}
    ]
    assert methods[-2:] == [("unlocked", "remote"), ("locked", "remote")]
