"""The MCU link against the byte-exact examples of docs/serial-protocol.md."""

from ezlock_mcu import wire
from support import Host, battery_u16, kinds, started


def h(text: str) -> bytes:
    """Bytes from the document's hex notation."""
    return bytes(int(part, 16) for part in text.split())


def test_crc_check_value() -> None:
    assert wire.crc16(b"123456789") == 0x29B1


def test_hello_answer_is_the_documents_bytes() -> None:
    host = Host()
    host.board.radio.has_wifi = True
    host.board.controller._capabilities = ["face", "palm"]
    answer = host.raw(h("A5 5A 04 03 00 01 01 20 C6"))
    assert answer[:7] == h("A5 5A 02 01 00 91 CD")
    response = h(
        "A5 5A 33 04 00 01 00 01 09 45 5A 31 32 33 34 35 36 37 0B 45 5A 4C 4F 43 4B"
        " 2D 36 30 36 38 05 31 2E 34 2E 30 06 41 42 43 44 45 46 02 04 66 61 63 65 04"
        " 70 61 6C 6D 90 3F"
    )
    assert answer[7 : 7 + len(response)] == response


def test_hello_with_a_window_is_the_documents_bytes() -> None:
    host = Host()
    host.board.radio.has_wifi = True
    host.board.controller._capabilities = ["face", "palm"]
    answer = host.raw(h("A5 5A 05 03 00 01 01 20 83 A0"))
    assert answer[:7] == h("A5 5A 02 01 00 91 CD")
    response = h(
        "A5 5A 34 04 00 01 00 01 09 45 5A 31 32 33 34 35 36 37 0B 45 5A 4C 4F 43 4B"
        " 2D 36 30 36 38 05 31 2E 34 2E 30 06 41 42 43 44 45 46 02 04 66 61 63 65 04"
        " 70 61 6C 6D 20 07 4C"
    )
    assert answer[7 : 7 + len(response)] == response


def test_status_answer_is_the_documents_bytes() -> None:
    """Locked, closed, 87 %, battery power, Wi-Fi on at -61 dBm, idle, right-opening."""
    host = Host(battery=battery_u16(87))
    host.send({"op": "radio", "rssi": -61})
    host.request(0, b"\x01\x01")
    answer = host.raw(h("A5 5A 03 03 01 02 55 3F"))
    assert answer.startswith(
        h("A5 5A 02 01 01 81 EC")
        + h("A5 5A 0C 04 01 02 00 01 01 57 04 01 C3 01 01 C9 8E")
    )


def test_documented_requests_get_their_answers() -> None:
    host = started()
    assert host.raw(h("A5 5A 04 03 02 11 02 7D B6"))[7:].startswith(
        h("A5 5A 04 04 02 11 00")
    )  # UNLOCK left: OK (the motor runs)
    assert host.request(0x7F, b"\x7f") == b"\x7f\x01"  # UNKNOWN_COMMAND
    assert host.request(0x10, b"\x11\x09") == b"\x11\x02"  # no such direction
    assert host.request(0x11, b"\x22\x04") == b"\x22\x02"  # volume 4 > 3
    assert host.request(0x12, b"\x20\x02\x00\x02\x00\x00") == b"\x20\x02"  # LED 0x11


def test_a_retransmitted_unlock_runs_once() -> None:
    host = started()
    host.frames = []
    first = host.request(5, b"\x11\x01")
    events = host.events()
    assert kinds(events) == [wire.EV_BOLT]  # UNLOCKING
    again = host.request(5, b"\x11\x01")  # same seq, same payload
    assert again == first == b"\x11\x00"  # not BUSY: the command did not run again
    assert host.request(6, b"\x11\x01") == b"\x11\x03"  # a new request: BUSY


def test_hello_is_never_answered_from_the_cache() -> None:
    host = started()
    host.request(1, b"\x02")
    host.request(1, b"\x01\x01")  # HELLO with the seq of the last request: runs
    assert host.board.controller.link.sessions == 2


