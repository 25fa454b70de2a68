"""Payload codecs of the MCU link and of the fingerprint / face / palm modules.

The driver and the simulated hardware share these codecs, so each must round-trip
exactly and reject anything malformed with DecodeError (never another exception).
"""

from __future__ import annotations

import contextlib

from hypothesis import given, settings, strategies as st
import pytest

from ezlock_edge.framing import ef01, efaa, mcu_messages as msg
from ezlock_edge.framing.errors import DecodeError
from ezlock_edge.vocabulary.mcu import (
    MAX_VOLUME,
    BluetoothState,
    BoltCause,
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
    McuStatus,
    PowerSource,
    Prompt,
    Sensor,
    SetPress,
)

RELAXED = settings(deadline=None)
"""Fast, but a loaded CI machine must not turn timing into a failure."""

text = st.text(max_size=20)
requests = st.one_of(
    st.builds(msg.Hello, st.integers(0, 255)),
    st.builds(msg.Hello, st.integers(0, 255), st.integers(1, 255)),
    st.builds(
        msg.Hello,
        st.integers(0, 255),
        st.integers(1, 255),
        st.integers(0, 255).map(McuOption),  # reserved bits kept as sent
    ),
    st.builds(msg.GetStatus),
    st.builds(msg.Lock),
    st.builds(msg.Unlock, st.sampled_from(DoorDirection)),
    st.builds(
        msg.SetLeds,
        st.sampled_from(LedMode),
        st.frozensets(st.sampled_from([*Key, *Led])),
    ),
    st.builds(msg.PlayPrompt, st.sampled_from(Prompt)),
    st.builds(msg.SetVolume, st.integers(0, MAX_VOLUME)),
    st.builds(msg.Siren, st.booleans(), st.integers(0, 0xFFFF)),
    st.builds(msg.SetDoorDirection, st.sampled_from(DoorDirection)),
    st.builds(msg.SetWifi, st.booleans()),
    st.builds(msg.ShowNumber, st.text("0123456789", min_size=1, max_size=10)),
    st.builds(msg.FlashKeypad, st.integers(1, msg.FLASH_COUNT_MAX)),
    st.builds(msg.ReadOutInfo, st.booleans()),
)
statuses = st.builds(
    McuStatus,
    bolt=st.sampled_from(BoltState),
    door=st.sampled_from(DoorState),
    battery_percent=st.integers(0, 100),
    low_battery=st.booleans(),
    power_source=st.sampled_from(PowerSource),
    tamper=st.booleans(),
    wifi_enabled=st.booleans(),
    wifi_rssi=st.integers(-128, 127),
    bluetooth=st.sampled_from(BluetoothState),
    door_direction=st.sampled_from(DoorDirection),
)
seqs = st.integers(0, 0xFFFFFFFF)
EVENT_FIELDS: dict[McuEventKind, dict[str, st.SearchStrategy[object]]] = {
    McuEventKind.KEY: {"key": st.sampled_from(Key), "long_press": st.booleans()},
    McuEventKind.SET_BUTTON: {"set_press": st.sampled_from(SetPress)},
    McuEventKind.DOOR: {"door": st.sampled_from(DoorState)},
    McuEventKind.BOLT: {
        "bolt": st.sampled_from(BoltState),
        "bolt_cause": st.none() | st.sampled_from(BoltCause),
    },
    McuEventKind.BATTERY: {
        "battery_percent": st.integers(0, 100),
        "low_battery": st.booleans(),
    },
    McuEventKind.EMERGENCY_POWER: {"connected": st.booleans()},
    McuEventKind.BLUETOOTH_KEY: {"bluetooth_key": text},
    McuEventKind.BLUETOOTH_LOCK: {"bluetooth_key": text},
    McuEventKind.SENSOR_WAKE: {"sensor": st.sampled_from(Sensor)},
    McuEventKind.BLUETOOTH: {"bluetooth": st.sampled_from(BluetoothState)},
}
# Every other kind (keypad wake/sleep, lock button, tamper, mechanical key) has no data.
events = st.sampled_from(McuEventKind).flatmap(
    lambda kind: st.builds(McuEvent, seqs, st.just(kind), **EVENT_FIELDS.get(kind, {}))
)


@RELAXED
@given(requests)
def test_request_round_trip(request: msg.McuRequest) -> None:
    """Every MCU command (hello, status, lock, unlock, LEDs, prompt, volume, siren...)."""
    assert msg.decode_request(msg.encode_request(request)) == request


@RELAXED
@given(events)
def test_event_round_trip(event: McuEvent) -> None:
    """Every MCU event kind survives the wire with its number and fields."""
    assert msg.decode_event(msg.encode_event(event)) == event


