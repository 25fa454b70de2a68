"""A running lock for the rule tests: the simulator on ptys, the real drivers, the core.

Tests act only through the simulator's control surface (keys, fingers, the door) and
look at what a person or a client would notice: events, voice prompts, the bolt.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.events import Event
from ezlock_edge.core.lock import LockCore
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.sim.mcu import MCU_OPTIONS
from ezlock_edge.vocabulary.mcu import McuOption
from tests.support.lock import ADMIN_PASSWORD, create_first_admin, prompts, said
from tests.support.waiting import eventually

from .sim_support import driven


@dataclass
class Rig:
    """The simulated lock, the core driving it, and what the core announced."""

    sim: SimulatedLock
    core: LockCore
    clock: ManualClock
    events: list[Event] = field(default_factory=list)

    async def event(
        self,
        kind: str,
        where: Callable[[Event], bool] = lambda _: True,
        **fields: Any,
    ) -> Event:
        """Wait for an announced event of ``kind`` with ``fields`` that passes ``where``."""

        def found() -> Event | None:
            return next(
                (
                    e
                    for e in self.events
                    if e.type == kind
                    and all(e.data.get(k) == v for k, v in fields.items())
                    and where(e)
                ),
                None,
            )

        await eventually(lambda: found() is not None, f"event {kind} {fields}")
        event = found()
        assert event is not None
        return event

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` of the lock's time pass, as they would.

        Every timer due meanwhile fires in order, each after the effects of the one
        before crossed the links (``SimulatedLock.clock``).
        """
        await self.sim.clock(advance=seconds)

    def types(self) -> list[str]:
        """Return the announced event types, oldest first."""
        return [e.type for e in self.events]

    async def prompts(self) -> list[str]:
        """Return the voice prompts spoken so far."""
        return await prompts(self.sim)

    async def count(self, prompt: str) -> int:
        """Return how often the lock has said ``prompt``."""
        return await said(self.sim, prompt)

    async def heard(self, prompt: str, times: int = 1) -> None:
        """Wait until the lock has said ``prompt`` (at least ``times`` times)."""

        async def said() -> bool:
            return await self.count(prompt) >= times

        await eventually(said, f"prompt {prompt} x{times}")

    async def led(self, name: str) -> str | None:
        """Return how a keypad LED is lit (``on``, ``blink``) or None when dark."""
        leds: dict[str, str] = (await self.sim.panel())["leds"]
        return leds.get(name)

    async def enroll_from_app(
        self, number: int, kind: str, identity: str
    ) -> dict[str, Any]:
        """Enroll a face or palm from the app while the person stands at the lock."""
        enrollment = await self.core.start_enrollment(number, kind)
        present = self.sim.face if kind == "face" else self.sim.palm
        for step in range(1, enrollment.steps + 1):
            await present(identity)

            def reached(event: Event, step: int = step) -> bool:
                return bool(
                    event.data["step"] >= step
                    and event.data["enrollment_id"] == enrollment.id
                )

            await self.event("enrollment", reached)
        done = await self.event(
            "enrollment", status="completed", enrollment_id=enrollment.id
        )
        return dict(done.data)

    async def shows(self, field: str, value: Any) -> None:
        """Wait until the lock's panel shows ``field`` == ``value``."""

        async def showing() -> bool:
            return bool((await self.sim.panel())[field] == value)

        await eventually(showing, f"panel {field} = {value!r}")

    async def bolt(self) -> str:
        """Return the bolt as the simulated hardware has it."""
        return str((await self.sim.panel())["bolt"])

    async def keys(self, *keys: str, hold: str | None = None) -> None:
        """Touch the keypad and press ``keys``."""
        await self.sim.keypad(list(keys), hold)

    async def type_password(self, digits: str) -> None:
        """Type digits and confirm."""
        await self.keys(*digits, "confirm")

    async def create_first_admin(self, password: str = ADMIN_PASSWORD) -> None:
        """L-26: the first admin, by password, on the keypad of a fresh lock."""
        await create_first_admin(self.sim, password)

    async def enter_menu(self, password: str = ADMIN_PASSWORD) -> None:
        """L-20: SET short press, then an admin's password."""
        menus = await self.count("menu")
        await self.sim.set_button("short")
        await self.heard("verify_admin")
        await self.type_password(password)
        await self.heard("menu", menus + 1)

    async def present_finger(self, finger: str, captures: int = 4) -> None:
        """Lay ``finger`` on the reader once per capture the lock asks for."""
        successes = await self.count("success")
        for _ in range(captures):
            again = await self.count("present_finger_again")
            refused = await self.count("already_enrolled")
            await self.sim.finger(finger)

            async def answered(again: int = again, refused: int = refused) -> bool:
                return (
                    await self.count("present_finger_again") > again
                    or await self.count("already_enrolled") > refused
                    or await self.count("success") > successes
                )

            await eventually(answered, "the reader took the finger")
            if await self.count("already_enrolled") > refused:
                return


@asynccontextmanager
async def simulated_lock(
    tmp_path: Path,
    clock: ManualClock,
    motor_travel: float = 0,
    mcu_options: McuOption = MCU_OPTIONS,
) -> AsyncIterator[SimulatedLock]:
    """Run the simulated hardware for one or more cores.

    The bolt moves at once unless ``motor_travel`` (seconds of the lock's time) says;
    ``mcu_options``: what its controller grants in HELLO.
    """
    sim = SimulatedLock(
        clock=clock,
        motor_travel=motor_travel,
        seed=7,
        state_dir=tmp_path / "sim",
        mcu_options=mcu_options,
    )
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@asynccontextmanager
async def running_lock(
    tmp_path: Path,
    *,
    clock: ManualClock | None = None,
    sim: SimulatedLock | None = None,
    **core_options: Any,
) -> AsyncIterator[Rig]:
    """Start a simulated lock (unless given one) and a core driving it."""
    clock = clock or ManualClock()
    if sim is None:
        async with (
            simulated_lock(tmp_path, clock) as own,
            running_lock(tmp_path, clock=clock, sim=own, **core_options) as rig,
        ):
            yield rig
        return
    async with driven(sim, clock) as hardware:
        options: dict[str, Any] = {"enroll_timeout": 3.0, "verify_timeout": 0.5}
        options.update(core_options)
        core = LockCore(hardware, tmp_path / "data", clock, **options)
        rig = Rig(sim, core, clock)
        core.events.subscribe(rig.events.append)
        await core.start()
        try:
            yield rig
        finally:
            await core.stop()
