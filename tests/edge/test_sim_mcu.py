"""The virtual lock MCU over its pty, byte for byte through the MCU link codecs.

The simulator's MCU is the controller firmware (``firmware/lib/ezlock_mcu``) on
simulated parts; ``test_firmware_e2e.py`` runs the same firmware on MicroPython.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.framing.mcu import McuFrame, McuParser, MessageType, NakReason
from ezlock_edge.framing.mcu_messages import (
    GetOldestEvent,
    GetStatus,
    Hello,
    HelloReply,
    Lock,
    McuRequest,
    McuResponse,
    PlayPrompt,
    ResponseStatus,
    SetDoorDirection,
    SetLeds,
    SetVolume,
    SetWifi,
    Siren,
    Unlock,
    decode_event,
    decode_status,
    encode_event_ack,
    encode_request,
)
from ezlock_edge.sim.errors import SimulationError
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.sim.port import VirtualPort
from ezlock_edge.vocabulary.mcu import (
    PROMPT_TEXT,
    BluetoothState,
    BoltCause,
    BoltState,
    DoorDirection,
    DoorState,
    Key,
    LedMode,
    McuEvent,
    McuEventKind,
    McuOption,
    PowerSource,
    Prompt,
    Sensor,
    SetPress,
)
from tests.support.waiting import eventually

from .sim_support import RawLink


class Driver:
    """The driver's side of the MCU link, reduced to frames: requests and event ACKs."""

    def __init__(self, link: RawLink[McuFrame]) -> None:
        """Drive the MCU over ``link``."""
        self.link = link
        self.seq = 0
        self.acked = 0
        self.events: list[McuEvent] = []

    async def send(self, seq: int, payload: bytes) -> None:
        """Send one REQUEST frame."""
        await self.link.send(McuFrame(MessageType.REQUEST, seq, payload).encode())

    async def request(self, request: McuRequest) -> McuResponse:
        """Send ``request`` with the next seq and return its RESPONSE."""
        self.seq = (self.seq + 1) & 0xFF
        await self.send(self.seq, encode_request(request))
        return await self.answer(self.seq)

    async def answer(self, seq: int, *, strict: bool = True) -> McuResponse:
        """Wait for the ACK, then return the RESPONSE for ``seq``; keep events seen.

        ``strict=False`` accepts a RESPONSE whose ACK was lost (a noisy line).
        """
        acked = False
        while True:
            frame = await self.link.frame()
            if frame.type is MessageType.EVENT:
                self.events.append(decode_event(frame.payload))
            elif frame.seq == seq and frame.type is MessageType.ACK:
                acked = True
            elif frame.seq == seq and frame.type is MessageType.RESPONSE:
                assert acked or not strict, "RESPONSE before ACK"
                return McuResponse.decode(frame.payload)

    async def event(self) -> McuEvent:
        """Return the next event not yet acknowledged (skipping resends)."""
        while True:
            if self.events:
                event = self.events.pop(0)
            else:
                frame = await self.link.frame_where(
                    lambda f: f.type is MessageType.EVENT
                )
                event = decode_event(frame.payload)
            if event.seq > self.acked:
                return event

    async def ack(self, event: McuEvent) -> None:
        """Acknowledge ``event``, as the driver does after handling it."""
        self.acked = event.seq
        await self.link.send(
            McuFrame(MessageType.EVENT_ACK, 0, encode_event_ack(event.seq)).encode()
        )

    async def handled(self) -> McuEvent:
        """Receive and acknowledge the next event."""
        event = await self.event()
        await self.ack(event)
        return event

    async def handled_many(self, count: int) -> list[McuEvent]:
        """Receive and acknowledge the next ``count`` events."""
        return [await self.handled() for _ in range(count)]


@pytest.fixture
async def lock(clock: ManualClock, tmp_path: Path) -> AsyncIterator[SimulatedLock]:
    lock = SimulatedLock(clock=clock, seed=11, state_dir=tmp_path / "state")
    await lock.start()
    yield lock
    await lock.stop()


