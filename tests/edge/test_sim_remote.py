"""The simulated lock reached over ``/sim/v1``, as the demo and the benchmarks drive it."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.models import Role
from ezlock_edge.sim.errors import SimulationError
from ezlock_edge.sim.http import start_http
from ezlock_edge.sim.remote import RemoteSimulatedLock
from tests.support.lock import sim_of

from .api_support import running_edge

PASSWORD = "258036"  # the demo's (L-25: not sequential, not repeated)


async def test_first_admin_at_the_keypad_of_a_lock_in_another_process(
    tmp_path: Path, clock: ManualClock
) -> None:
    """L-26: touch, confirm, the password twice, each after the lock asked for it."""
    async with running_edge(tmp_path, clock) as edge:
        server = await start_http(sim_of(edge), "127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as session:
                lock = RemoteSimulatedLock(session, f"http://127.0.0.1:{server.port}")
                await lock.create_first_admin(PASSWORD)
                assert (await lock.look("label"))["serial"] == edge.core.info.serial
                await lock.act("keypad", keys=[*PASSWORD, "confirm"])
                await lock.hear("door_unlocked")  # the admin's password opens
                with pytest.raises(SimulationError, match="refused keypad"):
                    await lock.act("keypad", keys=["no such key"])
        finally:
            await server.close()
        users = await edge.core.list_users()
        assert [(u.number, u.role) for u in users] == [(1, Role.ADMIN)]
