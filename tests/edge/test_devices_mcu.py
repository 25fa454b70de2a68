"""McuDevice against the simulated MCU over its pty: every command and every event.

Covers L-01 (bolt), L-02 (door), L-03 (keypad), L-04 (SET / lock button), L-05
(tamper), L-06 (battery), L-07 (mechanical key), L-08 (emergency power), L-12 (radios),
L-46 (door direction), L-48 (mute), L-60 (siren), L-64 (hello identity), L-67 (jam).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import logging
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.devices.hardware import Hardware
from ezlock_edge.devices.mcu import McuDevice
from ezlock_edge.framing.mcu import McuFrame, McuParser, MessageType
from ezlock_edge.framing.mcu_messages import (
    Command,
    Hello,
    HelloReply,
    McuResponse,
    ResponseStatus,
    decode_event_ack,
    decode_request,
    encode_event,
)
from ezlock_edge.protocol.mcu import EVENT_WINDOW
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.vocabulary.errors import DeviceRejected
from ezlock_edge.vocabulary.mcu import (
    BoltState,
    DoorDirection,
    DoorState,
    Key,
    Led,
    LedMode,
    McuEvent,
    McuEventKind,
    McuInfo,
    McuOption,
    PowerSource,
    Prompt,
    Sensor,
    SetPress,
)
from tests.support.waiting import eventually, settled

from .peer_support import PeerFactory
from .sim_support import open_hardware


class Events:
    """Collects what the event handler receives."""

    def __init__(self, mcu: McuDevice) -> None:
        """Become ``mcu``'s event handler."""
        self.queue: asyncio.Queue[McuEvent] = asyncio.Queue()
        mcu.set_event_handler(self._handle)

    async def _handle(self, event: McuEvent) -> None:
        self.queue.put_nowait(event)

    async def next(self, kind: McuEventKind) -> McuEvent:
        """Return the next event of ``kind``, skipping others."""
        while (event := await self.next_any()).kind is not kind:
            pass
        return event

    async def next_any(self) -> McuEvent:
        """Return the next event, whatever its kind."""
        return await settled(self.queue.get(), "an MCU event")


@pytest.fixture
async def events(hardware: Hardware) -> Events:
    """Collect the MCU's events from the moment the test starts."""
    return Events(hardware.mcu)


async def test_hello_identity_matches_the_label(
    sim_lock: SimulatedLock, hardware: Hardware, caplog: pytest.LogCaptureFixture
) -> None:
    """The hello exchange gives serial, model, firmware, verification code (L-64)."""
    label = await sim_lock.label()
    info = hardware.mcu.info
    assert (info.serial, info.model) == (label["serial"], label["model"])
    assert info.verification_code == label["verification_code"]
    assert {"face", "palm", "fingerprint"} <= info.capabilities
    assert hardware.connected == dict.fromkeys(
        ("mcu", "fingerprint", "face", "palm"), True
    )
    assert all(label["verification_code"] not in r.getMessage() for r in caplog.records)


async def test_unlock_and_lock_report_bolt_travel(
    sim_lock: SimulatedLock, hardware: Hardware, events: Events
) -> None:
    """UNLOCK turns the motor for the door's side; BOLT events follow (L-01, L-46)."""
    await hardware.mcu.unlock(DoorDirection.RIGHT)  # the simulated door is right-hand
    assert (await events.next(McuEventKind.BOLT)).bolt is BoltState.UNLOCKING
    await sim_lock.clock(advance=0.05)  # the motor's travel
    assert (await events.next(McuEventKind.BOLT)).bolt is BoltState.UNLOCKED
    assert (await sim_lock.panel())["last_motor_direction"] == "right"
    assert (await hardware.mcu.status()).bolt is BoltState.UNLOCKED
    await hardware.mcu.lock()
    assert (await events.next(McuEventKind.BOLT)).bolt is BoltState.LOCKING
    await sim_lock.clock(advance=0.05)
    assert (await events.next(McuEventKind.BOLT)).bolt is BoltState.LOCKED