async def powered_up(lock: SimulatedLock) -> Driver:
    """Open the MCU port, start a session and take the power-up report (battery).

    The report was sent before anyone listened; HELLO makes the MCU send it again.
    """
    driver = Driver(await RawLink.open(lock.ports["mcu"], McuParser()))
    await driver.request(Hello())
    boot = await driver.handled()
    assert (boot.kind, boot.battery_percent) == (McuEventKind.BATTERY, 100)
    return driver


@pytest.fixture
async def driver(lock: SimulatedLock) -> AsyncIterator[Driver]:
    driver = await powered_up(lock)
    yield driver
    driver.link.close()


async def test_hello_announces_the_lock_identity(
    lock: SimulatedLock, driver: Driver
) -> None:
    """L-64: serial, model, firmware and verification code come from the hello."""
    response = await driver.request(Hello())
    assert response.status is ResponseStatus.OK
    reply = HelloReply.decode(response.data)
    assert reply.info == lock.info
    assert reply.info.serial == (await lock.label())["serial"]
    assert {"face", "palm", "fingerprint"} <= reply.info.capabilities


async def test_the_firmware_version_names_what_it_speaks(driver: Driver) -> None:
    """Firmware 1.1 is the first that grants a window and option 01 and answers OLDEST_EVENT."""
    hello = await driver.request(Hello(1, 8, McuOption.BOLT_CAUSE))
    reply = HelloReply.decode(hello.data)
    assert (reply.event_window, reply.options) == (8, McuOption.BOLT_CAUSE)
    oldest = await driver.request(GetOldestEvent())
    assert oldest.status is ResponseStatus.OK
    release, suffix = reply.info.firmware.split("-")
    assert tuple(int(part) for part in release.split(".")) >= (1, 1, 0)
    assert suffix == "sim"


async def test_status_reports_the_whole_lock(driver: Driver) -> None:
    """L-01, L-02, L-06, L-08, L-12, L-46: the STATUS answer."""
    status = decode_status((await driver.request(GetStatus())).data)
    assert status.bolt is BoltState.LOCKED
    assert status.door is DoorState.CLOSED
    assert status.battery_percent == 100
    assert not status.low_battery
    assert status.power_source is PowerSource.BATTERY
    assert not status.tamper
    assert status.wifi_enabled
    assert -70 < status.wifi_rssi < -40
    assert status.bluetooth is BluetoothState.IDLE
    assert status.door_direction is DoorDirection.RIGHT

    assert (await driver.request(SetWifi(enabled=False))).status is ResponseStatus.OK
    await driver.request(SetDoorDirection(DoorDirection.LEFT))
    status = decode_status((await driver.request(GetStatus())).data)
    assert not status.wifi_enabled
    assert status.door_direction is DoorDirection.LEFT


async def test_motor_travel_takes_time_and_ends_locked_or_unlocked(
    lock: SimulatedLock, driver: Driver, clock: ManualClock
) -> None:
    """L-01: UNLOCKING then, after the travel time, UNLOCKED; LOCK likewise; L-46."""
    assert (
        await driver.request(Unlock(DoorDirection.RIGHT))
    ).status is ResponseStatus.OK
    assert (await driver.handled()).bolt is BoltState.UNLOCKING
    assert (await lock.panel())["last_motor_direction"] == "right"
    busy = await driver.request(Lock())
    assert busy.status is ResponseStatus.BUSY  # the motor is still moving
    clock.advance(0.39)
    status = decode_status((await driver.request(GetStatus())).data)
    assert status.bolt is BoltState.UNLOCKING
    clock.advance(0.01)
    assert (await driver.handled()).bolt is BoltState.UNLOCKED

    await driver.request(Lock())
    assert (await driver.handled()).bolt is BoltState.LOCKING
    clock.advance(0.4)
    assert (await driver.handled()).bolt is BoltState.LOCKED