def test_malformed_and_unknown_frames_get_naks() -> None:
    host = started()
    host.frames = []
    host.raw(wire.encode_frame(wire.REQUEST, 3, b""))
    assert host.frames == [(wire.NAK, 3, bytes((wire.NAK_MALFORMED,)))]
    host.frames = []
    host.raw(wire.encode_frame(wire.EVENT_ACK, 4, b"\x00\x01"))
    assert host.frames == [(wire.NAK, 4, bytes((wire.NAK_MALFORMED,)))]
    host.frames = []
    host.raw(wire.encode_frame(wire.RESPONSE, 5, b"\x02\x00"))
    assert host.frames == [(wire.NAK, 5, bytes((wire.NAK_UNKNOWN_TYPE,)))]
    host.frames = []
    host.raw(wire.encode_frame(0x7E, 6, b""))
    assert host.frames == [(wire.NAK, 6, bytes((wire.NAK_UNKNOWN_TYPE,)))]


def test_garbage_and_a_lying_length_are_skipped() -> None:
    host = started()
    frame = wire.encode_frame(wire.REQUEST, 9, b"\x02")
    host.frames = []
    host.raw(b"\xa5\x5a\xff\x00junk" + frame[:-1] + b"\x00")  # waits for 260 bytes
    assert host.frames == []
    host.advance(50)  # the line idles: the partial frame is given up
    host.raw(frame)
    assert [kind for kind, _, _ in host.frames][:2] == [wire.ACK, wire.RESPONSE]
    assert host.board.controller.link._parser.bad_frames >= 1


def test_events_wait_for_their_ack_and_are_resent_every_second() -> None:
    host = started()
    host.input("lock_button", True)
    host.input("lock_button", False)
    first = host.events()[-1:]
    assert kinds(first) == [wire.EV_LOCK_BUTTON]
    number = int.from_bytes(first[0][:4], "big")
    host.frames = []
    host.input("door_closed", False)  # a second event waits behind the first
    assert host.events() == []
    host.advance(999)
    assert host.events() == []
    host.advance(1)
    assert host.events() == first  # the same event, in a new frame
    host.frames = []
    host.ack(number)
    door = host.events()
    assert kinds(door) == [wire.EV_DOOR]
    assert int.from_bytes(door[0][:4], "big") == number + 1


def test_a_new_session_sends_the_oldest_event_at_once() -> None:
    host = started()
    host.frames = []
    host.input("tamper", True)
    pending = host.events()
    host.frames = []
    host.request(0, b"\x01\x01")  # a restarted driver: HELLO, seq 0
    assert host.events() == pending


def test_a_full_buffer_drops_the_oldest() -> None:
    host = Host(event_capacity=4)
    for _ in range(3):
        host.input("lock_button", True)
        host.input("lock_button", False)
    events = host.board.controller.events
    assert (events.count, events.dropped) == (4, 0)
    host.input("door_closed", False)
    host.input("door_closed", True)
    assert (events.count, events.dropped) == (4, 2)
    assert events.number(0) == 3  # 1 (battery) and 2 are gone: the host sees the gap


def test_event_numbers_reserve_flash_blocks() -> None:
    host = Host()
    store = host.board.store
    assert store.writes == 1  # block 1..256 reserved at the first event
    for _ in range(300):
        host.input("lock_button", True)
        host.input("lock_button", False)
    assert store.writes == 2
    assert store.record == {"next": 513}
    restarted = Host(record=store.record)  # power back on: the flash kept the block
    assert restarted.board.controller.events.number(0) == 513


def test_hello_with_a_window_gets_the_granted_window_appended() -> None:
    host = Host(event_capacity=16)
    host.board.controller._capabilities = ["face", "palm"]
    plain = host.request(0, b"\x01\x01")
    assert host.board.controller.link.window == 1  # no window asked: stop-and-wait
    asked = host.request(1, b"\x01\x01\x20")  # version 1, window 32
    assert asked == plain + b"\x10"  # the same answer, then the window: 16 (capacity)
    assert host.board.controller.link.window == 16
    assert host.request(2, b"\x01\x01\x08")[-1] == 8
    assert host.request(3, b"\x01\x01\x00") == b"\x01\x02"  # window 0: INVALID


