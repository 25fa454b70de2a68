"""The drivers: bolt and jam, keypad, buttons, battery curve, LEDs, the voice module."""

from ezlock_mcu import readout, wire
from ezlock_mcu.battery import AFTER_MOTOR_MS, PERIOD_MS, percent_of_cell
from ezlock_mcu.keypad import IDLE_SLEEP_MS
from ezlock_mcu.voice import dfplayer_frame
from ezlock_mcu_sim.board import SENSE_OHMS, adc_u16
from support import Host, battery_u16, kinds, started


def bolt_events(host: Host) -> "list[int]":
    return [event[5] for event in host.take_events() if event[4] == wire.EV_BOLT]


def test_unlock_runs_the_motor_until_the_end_stop() -> None:
    """L-01, L-46: right-hand unlock drives IN1; the end stop stops the motor."""
    host = started()
    host.request(1, b"\x11\x01")
    out = host.out["out"]
    assert (out["motor_in1"], out["motor_in2"], out["motor_sleep"]) == (
        True,
        False,
        True,
    )
    assert bolt_events(host) == [wire.BOLT_UNLOCKING]
    host.input("locked_end", False)
    host.input("unlocked_end", True)
    assert bolt_events(host) == [wire.BOLT_UNLOCKED]
    assert host.out["out"]["motor_sleep"] is False  # stopped, bridge asleep
    host.input("unlocked_end", False)  # thrown again by hand
    host.input("locked_end", True)
    host.take_events()
    host.request(2, b"\x11\x02")  # a left-hand door turns the other way
    assert (host.out["out"]["motor_in1"], host.out["out"]["motor_in2"]) == (False, True)


def test_a_battery_measurement_due_while_the_motor_runs_waits_for_its_stop() -> None:
    """The battery is not measured under the motor's load, and the loop still sleeps.

    The power-up measured it; the next is due ``PERIOD_MS`` later, mid-travel here.
    The controller must not ask for pass after pass at that moment (``Host.advance``
    refuses that): it waits for the end stop, then measures ``AFTER_MOTOR_MS`` after.
    """
    host = started()
    host.advance(PERIOD_MS - 200)
    host.request(1, b"\x11\x01")
    host.take_events()
    host.send({"op": "adc", "name": "battery", "value": battery_u16(50)})
    host.advance(400)  # across the due measurement, the bolt still travelling
    assert host.board.controller.bolt.moving
    assert host.take_events() == []
    host.input("locked_end", False)
    host.input("unlocked_end", True)
    assert bolt_events(host) == [wire.BOLT_UNLOCKED]
    host.advance(AFTER_MOTOR_MS - 1)
    assert host.take_events() == []
    host.advance(1)
    assert kinds(host.take_events()) == [wire.EV_BATTERY]


def test_a_stalled_motor_is_jammed_after_the_inrush() -> None:
    """L-67: current above the stall threshold, once the start-up inrush is over."""
    host = started()
    host.request(1, b"\x10")  # LOCK a locked bolt: the end stop is already closed
    assert bolt_events(host) == [wire.BOLT_LOCKING, wire.BOLT_LOCKED]
    host.input("locked_end", False)  # the handle moved it; now lock and stall
    host.request(2, b"\x10")
    host.take_events()
    host.send(
        {"op": "adc", "name": "motor_current", "value": adc_u16(1.0 * SENSE_OHMS)}
    )
    host.advance(140)  # inrush: a high current is expected
    assert host.board.controller.bolt.moving
    host.advance(100)
    assert not host.board.controller.bolt.moving
    assert bolt_events(host) == [wire.BOLT_JAMMED]
    assert host.out["out"]["motor_sleep"] is False


def test_travel_that_takes_too_long_is_jammed() -> None:
    host = started()
    host.input("locked_end", False)
    host.take_events()
    host.request(1, b"\x10")
    host.take_events()
    host.advance(2990)
    assert host.board.controller.bolt.moving
    host.advance(30)
    assert bolt_events(host) == [wire.BOLT_JAMMED]


