"""Issue #18: a remote unlock is answered once it is committed, not after its prompt.

The door-unlocked prompt is an MCU request of its own (PLAY_PROMPT) after the unlock.
The API's answer used to wait for the MCU's answer to it; Home Assistant's
``lock.unlock`` returns only with that answer. The prompt is still spoken, in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import logging
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.framing.mcu import McuFrame, McuParser, MessageType
from ezlock_edge.framing.mcu_requests import Command
from ezlock_edge.sim.lock import SimulatedLock
from tests.support.lock import create_first_admin
from tests.support.waiting import WAIT, eventually

from .api_support import client_for, pair, running_edge


@pytest.fixture
async def sim(tmp_path: Path, clock: ManualClock) -> AsyncIterator[SimulatedLock]:
    lock = SimulatedLock(clock=clock, state_dir=tmp_path / "sim")
    await lock.start()
    yield lock
    await lock.stop()


class PromptHold:
    """Holds the driver's PLAY_PROMPT requests on their way to the simulated MCU.

    Every other frame reaches the MCU as it was sent; the held ones when released.
    """

    def __init__(self, sim: SimulatedLock) -> None:
        """Step in between the MCU's pty and the simulated MCU."""
        self._port = sim._ports["mcu"]  # the wire, for the test
        self._deliver = self._port.on_receive
        assert self._deliver is not None
        self._parser = McuParser()
        self.held: list[McuFrame] = []
        self._port.on_receive = self._receive

    def _receive(self, data: bytes) -> None:
        assert self._deliver is not None
        for frame in self._parser.feed(data):
            if frame.type is MessageType.REQUEST and frame.payload[:1] == bytes(
                (Command.PLAY_PROMPT,)
            ):
                self.held.append(frame)
            else:
                self._deliver(frame.encode())

    def release(self) -> None:
        """Let the held requests through, and every later one."""
        assert self._deliver is not None
        self._port.on_receive = self._deliver
        for frame in self.held:
            self._deliver(frame.encode())


async def test_a_remote_unlock_is_answered_before_its_prompt_is_played(
    tmp_path: Path,
    clock: ManualClock,
    sim: SimulatedLock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with (
        running_edge(tmp_path / "edge", clock, sim=sim) as edge,
        client_for(edge) as api,
    ):
        await create_first_admin(sim)
        await pair(api)
        await api.call("PATCH", "/settings", {"remote_unlock_enabled": True})
        await sim.quiet()  # the first admin's dialogue has said all it had to say
        hold = PromptHold(sim)
        caplog.set_level(logging.INFO)
        reply = await api.call("POST", "/unlock")
        assert reply.status == 202
        assert [e.type for e in edge.core.events.query(0, 1000)][-1] == "unlocked"
        await eventually(lambda: bool(hold.held), "the prompt asked for")
        assert {frame.payload[0] for frame in hold.held} == {Command.PLAY_PROMPT}
        # Answered before anything became of the prompt, which no MCU has answered:
        # before, the answer came only after its tries had failed (logged first).
        log = [record.getMessage() for record in caplog.records]
        answered = log.index("POST /api/v1/unlock -> 202")
        failed = [i for i, line in enumerate(log) if "Lock operation failed" in line]
        assert all(i > answered for i in failed), log
        hold.release()

        async def spoken() -> bool:
            prompts = (await sim.panel())["prompts"]
            return bool(prompts) and prompts[-1]["prompt"] == "door_unlocked"

        await eventually(spoken, "the door-unlocked prompt", within=WAIT)