def _presses(host: Host, count: int) -> None:
    for _ in range(count):
        host.input("lock_button", True)
        host.input("lock_button", False)


def test_a_window_of_events_is_in_flight_and_acknowledged_cumulatively() -> None:
    host = Host()
    host.request(0, b"\x01\x01\x04")  # window 4; the battery report goes at once
    _presses(host, 5)  # six events queued
    sent = [int.from_bytes(e[:4], "big") for e in host.events()]
    first = sent[0]
    host.frames = []
    host.advance(10)
    assert host.events() == []  # the window is full
    host.ack(first + 2)  # acknowledges the three oldest
    numbers = [int.from_bytes(e[:4], "big") for e in host.events()]
    assert numbers == [first + 4, first + 5]  # the window slides by three
    host.frames = []
    host.ack(first + 1)  # stale: already acknowledged
    assert host.events() == []
    assert host.board.controller.events.count == 3


def test_a_window_without_ack_is_resent_whole_from_the_oldest() -> None:
    host = Host()
    host.request(0, b"\x01\x01\x03")  # window 3: the battery report is in flight
    _presses(host, 4)  # two join it, two wait
    assert _numbers(host.events())[-3:] == [1, 2, 3]
    host.frames = []
    host.advance(999)
    assert host.events() == []
    host.advance(1)
    assert _numbers(host.events()) == [1, 2, 3]  # go-back-N: the same three, in order
    host.frames = []
    host.ack(3)
    assert _numbers(host.events()) == [4, 5]  # the two that waited behind the window


def _numbers(events: "list[bytes]") -> "list[int]":
    return [int.from_bytes(event[:4], "big") for event in events]


def test_a_full_buffer_sends_every_event_it_still_keeps() -> None:
    # Window 2 of a 4-slot buffer: 1 and 2 in flight, 3 and 4 wait. Event 5 drops 1 (in
    # flight) from the full buffer: only 2 is in flight now, so 3 goes, and the next
    # round begins with the oldest kept (docs/serial-protocol.md, "Delivery guarantees").
    # It skipped 3: the host saw 2, 4 and took 3 for lost, acknowledging past it.
    host = Host(event_capacity=4)
    host.request(0, b"\x01\x01\x02")  # window 2: the battery report (1) goes at once
    _presses(host, 3)  # 2 joins it, 3 and 4 wait
    assert _numbers(host.events())[-2:] == [1, 2]
    host.frames = []
    _presses(host, 1)  # 5: the buffer (2, 3, 4, 5) dropped 1
    assert host.board.controller.events.dropped == 1
    assert _numbers(host.events()) == [3]
    host.frames = []
    host.ack(2)
    assert _numbers(host.events()) == [4]
    host.frames = []
    _presses(host, 2)  # 6 fills the buffer, 7 drops 3 (in flight): 4 is, 5 goes
    assert _numbers(host.events()) == [5]
    host.frames = []
    host.advance(1000)  # no ACK for a second: the round, from the oldest kept
    assert _numbers(host.events()) == [4, 5]
    host.frames = []
    host.ack(5)
    assert _numbers(host.events()) == [6, 7]


def test_events_answers_the_oldest_event_kept_in_the_documents_bytes() -> None:
    host = Host(record={"next": 45})  # the battery report at power-up is event 45
    host.request(0, b"\x01\x01")
    answer = host.raw(h("A5 5A 03 03 0D 03 00 73"))  # EVENTS, seq 0D
    assert answer.endswith(h("A5 5A 08 04 0D 03 00 00 00 00 2D EF C5"))  # 45
    host.ack(45)
    assert host.request(14, b"\x03") == b"\x03\x00" + (46).to_bytes(
        4, "big"
    )  # none kept
    _presses(host, 2)  # 46, 47
    host.ack(46)
    assert host.request(15, b"\x03") == b"\x03\x00" + (47).to_bytes(4, "big")
    assert host.request(16, b"\x03\x00") == b"\x03\x02"  # no arguments: INVALID