def test_a_bridge_fault_stops_the_motor() -> None:
    host = started()
    host.request(1, b"\x11\x01")
    host.take_events()
    host.input("motor_fault", True)
    assert bolt_events(host) == [wire.BOLT_JAMMED]
    assert host.out["out"]["motor_in1"] is False


def test_a_bolt_moved_by_hand_is_reported_at_its_end_stop() -> None:
    """L-07: the key turns; the bolt is reported when it reaches the other end."""
    host = started()
    host.input("cylinder", True)
    host.input("cylinder", False)
    host.input("locked_end", False)
    assert kinds(host.take_events()) == [wire.EV_MECHANICAL_KEY]
    host.input("unlocked_end", True)
    assert bolt_events(host) == [wire.BOLT_UNLOCKED]


def test_bluetooth_state_changes_are_reported() -> None:
    """L-12: a phone connects (then presents its key) and leaves: two BLUETOOTH events."""
    host = started()
    host.send({"op": "radio", "connected": True, "key": "K7"})
    events = host.take_events()
    assert kinds(events) == [wire.EV_BLUETOOTH, wire.EV_BLUETOOTH_KEY]
    assert events[0][5:] == bytes((wire.BT_CONNECTED,))
    host.send({"op": "radio", "connected": False})
    events = host.take_events()
    assert kinds(events) == [wire.EV_BLUETOOTH]
    assert events[0][5:] == bytes((wire.BT_IDLE,))


def test_a_bluetooth_key_asks_to_open_or_to_lock() -> None:
    """L-12, L-31: the phone's key comes as BLUETOOTH_KEY (open) or BLUETOOTH_LOCK."""
    host = started()
    host.send({"op": "radio", "connected": True, "key": "K7", "lock": True})
    events = host.take_events()
    assert kinds(events) == [wire.EV_BLUETOOTH, wire.EV_BLUETOOTH_LOCK]
    assert events[1][5:] == b"\x02K7"
    host.send({"op": "radio", "key": "K7"})
    events = host.take_events()
    assert kinds(events) == [wire.EV_BLUETOOTH_KEY]
    assert events[0][5:] == b"\x02K7"


def test_keypad_wakes_reports_keys_and_goes_dark() -> None:
    """L-03 wake on a hand, keys on release, L-48 long press, dark after 20 s."""
    host = started()
    host.touch(0, 0x1000)  # proximity: a hand near the keypad
    host.touch(0, 0)
    host.touch(0, 1 << 7)
    host.touch(0, 0)
    host.touch(1, 1 << 1)  # the doorbell
    host.touch(1, 0)
    host.touch(0, 1, ago=2000)  # 0 held for 2 s: long press at once
    host.touch(0, 0)
    events = host.take_events()
    assert kinds(events) == [wire.EV_KEYPAD_WAKE] + [wire.EV_KEY] * 3
    assert [event[5:] for event in events[1:]] == [
        b"\x07\x00",
        b"\x0d\x00",
        b"\x00\x01",
    ]
    assert host.out["leds"][15] == 1  # the backlight
    host.request(1, b"\x20\x02\x00\x00\x00\x01")  # blink 0 (pairing)
    host.advance(19_999)
    assert host.take_events() == []
    host.advance(1)
    assert kinds(host.take_events()) == [wire.EV_KEYPAD_SLEEP]
    assert host.out["leds"][15] == 0
    assert host.out["modes"][0] == wire.LED_BLINK  # the blinking 0 survives


def test_a_key_held_past_the_idle_sleep_lets_the_loop_sleep_until_its_release() -> None:
    """A key still held when the keypad would go dark: no sleep, and no busy loop."""
    host = started()
    host.touch(0, 1 << 7)  # 7 down, and kept down
    host.take_events()
    host.advance(IDLE_SLEEP_MS + 1_000)
    assert kinds(host.take_events()) == [wire.EV_KEY]  # its long press
    host.touch(0, 0)
    host.advance(IDLE_SLEEP_MS)
    assert kinds(host.take_events()) == [wire.EV_KEYPAD_SLEEP]