async def test_bolt_reports_say_what_moved_the_bolt_to_a_host_that_asks(
    lock: SimulatedLock, driver: Driver, clock: ManualClock
) -> None:
    """HELLO option 01: the motor's reports carry 01, a hand's 00 (L-01, L-07).

    A host of an earlier revision (the fixture's HELLO asks for nothing) gets the
    state alone.
    """
    await driver.request(Unlock(DoorDirection.RIGHT))
    clock.advance(0.4)
    reports = [await driver.handled(), await driver.handled()]
    assert [(e.bolt, e.bolt_cause) for e in reports] == [
        (BoltState.UNLOCKING, None),
        (BoltState.UNLOCKED, None),
    ]
    hello = await driver.request(Hello(1, 1, McuOption.BOLT_CAUSE))
    assert HelloReply.decode(hello.data).options is McuOption.BOLT_CAUSE
    await driver.request(Lock())
    clock.advance(0.4)
    await lock.mechanical_key("unlock")
    reports = [await driver.handled() for _ in range(4)]
    assert [(e.kind, e.bolt, e.bolt_cause) for e in reports] == [
        (McuEventKind.BOLT, BoltState.LOCKING, BoltCause.MOTOR),
        (McuEventKind.BOLT, BoltState.LOCKED, BoltCause.MOTOR),
        (McuEventKind.MECHANICAL_KEY, None, None),
        (McuEventKind.BOLT, BoltState.UNLOCKED, BoltCause.HAND),
    ]


async def test_zero_travel_moves_at_once(tmp_path: Path) -> None:
    lock = SimulatedLock(clock=ManualClock(), motor_travel=0)
    await lock.start()
    driver = await powered_up(lock)
    try:
        await driver.request(Unlock(DoorDirection.RIGHT))
        bolts = [event.bolt for event in await driver.handled_many(2)]
        assert bolts == [BoltState.UNLOCKING, BoltState.UNLOCKED]
    finally:
        driver.link.close()
        await lock.stop()


async def test_what_one_moment_puts_out_leaves_in_one_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With no travel the bolt leaves one end and reaches the other as the UNLOCK is
    # handled: its ACK, its RESPONSE and both BOLT reports leave back to back, as from
    # a real UART still sending the first frames (a millisecond each) while the
    # controller queues the next, not with a pause of the simulator's CPU time between.
    writes: list[bytes] = []
    write = VirtualPort.write

    def recorded(port: VirtualPort, data: bytes) -> bool:
        if port.path.name == "mcu":
            writes.append(data)
        return write(port, data)

    monkeypatch.setattr(VirtualPort, "write", recorded)
    lock = SimulatedLock(clock=ManualClock(), motor_travel=0)
    await lock.start()
    driver = Driver(await RawLink.open(lock.ports["mcu"], McuParser()))
    try:
        await driver.request(Hello(event_window=8))  # events need not wait for ACKs
        await driver.handled()  # the power-up report
        writes.clear()
        await driver.request(Unlock(DoorDirection.RIGHT))
        bolts = [event.bolt for event in await driver.handled_many(2)]
        assert bolts == [BoltState.UNLOCKING, BoltState.UNLOCKED]
        frames = McuParser().feed(writes[0])
        assert [frame.type for frame in frames] == [
            MessageType.ACK,
            MessageType.RESPONSE,
            MessageType.EVENT,
            MessageType.EVENT,
        ]
    finally:
        driver.link.close()
        await lock.stop()


