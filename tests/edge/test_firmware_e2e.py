"""The lock end to end on both controllers: the firmware in this process and on MicroPython.

The simulator's MCU *is* the controller firmware (``firmware/lib/ezlock_mcu``). Each
test runs twice: with the firmware as Python modules in this process, and with the
same modules on MicroPython's Unix port (``micropython -m ezlock_mcu_sim.bridge``),
fed by the same physics. The real driver and core drive both through the pty, so the
two runs prove the firmware behaves the same under MicroPython (issue #16). Rules:
L-26 first admin, L-40 keypad unlock, L-44 lock by confirm and by the rear button,
L-45 countdown, L-01/L-67 bolt travel and jam, L-02 door, L-05/L-60 tamper, L-06/L-62
battery (its low warning's hysteresis and the camera with it), L-48 mute, L-49 doorbell, L-66 events kept while the driver is down and
delivered exactly once across a SIGKILL of the driver in the middle of an event storm
(windowed delivery, group commit).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
import shutil
import sys
import textwrap
from typing import Any

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.models import CameraReason
from ezlock_edge.framing.mcu import McuFrame, McuParser, MessageType
from ezlock_edge.framing.mcu_messages import (
    Hello,
    Unlock,
    decode_event,
    encode_event_ack,
    encode_request,
)
from ezlock_edge.protocol.mcu import EVENT_WINDOW
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.sim.mcu import Runtime
from ezlock_edge.vocabulary.mcu import BoltState, DoorDirection, McuEventKind
from tests.support.lock import ADMIN_PASSWORD
from tests.support.waiting import eventually

from .rig_support import Rig, running_lock
from .sim_support import RawLink

RUNTIMES: list[Runtime] = ["python", "micropython"]
needs_micropython = pytest.mark.skipif(
    shutil.which("micropython") is None, reason="MicroPython's Unix port not installed"
)


@pytest.fixture(
    params=[
        pytest.param("python"),
        pytest.param("micropython", marks=needs_micropython),
    ]
)
def runtime(request: pytest.FixtureRequest) -> Runtime:
    """Where the controller firmware runs."""
    value: Runtime = request.param
    return value


@asynccontextmanager
async def lock_on(
    runtime: Runtime, tmp_path: Path, clock: ManualClock, travel: float = 0
) -> AsyncIterator[SimulatedLock]:
    """Run a simulated lock whose controller runs on ``runtime``."""
    sim = SimulatedLock(
        clock=clock,
        motor_travel=travel,
        seed=7,
        state_dir=tmp_path / "sim",
        firmware=runtime,
    )
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@asynccontextmanager
async def rig_on(
    runtime: Runtime, tmp_path: Path, *, camera: bool = False
) -> AsyncIterator[Rig]:
    """Run the core and the real drivers on a lock whose controller runs on ``runtime``.

    ``camera``: the core drives the simulated lock's camera too.
    """
    clock = ManualClock()
    async with lock_on(runtime, tmp_path, clock) as sim:
        options: dict[str, Any] = {"camera": sim.camera} if camera else {}
        async with running_lock(tmp_path, clock=clock, sim=sim, **options) as rig:
            yield rig


async def test_first_admin_keypad_unlock_and_both_ways_to_lock(
    runtime: Runtime, tmp_path: Path
) -> None:
    """L-26, L-40, L-44: the first admin, an unlock by password, confirm, rear button."""
    async with rig_on(runtime, tmp_path) as rig:
        await rig.create_first_admin()
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("unlocked", method="password")
        await rig.heard("door_unlocked")
        assert await rig.bolt() == "unlocked"
        await rig.keys("confirm")
        await rig.event("locked", source="keypad")
        await rig.sim.mechanical_key("unlock")
        await rig.event("unlocked", method="mechanical_key")
        await rig.sim.lock_button()
        await rig.event("locked", source="lock_button")
        assert await rig.bolt() == "locked"


async def test_countdown_door_and_doorbell(runtime: Runtime, tmp_path: Path) -> None:
    """L-45 countdown (restarted by the door), L-02 door, L-49 doorbell."""
    async with rig_on(runtime, tmp_path) as rig:
        await rig.create_first_admin()
        await rig.core.update_settings(
            countdown_lock_enabled=True, countdown_lock_seconds=10
        )
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("bolt", state="unlocked")
        await rig.sim.door("open")
        await rig.event("door", state="open")
        await rig.sim.door("closed")
        await rig.event("door", state="closed")
        await rig.advance(10)
        await rig.event("locked", source="countdown")
        await rig.keys("doorbell")
        await rig.event("doorbell")
        await rig.heard("doorbell")


async def test_jam_tamper_and_battery(runtime: Runtime, tmp_path: Path) -> None:
    """L-67 jam, L-05/L-60 tamper and siren, L-06/L-62 low battery and its LED."""
    async with rig_on(runtime, tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.jam()
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("bolt", state="jammed")
        await rig.event("alarm", alarm="jammed")
        await rig.sim.tamper()
        await rig.event("alarm", alarm="tamper")
        await rig.shows("siren", True)
        await rig.heard("tamper_alarm")
        await rig.sim.battery(15)
        await rig.event("battery", percent=15, low=True)
        await rig.event("alarm", alarm="low_battery")
        await rig.shows("leds", {"low_battery": "blink"})


async def test_low_battery_hysteresis_and_the_camera(
    runtime: Runtime, tmp_path: Path
) -> None:
    """L-06, L-62: low below 20 %, cleared only at 25 %; the camera is off while low.

    The pack goes down and then up with a power bank in, so the controller keeps
    running (and remembers the warning) and sees each level at its next measurement.
    """
    async with rig_on(runtime, tmp_path, camera=True) as rig:
        await rig.sim.battery(21)  # a pack at 21 %: the controller starts again
        await eventually(lambda: rig.core.state.battery_percent == 21, "21 %")
        await rig.sim.emergency_power(True)
        await rig.event("power", source="emergency")
        for percent, low in (
            (20, False),  # 20 % is not below 20 %
            (19, True),  # below 20 %: the warning, and the camera off
            (20, True),  # back up: low until 25 %
            (21, True),
            (24, True),
            (25, False),  # the warning clears, the camera is back
        ):
            await rig.sim.battery(percent)
            await rig.sim.clock(advance=60)  # the controller's next measurement
            await rig.event("battery", percent=percent, low=low)
            state = rig.core.state
            assert (state.battery_percent, state.low_battery) == (percent, low)
            assert rig.core.camera.reason is (CameraReason.LOW_BATTERY if low else None)
        # One warning, one all-clear: no flapping on the way.
        alarms = [e.type for e in rig.events if e.data.get("alarm") == "low_battery"]
        assert alarms == ["alarm", "alarm_cleared"]


async def test_one_time_mute(runtime: Runtime, tmp_path: Path) -> None:
    """L-48: hold 0; the doorbell is silent; the next unlock from outside ends it."""
    async with rig_on(runtime, tmp_path) as rig:
        await rig.create_first_admin()
        await rig.keys(hold="0")
        await rig.event("mute", muted=True)
        await rig.shows("volume", 0)
        before = await rig.count("doorbell")
        await rig.keys("doorbell")
        await rig.event("doorbell")
        assert await rig.count("doorbell") == before
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("mute", muted=False)
        await rig.shows("volume", 2)


async def test_events_while_the_driver_is_down_arrive_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    """L-66: the controller keeps events while the driver is down; each arrives once."""
    clock = ManualClock()
    async with lock_on(runtime, tmp_path, clock) as sim:
        async with running_lock(tmp_path, clock=clock, sim=sim) as rig:
            await rig.create_first_admin()
        await sim.keypad(["doorbell"])  # nobody listening
        await sim.door("open")
        async with running_lock(tmp_path, clock=clock, sim=sim) as rig:
            await rig.event("doorbell")
            await rig.event("door", state="open")
            stored = [e.type for e in rig.core.events.query(limit=1000)]
            assert stored.count("doorbell") == 1
            assert stored.count("door") == 1


async def test_a_retransmitted_unlock_moves_the_motor_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    """The same REQUEST twice (its answer was lost): answered again, run once."""
    clock = ManualClock()
    async with lock_on(runtime, tmp_path, clock, travel=0.4) as sim:
        link = await RawLink.open(sim.ports["mcu"], McuParser())
        events: list[McuFrame] = []
        try:
            hello = McuFrame(MessageType.REQUEST, 1, encode_request(Hello()))
            await link.send(hello.encode())
            await _response(link, 1, events)
            unlock = McuFrame(
                MessageType.REQUEST, 2, encode_request(Unlock(DoorDirection.RIGHT))
            ).encode()
            await link.send(unlock)
            first = await _response(link, 2, events)
            await link.send(unlock)  # a retransmission: the answer was lost
            again = await _response(link, 2, events)
            assert first == again  # OK, not BUSY: the motor was not started twice
            clock.advance(0.4)
            bolts = await _bolts(link, events, 3)  # battery, unlocking, unlocked
            assert bolts == [BoltState.UNLOCKING, BoltState.UNLOCKED]
            assert (await sim.panel())["bolt"] == "unlocked"
        finally:
            link.close()


async def _response(
    link: RawLink[McuFrame], seq: int, events: list[McuFrame]
) -> McuFrame:
    """Return the RESPONSE to ``seq``; keep the EVENT frames that come meanwhile."""
    while True:
        frame = await link.frame()
        if frame.type is MessageType.EVENT:
            events.append(frame)
        elif frame.type is MessageType.RESPONSE and frame.seq == seq:
            return frame


async def _bolts(
    link: RawLink[McuFrame], events: list[McuFrame], count: int
) -> list[BoltState]:
    """Acknowledge events until ``count`` have been seen; return the BOLT states."""
    seen: list[int] = []
    bolts: list[BoltState] = []
    while len(seen) < count:
        frame = events.pop(0) if events else await link.frame()
        if frame.type is not MessageType.EVENT:
            continue
        event = decode_event(frame.payload)
        if event.seq in seen:
            continue
        seen.append(event.seq)
        if event.kind is McuEventKind.BOLT and event.bolt is not None:
            bolts.append(event.bolt)
        ack = McuFrame(MessageType.EVENT_ACK, frame.seq, encode_event_ack(event.seq))
        await link.send(ack.encode())
    return bolts


_DRIVER = textwrap.dedent(
    """
    import asyncio
    import sys
    from pathlib import Path
    from ezlock_edge.clock import SystemClock
    from ezlock_edge.core.lock import LockCore
    from ezlock_edge.devices.hardware import Hardware

    async def main(data: str, mcu: str, fingerprint: str, face: str, palm: str) -> None:
        hardware = await Hardware.open(
            mcu=mcu, fingerprint=fingerprint, face=face, palm=palm
        )
        core = LockCore(hardware, Path(data), SystemClock())
        core.events.subscribe(lambda event: print(event.type, flush=True))
        await core.start()
        print("ready", hardware.mcu.event_window, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main(*sys.argv[1:]))
    """
)
STORM = 400  # presses; fewer than the controller keeps (1024), so none is dropped
CHUNK = 20


async def test_sigkill_during_an_event_storm_loses_and_duplicates_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    """L-66: a driver killed mid-storm; its successor brings every press in, once.

    The driver runs in a process of its own, with a window of events in flight and
    batches committed together; SIGKILL comes between any commit and any ACK. The
    controller keeps what was not acknowledged, the restarted driver handles it and
    recognises what its predecessor had stored already: one doorbell event per press.
    """
    clock = ManualClock()
    async with lock_on(runtime, tmp_path, clock) as sim:
        ports = [
            str(sim.ports[link]) for link in ("mcu", "fingerprint", "face", "palm")
        ]
        driver = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _DRIVER,
            str(tmp_path / "data"),
            *ports,
            stdout=asyncio.subprocess.PIPE,
        )
        assert driver.stdout is not None
        ready = (await driver.stdout.readline()).split()
        assert ready == [b"ready", str(EVENT_WINDOW).encode()]  # all it asked for
        announced = 0

        async def count() -> None:
            nonlocal announced
            assert driver.stdout is not None
            async for line in driver.stdout:
                announced += line.strip() == b"doorbell"

        counting = asyncio.create_task(count())
        for _ in range(STORM // 2 // CHUNK):
            await sim.keypad(["doorbell"] * CHUNK)
        # Kill it while it works through the backlog: batches are being handled,
        # committed and acknowledged at that moment.
        await eventually(lambda: announced >= STORM // 8, "the driver at work")
        driver.kill()
        await driver.wait()
        await counting
        for _ in range(STORM // 2 // CHUNK):
            await sim.keypad(["doorbell"] * CHUNK)  # while no driver runs
        assert 0 < announced < STORM
        async with running_lock(tmp_path, clock=clock, sim=sim) as rig:

            def doorbells() -> int:
                stored = rig.core.events.query(limit=1000)
                return sum(event.type == "doorbell" for event in stored)

            async def acknowledged() -> bool:
                links = (await sim.panel())["links"]
                return (
                    doorbells() >= STORM and not links["mcu"]["unacknowledged_events"]
                )

            await eventually(acknowledged, "every press stored and acknowledged")
            assert doorbells() == STORM  # 0 lost, 0 duplicated