@RELAXED
@given(statuses)
def test_status_round_trip(status: McuStatus) -> None:
    """The STATUS answer (L-01, L-02, L-05, L-06, L-08, L-12, L-46)."""
    assert msg.decode_status(msg.encode_status(status)) == status


@RELAXED
@given(
    st.integers(0, 255),
    st.builds(McuInfo, text, text, text, text, st.frozensets(text, max_size=12)),
)
def test_hello_round_trip(version: int, info: McuInfo) -> None:
    """HELLO gives serial, model, firmware, verification code, capabilities (L-64)."""
    for reply in (
        msg.HelloReply(version, info),
        msg.HelloReply(version, info, 32),
        msg.HelloReply(version, info, 32, McuOption.BOLT_CAUSE),
        msg.HelloReply(version, info, 1, McuOption.NONE),
    ):
        assert msg.HelloReply.decode(reply.encode()) == reply


def test_a_bolt_cause_outside_the_document_is_a_decode_error() -> None:
    """Causes 00 and 01 only; three data bytes are no BOLT either."""
    with pytest.raises(DecodeError, match="BoltCause"):
        msg.decode_event(bytes.fromhex("00 00 00 2B 07 02 02"))
    with pytest.raises(DecodeError):
        msg.decode_event(bytes.fromhex("00 00 00 2B 07 02 01 00"))


@RELAXED
@given(st.integers(0, 255), st.sampled_from(msg.ResponseStatus), st.binary(max_size=40))
def test_response_round_trip(
    command: int, status: msg.ResponseStatus, data: bytes
) -> None:
    """RESPONSE carries the command byte, a status and data."""
    response = msg.McuResponse(command, status, data)
    assert msg.McuResponse.decode(response.encode()) == response


@RELAXED
@given(seqs)
def test_event_ack_round_trip(seq: int) -> None:
    """EVENT_ACK carries the u32 event number."""
    assert msg.decode_event_ack(msg.encode_event_ack(seq)) == seq


@pytest.mark.parametrize(
    "decode",
    [
        msg.decode_request,
        msg.decode_event,
        msg.decode_status,
        msg.decode_event_ack,
        msg.McuResponse.decode,
        msg.HelloReply.decode,
        ef01.SearchParams.decode,
        ef01.SearchResult.decode,
        ef01.StoreParams.decode,
        ef01.DeleteParams.decode,
        ef01.SystemParameters.decode,
        ef01.decode_u8,
        ef01.decode_u16,
        lambda data: ef01.decode_index_table(data, 0),
        efaa.Reply.decode,
        efaa.Note.decode,
        efaa.VerifyParams.decode,
        efaa.VerifyResult.decode,
        efaa.EnrollParams.decode,
        efaa.EnrollResult.decode,
        efaa.decode_user,
        efaa.decode_user_list,
        efaa.decode_version,
    ],
)
@RELAXED
@given(raw=st.binary(max_size=80))
def test_random_payloads_only_raise_decode_error(decode: object, raw: bytes) -> None:
    """Malformed payloads are refused with DecodeError, never another exception."""
    assert callable(decode)
    with contextlib.suppress(DecodeError):
        decode(raw)


def test_unknown_command_keeps_its_code() -> None:
    """The MCU answers UNKNOWN_COMMAND for a command from a newer host."""
    with pytest.raises(msg.UnknownCommandError) as caught:
        msg.decode_request(b"\x7f")
    assert caught.value.command == 0x7F


def test_led_bitmap_rejects_unknown_leds() -> None:
    """Bit 31 is no LED: SET_LEDS with it is an invalid argument."""
    with pytest.raises(DecodeError):
        msg.SetLeds.decode_args(bytes((LedMode.ON, 0x80, 0, 0, 0)))


@RELAXED
@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 255))
def test_ef01_params_round_trip(first: int, second: int, buffer: int) -> None:
    """Search and DeleteChar parameters (L-09)."""
    search = ef01.SearchParams(buffer, first, second)
    assert ef01.SearchParams.decode(search.encode()) == search
    delete = ef01.DeleteParams(first, second)
    assert ef01.DeleteParams.decode(delete.encode()) == delete


@RELAXED
@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 255))
def test_ef01_results_round_trip(page: int, score: int, buffer: int) -> None:
    """Search hit (slot and score) and Store parameters."""
    assert ef01.SearchResult.decode(ef01.SearchResult(page, score).encode()) == (
        ef01.SearchResult(page, score)
    )
    assert ef01.StoreParams.decode(ef01.StoreParams(buffer, page).encode()) == (
        ef01.StoreParams(buffer, page)
    )
    assert ef01.decode_u16(ef01.encode_u16(page)) == page
    assert ef01.decode_u8(ef01.encode_u8(buffer)) == buffer