async def test_the_motor_turns_for_the_door_hand(tmp_path: Path) -> None:
    """L-46: a left-hand door retracts with the other polarity; the wrong one jams."""
    clock = ManualClock()
    lock = SimulatedLock(clock=clock, handing=DoorDirection.LEFT)
    await lock.start()
    driver = await powered_up(lock)
    try:
        await driver.request(Unlock(DoorDirection.LEFT))
        clock.advance(0.4)
        assert [e.bolt for e in await driver.handled_many(2)] == [
            BoltState.UNLOCKING,
            BoltState.UNLOCKED,
        ]
        assert (await lock.panel())["last_motor_direction"] == "left"
        await driver.request(Lock())  # the stored direction (RIGHT) is wrong here
        clock.advance(0.4)  # it retracts further: against the end stop, a stall
        assert [e.bolt for e in await driver.handled_many(2)] == [
            BoltState.LOCKING,
            BoltState.JAMMED,
        ]
        await driver.request(SetDoorDirection(DoorDirection.LEFT))
        await driver.request(Lock())
        clock.advance(0.4)
        assert [e.bolt for e in await driver.handled_many(2)][-1] is BoltState.LOCKED
    finally:
        driver.link.close()
        await lock.stop()


async def test_jam_injection_ends_the_next_movement_jammed(
    lock: SimulatedLock, driver: Driver, clock: ManualClock
) -> None:
    """L-67: a jammed bolt is reported; the movement after it works again."""
    await lock.jam(next=True)
    await driver.request(Unlock(DoorDirection.RIGHT))
    clock.advance(0.4)
    bolts = [event.bolt for event in await driver.handled_many(2)]
    assert bolts == [BoltState.UNLOCKING, BoltState.JAMMED]
    assert decode_status((await driver.request(GetStatus())).data).bolt is (
        BoltState.JAMMED
    )
    await driver.request(Unlock(DoorDirection.RIGHT))
    clock.advance(0.4)
    assert [e.bolt for e in await driver.handled_many(2)][-1] is BoltState.UNLOCKED


async def test_a_retransmitted_request_gets_the_cached_answer_and_runs_once(
    lock: SimulatedLock, driver: Driver, clock: ManualClock
) -> None:
    await driver.send(7, encode_request(Unlock(DoorDirection.RIGHT)))
    first = await driver.answer(7)
    await driver.send(7, encode_request(Unlock(DoorDirection.RIGHT)))
    again = await driver.answer(7)
    assert first == again
    assert (
        first.status is ResponseStatus.OK
    )  # not BUSY: the motor was not started twice
    clock.advance(0.4)
    assert [e.bolt for e in await driver.handled_many(2)] == [
        BoltState.UNLOCKING,
        BoltState.UNLOCKED,
    ]


async def test_events_stay_buffered_until_acknowledged_across_a_driver_restart(
    lock: SimulatedLock, driver: Driver
) -> None:
    """No event is lost or duplicated when the driver restarts mid-stream."""
    await lock.keypad(["1", "2", "3", "confirm"])
    first = await driver.event()
    assert first.kind is McuEventKind.KEYPAD_WAKE
    await driver.ack(first)
    second = await driver.event()  # received, but the driver dies before its ACK
    driver.link.close()

    restarted = Driver(await RawLink.open(lock.ports["mcu"], McuParser()))
    try:
        await restarted.request(
            Hello()
        )  # a new session: the oldest event comes at once
        events = await restarted.handled_many(4)
    finally:
        restarted.link.close()
    assert events[0] == second
    assert [e.key for e in events] == [
        Key.DIGIT_1,
        Key.DIGIT_2,
        Key.DIGIT_3,
        Key.CONFIRM,
    ]
    numbers = [first.seq] + [e.seq for e in events]
    assert numbers == list(range(first.seq, first.seq + 5))