async def test_jammed_bolt(
    sim_lock: SimulatedLock, hardware: Hardware, events: Events
) -> None:
    """A jammed motor ends in BOLT JAMMED, also in the status (L-67)."""
    await sim_lock.jam()
    await hardware.mcu.unlock(DoorDirection.RIGHT)
    assert (await events.next(McuEventKind.BOLT)).bolt is BoltState.UNLOCKING
    await sim_lock.clock(advance=0.5)  # the firmware's travel timeout (L-67)
    assert (await events.next(McuEventKind.BOLT)).bolt is BoltState.JAMMED
    assert (await hardware.mcu.status()).bolt is BoltState.JAMMED


async def test_status_follows_the_lock(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """Door, battery, power source, tamper, Wi-Fi, direction (L-02, L-05, L-06, L-08, L-12)."""
    await sim_lock.door("open")
    await sim_lock.battery(15)
    await sim_lock.emergency_power(True)
    await sim_lock.tamper()
    await hardware.mcu.set_wifi(False)
    await hardware.mcu.set_door_direction(DoorDirection.LEFT)
    status = await hardware.mcu.status()
    assert status.door is DoorState.OPEN
    assert (status.battery_percent, status.low_battery) == (15, True)
    assert status.power_source is PowerSource.EMERGENCY
    assert status.tamper
    assert not status.wifi_enabled
    assert status.door_direction is DoorDirection.LEFT


async def test_keypad_voice_and_siren(
    sim_lock: SimulatedLock, hardware: Hardware
) -> None:
    """LEDs, prompts, mute (L-48) and the siren (L-60) as a person sees and hears them."""
    mcu = hardware.mcu
    await mcu.set_leds([Key.DIGIT_0, Led.LOW_BATTERY], LedMode.BLINK)
    await mcu.set_leds([Key.CONFIRM], LedMode.ON)
    await mcu.play(Prompt.DOOR_LOCKED)
    await mcu.siren(True, 5)
    panel = await sim_lock.panel()
    assert panel["leds"] == {"0": "blink", "low_battery": "blink", "confirm": "on"}
    assert [p["prompt"] for p in panel["prompts"]] == ["door_locked"]
    assert panel["siren"]
    await mcu.set_volume(0)
    await mcu.play(Prompt.SUCCESS)
    await mcu.clear_leds()
    await mcu.siren(False)
    panel = await sim_lock.panel()
    assert panel["leds"] == {}
    assert [p["prompt"] for p in panel["prompts"]] == ["door_locked"]
    assert not panel["siren"]
    with pytest.raises(ValueError, match="volume"):
        await mcu.set_volume(4)


async def test_every_person_action_arrives_as_an_event(
    sim_lock: SimulatedLock, hardware: Hardware, events: Events
) -> None:
    """Keys, wake, SET, lock button, door, tamper, battery, key, power, Bluetooth, sensors."""
    await sim_lock.keypad(["1", "confirm"], hold="0")
    assert (
        await events.next(McuEventKind.KEYPAD_WAKE)
    ).kind is McuEventKind.KEYPAD_WAKE
    assert (await events.next(McuEventKind.KEY)).key is Key.DIGIT_1
    assert (await events.next(McuEventKind.KEY)).key is Key.CONFIRM
    held = await events.next(McuEventKind.KEY)
    assert (held.key, held.long_press) == (Key.DIGIT_0, True)
    await sim_lock.set_button("long")
    assert (await events.next(McuEventKind.SET_BUTTON)).set_press is SetPress.LONG
    await sim_lock.lock_button()
    await events.next(McuEventKind.LOCK_BUTTON)
    await sim_lock.door("open")
    assert (await events.next(McuEventKind.DOOR)).door is DoorState.OPEN
    await sim_lock.tamper()
    await events.next(McuEventKind.TAMPER)
    await sim_lock.battery(12)
    battery = await events.next(McuEventKind.BATTERY)
    assert (battery.battery_percent, battery.low_battery) == (12, True)
    await sim_lock.mechanical_key()
    await events.next(McuEventKind.MECHANICAL_KEY)
    await sim_lock.emergency_power(True)
    assert (await events.next(McuEventKind.EMERGENCY_POWER)).connected
    await sim_lock.bluetooth("visitor-7")
    assert (await events.next(McuEventKind.BLUETOOTH_KEY)).bluetooth_key == "visitor-7"
    for present, sensor in (
        (sim_lock.finger("a"), Sensor.FINGERPRINT),
        (sim_lock.face("a"), Sensor.FACE),
        (sim_lock.palm("a"), Sensor.PALM),
    ):
        await present
        assert (await events.next(McuEventKind.SENSOR_WAKE)).sensor is sensor


async def test_keypad_goes_to_sleep(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The keypad reports KEYPAD_SLEEP after ~20 s idle (L-03)."""
    clock = ManualClock()
    lock = SimulatedLock(clock=clock, seed=3)
    await lock.start()
    try:
        mcu = await McuDevice.open(str(lock.ports["mcu"]))
        try:
            events = Events(mcu)
            await lock.keypad(["5"])
            await events.next(McuEventKind.KEY)
            await lock.clock(advance=21)  # the KEY's acknowledgement crosses first
            await events.next(McuEventKind.KEYPAD_SLEEP)
        finally:
            await mcu.close()
    finally:
        await lock.stop()


@pytest.fixture
async def timed(
    tmp_path: Path, clock: ManualClock
) -> AsyncIterator[tuple[SimulatedLock, Hardware]]:
    """Run a simulated lock whose MCU resends on the test's clock, drivers on it."""
    sim = SimulatedLock(clock=clock, seed=5, state_dir=tmp_path)
    await sim.start()
    hardware = await open_hardware(sim)
    yield sim, hardware
    await hardware.close()
    await sim.stop()


async def test_events_are_sequential_and_never_duplicated(
    timed: tuple[SimulatedLock, Hardware], clock: ManualClock
) -> None:
    """Each event reaches the handler exactly once, numbered one after the other.

    The MCU resends what it has no acknowledgement for after its resend interval; the
    lock's clock is moved past it at once, before the acknowledgements are surely
    back, so resends happen and the driver must recognise them.
    """
    sim, hardware = timed
    events = Events(hardware.mcu)
    await sim.keypad(["1", "2", "3", "4", "5", "6", "confirm"])
    seen = [await events.next(McuEventKind.KEY) for _ in range(7)]
    clock.advance(1.5)  # longer than the MCU's resend interval
    await sim.lock_button()  # a marker: resends would have come before it
    later = []
    while (event := await events.next_any()).kind is not McuEventKind.LOCK_BUTTON:
        later.append(event)
    assert all(event.kind is not McuEventKind.KEY for event in later)
    numbers = [event.seq for event in seen]
    assert numbers == list(range(numbers[0], numbers[0] + 7))


async def test_no_event_lost_or_duplicated_across_a_driver_restart(
    sim_lock: SimulatedLock,
) -> None:
    """Events raised while the driver is down, or not yet handled, arrive after restart."""
    url = str(sim_lock.ports["mcu"])
    first = await McuDevice.open(url)
    events = Events(first)
    await sim_lock.door("open")
    handled = await events.next(McuEventKind.DOOR)
    # The next handler never returns: the driver dies while handling it.
    blocked = asyncio.Event()

    async def stuck(event: McuEvent) -> None:
        blocked.set()
        await asyncio.Event().wait()

    first.set_event_handler(stuck)
    await sim_lock.door("closed")
    await settled(blocked.wait(), "the stuck handler")
    await first.close()
    await sim_lock.tamper()  # while no driver runs

    second = await McuDevice.open(url)
    try:
        events = Events(second)
        closed = await events.next(McuEventKind.DOOR)
        tamper = await events.next(McuEventKind.TAMPER)
        assert closed.door is DoorState.CLOSED
        assert (closed.seq, tamper.seq) == (handled.seq + 1, handled.seq + 2)
    finally:
        await second.close()


async def test_failed_handler_gets_the_event_again(
    timed: tuple[SimulatedLock, Hardware], clock: ManualClock
) -> None:
    """An event is acknowledged only after the handler succeeded, so a failure retries."""
    calls: list[McuEvent] = []
    done = asyncio.Event()

    async def flaky(event: McuEvent) -> None:
        if event.kind is McuEventKind.BATTERY:
            return  # the controller's power-up report
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("database busy")
        done.set()

    sim, hardware = timed
    hardware.mcu.set_event_handler(flaky)
    await sim.lock_button()
    await eventually(lambda: len(calls) == 1, "the first try")
    clock.advance(1.0)  # the MCU's resend interval: no acknowledgement came
    await settled(done.wait(), "the second try")
    assert [c.kind for c in calls] == [McuEventKind.LOCK_BUTTON] * 2
    assert calls[0].seq == calls[1].seq


async def test_an_event_behind_a_failed_one_waits_for_its_resend(
    timed: tuple[SimulatedLock, Hardware], clock: ManualClock
) -> None:
    """The lock button's handler fails, the tamper comes before the resend: both kept.

    An EVENT_ACK is cumulative: the tamper's would acknowledge the lock button too, and
    the MCU would never send it again.
    """
    calls: list[McuEventKind] = []
    done = asyncio.Event()

    async def flaky(event: McuEvent) -> None:
        if event.kind is McuEventKind.BATTERY:
            return  # the controller's power-up report
        calls.append(event.kind)
        if len(calls) == 1:
            raise RuntimeError("database busy")
        if event.kind is McuEventKind.TAMPER:
            done.set()

    sim, hardware = timed
    hardware.mcu.set_event_handler(flaky)
    await sim.lock_button()
    await eventually(lambda: len(calls) == 1, "the first try")
    await sim.tamper()  # before the MCU's resend
    clock.advance(1.0)  # the MCU's resend interval: no acknowledgement came
    await settled(done.wait(), "the tamper")
    assert calls == [McuEventKind.LOCK_BUTTON] * 2 + [McuEventKind.TAMPER]


async def test_handler_errors_are_logged(
    sim_lock: SimulatedLock, hardware: Hardware, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing handler is reported in the log with the event number."""
    failed = asyncio.Event()

    async def broken(event: McuEvent) -> None:
        failed.set()
        raise RuntimeError("boom")

    hardware.mcu.set_event_handler(broken)
    with caplog.at_level(logging.WARNING):
        await sim_lock.lock_button()
        await settled(failed.wait(), "the handler")
        await eventually(
            lambda: any("handler failed" in r.getMessage() for r in caplog.records),
            "the failure logged",
        )


async def test_reconnection_starts_a_new_session(
    pty_peer: PeerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """After the MCU cable is replugged the driver says HELLO again.

    (The MCU then resends its buffered events.) A different lock behind the cable is
    reported, without its verification code.
    """
    peer = pty_peer("mcu", McuParser())

    async def answer_hello(serial: str) -> None:
        hello = await peer.next(lambda frame: frame.type is MessageType.REQUEST)
        assert decode_request(hello.payload) == Hello(
            1, EVENT_WINDOW, McuOption.BOLT_CAUSE
        )
        info = McuInfo(serial, "EZ-TEST", "1.0", "CODE42")
        granted = HelloReply(1, info, 8, McuOption.BOLT_CAUSE)
        reply = McuResponse(Command.HELLO, ResponseStatus.OK, granted.encode())
        peer.send(McuFrame(MessageType.RESPONSE, hello.seq, reply.encode()).encode())

    opening = asyncio.create_task(McuDevice.open(str(peer.port.path)))
    await answer_hello("LOCK-A")
    mcu = await opening
    try:
        assert (mcu.info.serial, mcu.event_window, mcu.bolt_causes) == (
            "LOCK-A",
            8,
            True,
        )
        peer.port.unplug()
        peer.port.plug()
        await answer_hello("LOCK-B")
        await eventually(lambda: mcu.info.serial == "LOCK-B", "the new session")
        assert any("different lock MCU" in r.getMessage() for r in caplog.records)
        assert all("CODE42" not in r.getMessage() for r in caplog.records)
    finally:
        await mcu.close()


async def test_a_first_revision_mcu_is_greeted_again_and_sends_stop_and_wait(
    pty_peer: PeerFactory,
) -> None:
    """An MCU of the protocol's first revision refuses a HELLO with a window.

    docs/serial-protocol.md: its HELLO takes the version byte alone and answers
    anything longer with INVALID_ARGUMENT; the driver greets it again with less,
    down to the version alone, and acknowledges its events one by one (bytes from
    the document); it does not know OLDEST_EVENT either (asked once, at the
    session's first event).
    """
    peer = pty_peer("mcu", McuParser())
    opening = asyncio.create_task(McuDevice.open(str(peer.port.path)))
    for greeting in ("01 01 80 01", "01 01 80"):  # window 128 with options, without
        hello = await peer.next(lambda frame: frame.type is MessageType.REQUEST)
        assert hello.payload == bytes.fromhex(greeting)
        peer.send(McuFrame(MessageType.ACK, hello.seq).encode())
        refusal = McuFrame(MessageType.RESPONSE, hello.seq, bytes.fromhex("01 02"))
        peer.send(refusal.encode())  # HELLO: INVALID_ARGUMENT
    again = await peer.next(lambda frame: frame.type is MessageType.REQUEST)
    assert again.payload == bytes.fromhex("01 01")  # HELLO, version 1, nothing else
    info = McuInfo("OLD-1", "EZ-TEST", "1.0", "CODE42")
    reply = McuResponse(Command.HELLO, ResponseStatus.OK, HelloReply(1, info).encode())
    peer.send(McuFrame(MessageType.RESPONSE, again.seq, reply.encode()).encode())
    mcu = await opening
    handled: list[int] = []

    async def handle(event: McuEvent) -> None:
        handled.append(event.seq)

    try:
        assert (mcu.info.serial, mcu.event_window, mcu.bolt_causes) == (
            "OLD-1",
            1,
            False,
        )
        mcu.set_event_handler(handle)
        for number in (7, 8):
            peer.send(
                McuFrame(
                    MessageType.EVENT,
                    number,
                    encode_event(McuEvent(number, McuEventKind.LOCK_BUTTON)),
                ).encode()
            )
            if number == 7:  # a session's first event: the oldest kept? not known
                asked = await peer.next(lambda f: f.type is MessageType.REQUEST)
                assert asked.payload == bytes.fromhex("03")  # OLDEST_EVENT
                peer.send(McuFrame(MessageType.ACK, asked.seq).encode())
                unknown = bytes.fromhex("03 01")  # UNKNOWN_COMMAND
                peer.send(McuFrame(MessageType.RESPONSE, asked.seq, unknown).encode())
            ack = await peer.next(lambda frame: frame.type is MessageType.EVENT_ACK)
            assert (ack.seq, decode_event_ack(ack.payload)) == (number, number)
        assert handled == [7, 8]
    finally:
        await mcu.close()


async def test_an_mcu_granting_an_option_not_asked_for_is_refused(
    pty_peer: PeerFactory,
) -> None:
    """The host may not use a bit it did not ask for; an MCU granting one is wrong."""
    peer = pty_peer("mcu", McuParser())
    opening = asyncio.create_task(McuDevice.open(str(peer.port.path)))
    hello = await peer.next(lambda frame: frame.type is MessageType.REQUEST)
    assert hello.payload == bytes.fromhex("01 01 80 01")  # options: 01 only
    info = McuInfo("ODD-1", "EZ-TEST", "1.0", "CODE42")
    granted = HelloReply(1, info, 8, McuOption(0x03))
    reply = McuResponse(Command.HELLO, ResponseStatus.OK, granted.encode())
    peer.send(McuFrame(MessageType.RESPONSE, hello.seq, reply.encode()).encode())
    with pytest.raises(DeviceRejected, match="options not asked for"):
        await opening