def test_set_button_short_long_and_held_at_power_up() -> None:
    """L-04, L-63, L-65."""
    host = started()
    host.input("set_button", True)
    host.input("set_button", False)
    host.input("set_button", True)
    host.advance(3000)
    host.input("set_button", False)
    events = host.take_events()
    assert [event[5] for event in events] == [wire.PRESS_SHORT, wire.PRESS_LONG]
    held = Host(inputs={"door_closed": True, "locked_end": True, "set_button": True})
    held.request(0, b"\x01\x01")
    events = held.take_events()
    assert (events[-1][4], events[-1][5]) == (
        wire.EV_SET_BUTTON,
        wire.PRESS_HELD_AT_POWER_UP,
    )
    held.input("set_button", False)
    assert held.take_events() == []


def test_battery_curve_and_low_warning() -> None:
    """L-06, L-62: percent from the pack's voltage; low below 20 %."""
    assert percent_of_cell(4.20) == 100.0
    assert percent_of_cell(3.66) == 20.0
    assert percent_of_cell(2.5) == 0.0
    host = Host(battery=battery_u16(19))
    host.request(0, b"\x01\x01")
    assert [event[5:] for event in host.take_events()] == [b"\x13\x01"]  # 19 %, low
    status = host.request(1, b"\x02")
    assert (status[4], status[5] & 0x01) == (19, 1)
    host.send({"op": "adc", "name": "battery", "value": battery_u16(18.8)})
    host.advance(60_000)
    assert host.take_events() == []  # 0.2 % is noise, not news
    host.send({"op": "adc", "name": "battery", "value": battery_u16(18.2)})
    host.advance(60_000)
    assert [event[5:] for event in host.take_events()] == [b"\x12\x01"]


def test_low_battery_hysteresis() -> None:
    """L-62: low below 20 %, and low until back at 25 %, down and up across both."""
    host = Host(battery=battery_u16(21))
    host.request(0, b"\x01\x01")
    assert [event[5:] for event in host.take_events()] == [b"\x15\x00"]  # 21 %
    # Going down (the pack drains), then up (charged while a power bank runs the lock).
    steps = [(20, 0), (19, 1), (20, 1), (21, 1), (24, 1), (25, 0), (24, 0), (20, 0)]
    steps += [(19, 1), (25, 0)]
    for seq, (percent, low) in enumerate(steps, start=1):
        host.send({"op": "adc", "name": "battery", "value": battery_u16(percent)})
        host.advance(60_000)
        assert [event[5:] for event in host.take_events()] == [bytes((percent, low))]
        status = host.request(seq, b"\x02")
        assert (status[4], status[5] & 0x01) == (percent, low)


def test_low_battery_at_power_up() -> None:
    """L-62: at power-up there is no history; a pack at 20 % or more is not low."""
    for percent, low in ((19, 1), (20, 0), (24, 0)):
        host = Host(battery=battery_u16(percent))
        host.request(0, b"\x01\x01")
        assert [event[5:] for event in host.take_events()] == [bytes((percent, low))]


def test_prompts_volume_and_siren() -> None:
    """L-48 mute drops prompts; L-60 siren for its time."""
    host = started()
    host.request(1, b"\x21\x04")
    host.request(2, b"\x22\x00")
    host.request(3, b"\x21\x03")
    host.request(4, b"\x22\x03")
    host.request(5, b"\x21\x1d")
    assert host.board.voice.played == [0x04, 0x1D]
    assert host.board.voice.volume == 30
    host.request(6, b"\x23\x01\x00\x3c")
    assert host.out["out"]["siren"] is True
    host.advance(59_999)
    assert host.out["out"]["siren"] is True
    host.advance(1)
    assert host.out["out"]["siren"] is False
    assert host.board.store.record["volume"] == 3  # kept across a restart


def _status_of(answer: bytes) -> int:
    return answer[1]