async def test_an_unacknowledged_event_is_resent_every_second(
    lock: SimulatedLock, driver: Driver, clock: ManualClock
) -> None:
    await lock.lock_button()
    frames = [await driver.link.frame_where(lambda f: f.type is MessageType.EVENT)]
    clock.advance(0.99)
    status = decode_status((await driver.request(GetStatus())).data)
    assert status.bolt is BoltState.LOCKED  # nothing resent before a second
    assert not driver.events
    for _ in range(2):
        clock.advance(0.01 if len(frames) == 1 else 1.0)
        frames.append(
            await driver.link.frame_where(lambda f: f.type is MessageType.EVENT)
        )
    events = [decode_event(frame.payload) for frame in frames]
    assert events == [events[0]] * 3  # the same event, again and again
    assert len({frame.seq for frame in frames}) == 3  # each a new frame
    event = events[0]
    assert event.kind is McuEventKind.LOCK_BUTTON  # L-44
    await driver.ack(event)
    await lock.door("open")
    assert (await driver.event()).kind is McuEventKind.BOLT


async def test_keypad_wakes_on_touch_and_sleeps_after_20_s(
    lock: SimulatedLock, driver: Driver, clock: ManualClock
) -> None:
    """L-03 wake/sleep, L-48 long press of 0, L-49 doorbell key."""
    await lock.keypad(["doorbell"], hold="0")
    wake, bell, mute = await driver.handled_many(3)
    assert wake.kind is McuEventKind.KEYPAD_WAKE
    assert (bell.key, bell.long_press) == (Key.DOORBELL, False)
    assert (mute.key, mute.long_press) == (Key.DIGIT_0, True)
    await lock.keypad(["5"])  # already awake: no second wake
    assert (await driver.handled()).key is Key.DIGIT_5
    clock.advance(19.9)
    assert (await lock.panel())["awake"]
    clock.advance(0.1)
    assert (await driver.handled()).kind is McuEventKind.KEYPAD_SLEEP
    assert not (await lock.panel())["awake"]


async def test_leds_light_the_panel_and_sleep_keeps_only_blinking_ones(
    lock: SimulatedLock, driver: Driver, clock: ManualClock
) -> None:
    """L-03 keypad LEDs, L-65 the blinking 0 of pairing mode survives the sleep."""
    await driver.request(SetLeds(LedMode.ON, frozenset({Key.BACK, Key.CONFIRM})))
    await driver.request(SetLeds(LedMode.BLINK, frozenset({Key.DIGIT_0})))
    panel = await lock.panel()
    assert panel["awake"]
    assert panel["leds"] == {"0": "blink", "back": "on", "confirm": "on"}
    clock.advance(20)
    assert (await driver.handled()).kind is McuEventKind.KEYPAD_SLEEP
    assert (await lock.panel())["leds"] == {"0": "blink"}


async def test_prompts_are_spoken_unless_muted(
    lock: SimulatedLock, driver: Driver
) -> None:
    """L-48: prompts are silent at volume 0."""
    await driver.request(PlayPrompt(Prompt.DOOR_UNLOCKED))
    await driver.request(SetVolume(0))
    await driver.request(PlayPrompt(Prompt.FAILURE))
    await driver.request(SetVolume(3))
    await driver.request(PlayPrompt(Prompt.TAMPER_ALARM))
    spoken = [p["text"] for p in (await lock.panel())["prompts"]]
    assert spoken == [
        PROMPT_TEXT[Prompt.DOOR_UNLOCKED],
        PROMPT_TEXT[Prompt.TAMPER_ALARM],
    ]


async def test_tamper_raises_an_event_and_the_siren_runs_its_time(
    lock: SimulatedLock, driver: Driver, clock: ManualClock
) -> None:
    """L-05, L-60: forced removal, siren for about a minute."""
    await lock.tamper()
    assert (await driver.handled()).kind is McuEventKind.TAMPER
    assert decode_status((await driver.request(GetStatus())).data).tamper
    await driver.request(Siren(on=True, seconds=60))
    assert (await lock.panel())["siren"]
    clock.advance(59)
    assert (await lock.panel())["siren"]
    clock.advance(1)
    assert not (await lock.panel())["siren"]
    await lock.tamper(removed=False)
    assert not decode_status((await driver.request(GetStatus())).data).tamper