def test_system_parameters_as_the_manual_lays_them_out() -> None:
    """R503 manual p. 13: seven fields, the library size third (an R503's 200 pages)."""
    data = bytes.fromhex("0004 0000 00C8 0003 FFFFFFFF 0002 0006")
    parameters = ef01.SystemParameters.decode(data)
    assert parameters == ef01.SystemParameters(4, 0, 200, 3, 0xFFFFFFFF, 2, 6)
    assert parameters.encode() == data


@RELAXED
@given(
    st.lists(st.integers(0, 0xFFFF), min_size=6, max_size=6), st.integers(0, 2**32 - 1)
)
def test_system_parameters_round_trip(fields: list[int], address: int) -> None:
    """ReadSysPara's acknowledge data."""
    status, system_id, size, level, packet, baud = fields
    parameters = ef01.SystemParameters(
        status, system_id, size, level, address, packet, baud
    )
    assert ef01.SystemParameters.decode(parameters.encode()) == parameters


@RELAXED
@given(st.sets(st.integers(0, 1023)), st.integers(0, 3))
def test_index_table_round_trip(pages: set[int], index_page: int) -> None:
    """ReadIndexTable returns exactly the used slots of its page."""
    table = ef01.encode_index_table(pages, index_page)
    expected = {p for p in pages if p // ef01.INDEX_PAGE_SIZE == index_page}
    assert ef01.decode_index_table(table, index_page) == expected


@RELAXED
@given(
    st.sampled_from(efaa.MsgId),
    st.sampled_from(efaa.Result),
    st.binary(max_size=40),
    st.sampled_from(efaa.NoteId),
)
def test_efaa_reply_and_note_round_trip(
    command: efaa.MsgId, result: efaa.Result, data: bytes, note: efaa.NoteId
) -> None:
    """REPLY {command, result, data} and unsolicited NOTE {id, data}."""
    reply = efaa.Reply(command, result, data)
    assert efaa.Reply.decode(reply.frame().data) == reply
    assert efaa.Note.decode(efaa.Note(note, data).frame().data) == efaa.Note(note, data)


@RELAXED
@given(
    st.integers(0, 0xFFFF),
    st.integers(0, 255),
    st.integers(0, efaa.ALL_DIRECTIONS).map(efaa.Direction),
    st.sets(st.integers(0, 0xFFFF), max_size=100),
    st.text(
        st.characters(exclude_characters="\0", exclude_categories=["Cs"]),
        max_size=10,
    ),
)
def test_efaa_layouts_round_trip(
    user: int, timeout: int, direction: efaa.Direction, users: set[int], version: str
) -> None:
    """Verify / enroll (5 poses, L-10) / delete / user list / version layouts."""
    assert efaa.VerifyParams.decode(efaa.VerifyParams(timeout).encode()) == (
        efaa.VerifyParams(timeout)
    )
    assert efaa.VerifyResult.decode(efaa.VerifyResult(user).encode()).user_id == user
    params = efaa.EnrollParams(direction, timeout)
    assert efaa.EnrollParams.decode(params.encode()) == params
    palm = efaa.EnrollParams(direction, timeout, palm=True)
    assert efaa.EnrollParams.decode(palm.encode(), palm=True) == palm
    result = efaa.EnrollResult(user, direction)
    assert efaa.EnrollResult.decode(result.encode()) == result
    assert efaa.decode_user(efaa.encode_user(user)) == user
    assert efaa.decode_user_list(efaa.encode_user_list(users)) == users
    assert efaa.decode_version(efaa.encode_version(version)) == version


@pytest.mark.parametrize(
    ("version", "error"),
    [
        ("\ud800", "not UTF-8"),  # a lone surrogate is not text
        ("v1\0", "NUL"),  # the padding
        ("x" * (efaa.VERSION_SIZE + 1), "too long"),
    ],
)
def test_efaa_version_outside_the_charset_is_a_clear_error(
    version: str, error: str
) -> None:
    """GET_VERSION carries UTF-8 without NUL: anything else is refused, by name."""
    with pytest.raises(ValueError, match=error):
        efaa.encode_version(version)


def test_face_poses_cover_every_direction() -> None:
    """A face enrollment asks for all five poses once (L-10)."""
    assert len(set(efaa.FACE_POSES)) == 5
    combined = efaa.Direction(0)
    for pose in efaa.FACE_POSES:
        combined |= pose
    assert combined == efaa.ALL_DIRECTIONS