def test_events_says_what_a_full_buffer_dropped() -> None:
    host = Host(event_capacity=4)
    host.request(0, b"\x01\x01")
    _presses(host, 5)  # 1 (battery) .. 6: 1 and 2 dropped
    assert host.request(1, b"\x03") == b"\x03\x00" + (3).to_bytes(4, "big")


def test_hello_with_options_is_the_documents_bytes() -> None:
    """Window 32 and option 01 asked: window 20 and option 01 granted, appended."""
    host = Host()
    host.board.controller._capabilities = ["face", "palm"]
    answer = host.raw(h("A5 5A 06 03 00 01 01 20 01 C9 48"))
    assert answer[:7] == h("A5 5A 02 01 00 91 CD")
    response = h(
        "A5 5A 35 04 00 01 00 01 09 45 5A 31 32 33 34 35 36 37 0B 45 5A 4C 4F 43 4B"
        " 2D 36 30 36 38 05 31 2E 34 2E 30 06 41 42 43 44 45 46 02 04 66 61 63 65 04"
        " 70 61 6C 6D 20 01 B0 A1"
    )
    assert answer[7 : 7 + len(response)] == response
    assert host.board.controller.link.options == wire.OPT_BOLT_CAUSE


def test_the_options_granted_are_those_asked_and_known() -> None:
    host = Host()
    plain = host.request(0, b"\x01\x01\x20")  # a window, no options: no options byte
    assert host.board.controller.link.options == 0
    assert host.request(1, b"\x01\x01\x20\xff") == plain + b"\x01"  # reserved: no
    assert host.request(2, b"\x01\x01\x20\x00") == plain + b"\x00"
    assert host.board.controller.link.options == 0
    assert host.request(3, b"\x01\x01\x20\x01\x00") == b"\x01\x02"  # too long
    without = Host(options=0)  # a build that grants none
    assert without.request(0, b"\x01\x01\x20\x01")[-2:] == b"\x20\x00"


def test_bolt_reports_say_what_moved_the_bolt_in_a_session_that_asked() -> None:
    """Option 01: the motor's movements carry 01, a hand's 00 (the document's bytes)."""
    host = Host(record={"next": 42})  # the battery report is event 42
    host.request(0, b"\x01\x01\x01\x01")  # window 1, option 01
    assert kinds(host.take_events()) == [wire.EV_BATTERY]
    host.request(1, b"\x11\x01")  # UNLOCK, a right-opening door
    host.input("locked_end", False)
    host.input("unlocked_end", True)
    host.input("unlocked_end", False)  # the inside knob throws it back
    host.input("locked_end", True)
    assert host.take_events() == [
        h("00 00 00 2B 07 04 01"),  # event 43: UNLOCKING, the motor
        h("00 00 00 2C 07 02 01"),  # event 44: UNLOCKED, the motor
        h("00 00 00 2D 07 01 00"),  # event 45: LOCKED, by hand
    ]


def test_a_jammed_motor_is_the_motors() -> None:
    host = started()
    host.request(1, b"\x01\x01\x01\x01")
    host.input("locked_end", False)  # off its end stop by hand: nothing to report
    host.request(2, b"\x10")  # LOCK
    host.input("motor_fault", True)
    bolts = [event[4:] for event in host.take_events() if event[4] == wire.EV_BOLT]
    assert bolts == [h("07 03 01"), h("07 05 01")]  # LOCKING, JAMMED: the motor


def test_a_queued_bolt_goes_to_each_host_as_its_hello_asked() -> None:
    """The cause is kept with the BOLT and sent only in a session that asked for it."""
    host = started()
    host.request(1, b"\x01\x01\x01\x01")  # a host that asks
    host.frames = []
    host.request(2, b"\x11\x01")  # UNLOCKING queued and sent, not acknowledged
    assert [event[4:] for event in host.events()] == [h("07 04 01")]
    host.frames = []
    host.request(0, b"\x01\x01")  # a host of an earlier revision starts a session
    assert [event[4:] for event in host.events()] == [h("07 04")]
    host.frames = []
    host.request(0, b"\x01\x01\x01\x01")  # and a new one again: the same event
    assert [event[4:] for event in host.events()] == [h("07 04 01")]