def test_show_number_lights_each_digit_slowly_in_turn() -> None:
    """L-21: SHOW_NUMBER 00 00 01: 0, 0, 1, each lit 600 ms then dark 400 ms."""
    host = started()
    host.request(1, b"\x20\x01\x00\x00\x00\x3f")  # the host lit 0..5
    assert _status_of(host.request(2, b"\x24\x00\x00\x01")) == wire.OK
    seen = []
    for _ in range(3):
        seen.append((host.out["showing"], host.out["leds"][:6]))
        host.advance(600)
        seen.append((host.out["showing"], host.out["leds"][:6]))
        host.advance(400)
    assert seen == [
        (1, [2, 0, 0, 0, 0, 0]),
        (0, [0] * 6),
        (1, [2, 0, 0, 0, 0, 0]),
        (0, [0] * 6),
        (2, [0, 2, 0, 0, 0, 0]),
        (0, [0] * 6),
    ]
    assert host.out["showing"] == -1
    assert host.out["leds"][:6] == [2] * 6  # the host's keys come back
    for bad in (b"\x24", b"\x24\x0a", b"\x24" + bytes(11)):
        assert _status_of(host.request(3, bad)) == wire.INVALID_ARGUMENT


def test_flash_keypad_flashes_every_key() -> None:
    """L-48: FLASH_KEYPAD 02: every key on 300 ms, off 300 ms, twice."""
    host = started()
    assert _status_of(host.request(1, b"\x25\x02")) == wire.OK
    seen = []
    for _ in range(4):
        seen.append(host.out["leds"][:14])
        host.advance(300)
    assert seen == [[2] * 14, [0] * 14, [2] * 14, [0] * 14]
    assert host.out["showing"] == -1
    for bad in (b"\x25\x00", b"\x25\x06", b"\x25"):
        assert _status_of(host.request(2, bad)) == wire.INVALID_ARGUMENT


def test_read_out_info_spells_the_identity_then_reports_done() -> None:
    """L-64: lead-in, then serial, firmware and code, one clip each; then READ_OUT_DONE."""
    host = started()
    assert _status_of(host.request(1, b"\x26\x01")) == wire.OK
    host.advance(60_000)
    expected = bytes((0x20, 0x40)) + readout.clips_of("EZ1234567")
    expected += bytes((0x41,)) + readout.clips_of("1.4.0")
    expected += bytes((0x42,)) + readout.clips_of("ABCDEF")
    assert bytes(host.board.voice.played) == expected
    spelled = readout.clips_of("1.4.0-a")
    assert spelled == bytes((0x51, 0x74, 0x54, 0x74, 0x50, 0x75, 0x5A))
    assert kinds(host.take_events()) == [wire.EV_READ_OUT_DONE]


def test_read_out_info_stops_on_request_or_a_prompt_and_is_silent_muted() -> None:
    """L-64: back stops it (READ_OUT_DONE at once); a prompt cuts it; muted: done at once."""
    host = started()
    host.request(1, b"\x26\x01")
    host.advance(2_000)
    host.request(2, b"\x26\x00")
    assert kinds(host.take_events()) == [wire.EV_READ_OUT_DONE]
    played = len(host.board.voice.played)
    host.advance(60_000)
    assert len(host.board.voice.played) == played
    host.request(3, b"\x26\x01")
    host.request(4, b"\x21\x0c")  # MENU
    assert kinds(host.take_events()) == [wire.EV_READ_OUT_DONE]
    host.request(5, b"\x22\x00")  # volume 0
    host.request(6, b"\x26\x01")
    assert kinds(host.take_events()) == [wire.EV_READ_OUT_DONE]


def test_dfplayer_frames_match_the_datasheet() -> None:
    """DFPlayer Mini manual: play track 1 is 7E FF 06 03 00 00 01 FE F7 EF."""
    assert dfplayer_frame(0x03, 1) == bytes.fromhex(
        "7eff06030000 01fef7ef".replace(" ", "")
    )
    assert dfplayer_frame(0x06, 30) == bytes.fromhex(
        "7eff0606000 01efed7ef".replace(" ", "")
    )


def test_a_missing_chip_is_a_fault_not_a_crash() -> None:
    """The link works without the keypad (the host still gets STATUS)."""
    host = Host()
    board = host.board
    del board.i2c.chips[0x5A]
    board.controller.faults = []
    board.controller.start(host.now)
    assert board.controller.faults
    host.request(0, b"\x01\x01")
    assert host.request(1, b"\x02")[2] == wire.BOLT_LOCKED