async def test_battery_drains_warns_low_and_dies_without_a_power_bank(
    lock: SimulatedLock, driver: Driver, clock: ManualClock
) -> None:
    """L-06, L-62 low-voltage below 20 %, L-08 emergency USB-C power."""

    # A day of idle drain costs about a percent. Hour by hour, as a driver reads what
    # came meanwhile: unacknowledged, the event would be resent every second.
    async def all_acknowledged() -> bool:
        return not (await lock.panel())["links"]["mcu"]["unacknowledged_events"]

    await eventually(all_acknowledged, "the power-up report acknowledged")
    for _ in range(24):
        clock.advance(3600)
        if not await all_acknowledged():
            break
    drained = await driver.handled()
    assert drained.kind is McuEventKind.BATTERY
    assert drained.battery_percent == 99
    assert not drained.low_battery

    await lock.battery(19)
    low = await driver.handled()
    assert (low.battery_percent, low.low_battery) == (19, True)
    assert decode_status((await driver.request(GetStatus())).data).low_battery

    await lock.battery(0)  # flat: the electronics are dead
    with pytest.raises(SimulationError, match="no power"):
        await lock.keypad(["1"])
    await lock.door("open")  # nobody reports it
    await lock.emergency_power(connected=True)  # the controller starts again
    flat, powered = await driver.handled_many(2)
    assert (flat.battery_percent, flat.low_battery) == (0, True)
    assert (powered.kind, powered.connected) == (McuEventKind.EMERGENCY_POWER, True)
    status = decode_status((await driver.request(GetStatus())).data)
    assert status.power_source is PowerSource.EMERGENCY
    assert status.door is DoorState.OPEN


async def test_person_actions_become_events(
    lock: SimulatedLock, driver: Driver
) -> None:
    """L-02 door, L-04 SET, L-07 mechanical key, L-31 Bluetooth key, sensor wake."""
    await lock.door("open")  # from inside: the handle retracts the bolt
    await lock.set_button("long")
    events = await driver.handled_many(3)
    await lock.set_button("power_up")  # held while the battery goes in: a restart
    restart = await driver.handled_many(2)
    assert (restart[0].kind, restart[0].seq) == (McuEventKind.BATTERY, 257)
    await lock.mechanical_key("lock")
    await lock.bluetooth("483920")
    await lock.finger("alice-left-thumb")
    await lock.face("alice")
    await lock.palm("alice-right")
    events += restart[1:] + await driver.handled_many(7)
    assert [(e.kind, e.bolt, e.door) for e in events[:2]] == [
        (McuEventKind.BOLT, BoltState.UNLOCKED, None),
        (McuEventKind.DOOR, None, DoorState.OPEN),
    ]
    assert [e.set_press for e in events[2:4]] == [
        SetPress.LONG,
        SetPress.HELD_AT_POWER_UP,
    ]
    assert events[4].kind is McuEventKind.MECHANICAL_KEY
    assert events[5].bolt is BoltState.LOCKED
    assert (events[6].kind, events[6].bluetooth) == (
        McuEventKind.BLUETOOTH,
        BluetoothState.CONNECTED,
    )  # L-12: the phone connects, then presents its key
    assert events[7].bluetooth_key == "483920"
    assert (await lock.panel())["bluetooth"] == "connected"
    assert [e.sensor for e in events[8:]] == [
        Sensor.FINGERPRINT,
        Sensor.FACE,
        Sensor.PALM,
    ]
    # L-12, L-31: the phone asks to lock with its key (still connected: no state event).
    await lock.bluetooth("483920", action="lock")
    [asked] = await driver.handled_many(1)
    assert (asked.kind, asked.bluetooth_key) == (McuEventKind.BLUETOOTH_LOCK, "483920")


async def test_bad_frames_get_clear_answers_and_garbage_is_skipped(
    lock: SimulatedLock, driver: Driver, clock: ManualClock
) -> None:
    await driver.send(1, bytes((0x7E,)))
    assert (await driver.answer(1)).status is ResponseStatus.UNKNOWN_COMMAND
    await driver.send(2, bytes((0x11, 0x09)))  # UNLOCK with no such direction
    assert (await driver.answer(2)).status is ResponseStatus.INVALID_ARGUMENT
    await driver.send(3, b"")
    nak = await driver.link.frame()
    assert (nak.type, nak.seq, nak.payload) == (
        MessageType.NAK,
        3,
        bytes((NakReason.MALFORMED,)),
    )
    frame = McuFrame(MessageType.REQUEST, 4, encode_request(GetStatus())).encode()
    noise = b"\xa5\x5a\xff\x00garbage" + frame[:-1] + b"\x00" + frame
    port = lock._ports["mcu"]
    received = port.received
    await driver.link.send(noise)
    await eventually(
        lambda: port.received == received + len(noise), "the bytes at the MCU"
    )
    clock.advance(0.05)  # the line idles: the MCU gives the lying header up
    assert (await driver.answer(4)).status is ResponseStatus.OK


async def test_noise_corrupts_bytes_and_retransmission_gets_through(
    lock: SimulatedLock, driver: Driver, clock: ManualClock
) -> None:
    """Noise both ways damages frames; retransmission still gets answers.

    The rate is per byte: at 3 % a 25-byte exchange survives about half the time.
    """
    port, link = lock._ports["mcu"], driver.link

    async def exchange(seq: int, payload: bytes) -> McuResponse | None:
        """Send one try; return its answer, or None if it was lost.

        Lost, not slow: the MCU has read the request and the driver all the MCU sent
        back, and no answer is among it. No wait in real time decides it, so a loaded
        machine only takes longer.
        """
        at_mcu, from_mcu, sent, read = (
            port.received,
            port.sent,
            link.sent,
            link.received,
        )
        await driver.send(seq, payload)
        answer = asyncio.ensure_future(driver.answer(seq, strict=False))

        def crossed() -> bool:
            return (
                port.received - at_mcu >= link.sent - sent
                and link.received - read >= port.sent - from_mcu
            )

        await eventually(lambda: answer.done() or crossed(), "the exchange")
        if answer.done():
            return answer.result()
        answer.cancel()
        return None

    await lock.noise("mcu", 0.03)
    for seq in range(1, 11):
        for _ in range(50):  # bounded tries, like the driver
            if (answer := await exchange(seq, encode_request(GetStatus()))) is not None:
                break
            clock.advance(0.05)  # a damaged length byte: the line idles
        assert answer is not None
        assert decode_status(answer.data).bolt is BoltState.LOCKED
    assert (await lock.panel())["links"]["mcu"]["damaged_bytes"] > 0
    assert driver.link.parser.bad_frames + driver.link.parser.discarded_bytes > 0


async def test_a_restarted_simulator_is_the_same_lock(tmp_path: Path) -> None:
    """L-64: the sticker survives; event numbers are never reused."""
    state = tmp_path / "state"
    first = SimulatedLock(clock=ManualClock(), state_dir=state)
    await first.start()
    driver = await powered_up(first)
    await first.lock_button()
    numbers = [(await driver.event()).seq]
    driver.link.close()
    await first.stop()

    again = SimulatedLock(clock=ManualClock(), state_dir=state)
    await again.start()
    driver = Driver(await RawLink.open(again.ports["mcu"], McuParser()))
    await driver.request(Hello())
    later = await driver.event()
    driver.link.close()
    await again.stop()
    assert again.info == first.info
    assert later.seq > numbers[-1]  # the counter is in "flash"
    assert SimulatedLock(seed=3).info == SimulatedLock(seed=3).info
    assert SimulatedLock(seed=3).info.serial != SimulatedLock(seed=4).info.serial
