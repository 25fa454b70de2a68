"""The MCU link against a scripted peer on a real pty: the corner cases of the protocol.

The simulated MCU is a well-behaved peer; here the test plays an MCU that is silent,
busy, answers late, stale or garbled, or sends events this driver does not know, and
checks that the link retransmits, refuses or skips exactly as docs/serial-protocol.md
says.
"""

from __future__ import annotations

import asyncio
import binascii
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
import logging

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.framing.mcu import McuFrame, McuParser, MessageType, NakReason
from ezlock_edge.framing.mcu_messages import (
    Command,
    GetStatus,
    Hello,
    Lock,
    McuResponse,
    ResponseStatus,
    decode_event_ack,
    encode_event,
)
from ezlock_edge.protocol.mcu import ACK_TIMEOUT, RESPONSE_TIMEOUT, TRIES, McuLink
from ezlock_edge.protocol.receiver import IDLE_GAP
from ezlock_edge.transport import SerialPort
from ezlock_edge.vocabulary.errors import DeviceRejected, DeviceTimeout
from ezlock_edge.vocabulary.mcu import BoltState, DoorState, McuEvent, McuEventKind
from tests.support.waiting import WAIT, eventually

from .peer_support import PeerFactory, ScriptedPeer


class Peer:
    """The MCU's end of the pty, played by the test."""

    def __init__(self, scripted: ScriptedPeer[McuFrame]) -> None:
        """Wrap a scripted pty end that parses MCU frames."""
        self.scripted = scripted
        self.port = scripted.port
        self._markers = 0

    def send(self, frame: McuFrame | bytes) -> None:
        """Write a frame (or raw bytes) to the driver."""
        self.scripted.send(frame if isinstance(frame, bytes) else frame.encode())

    async def next(self, kind: MessageType) -> McuFrame:
        """Return the next frame of ``kind`` the driver sent."""
        return await self.scripted.next(lambda frame: frame.type is kind)

    def answer(
        self, request: McuFrame, status: ResponseStatus = ResponseStatus.OK
    ) -> None:
        """ACK ``request`` and send its RESPONSE."""
        self.send(McuFrame(MessageType.ACK, request.seq))
        response = McuResponse(request.payload[0], status)
        self.send(McuFrame(MessageType.RESPONSE, request.seq, response.encode()))

    def sent(self) -> list[McuFrame]:
        """Frames the driver sent that the test has not taken yet."""
        return self.scripted.sent()

    async def answer_oldest(self, number: int | None) -> None:
        """Answer the driver's OLDEST_EVENT: the oldest event kept is ``number``.

        None: an MCU of an earlier revision (UNKNOWN_COMMAND). As the document spells
        the frames: ACK, then RESPONSE 03 with its status and the number (u32).
        """
        request = await self.next(MessageType.REQUEST)
        assert request.payload == b"\x03", request
        self.send(doc_frame(0x01, request.seq, b""))
        data = b"\x01" if number is None else b"\x00" + number.to_bytes(4, "big")
        self.send(doc_frame(0x04, request.seq, b"\x03" + data))

    async def sync(self) -> list[McuFrame]:
        """Return what the driver sent before it answered a marker sent now.

        The marker is an EVENT too short to decode, which the driver NAKs (docs:
        "MALFORMED"): once its NAK is back, the driver has read every byte sent before
        it and written everything it was going to write in reaction, so what it did
        not send by then it did not send at all.
        """
        self._markers = (self._markers + 1) & 0xFF
        marker = self._markers
        self.send(McuFrame(MessageType.EVENT, marker, b""))
        before: list[McuFrame] = []
        while True:
            frame = await self.scripted.next()
            if frame.type is MessageType.NAK and frame.seq == marker:
                return before
            before.append(frame)


@pytest.fixture
async def peer(pty_peer: PeerFactory) -> Peer:
    """Script the MCU end of a pty."""
    return Peer(pty_peer("mcu", McuParser()))


@pytest.fixture
async def port(peer: Peer, clock: ManualClock) -> AsyncIterator[SerialPort]:
    """Open the driver's end of the peer's pty on the test's clock."""
    port = SerialPort(str(peer.port.path), 115200, name="mcu", clock=clock)
    await port.start()
    yield port
    await port.close()


@pytest.fixture
async def link(port: SerialPort) -> AsyncIterator[McuLink]:
    """Run the driver's MCU link, with its documented timeouts, on the port."""
    link = McuLink(port)
    link.start()
    yield link
    await link.close()


async def test_silent_mcu_times_out_after_retransmitting_the_same_frame(
    peer: Peer, link: McuLink, clock: ManualClock
) -> None:
    """No answer: the same REQUEST (same seq) every ACK timeout, 5 times, then DeviceTimeout."""
    task = asyncio.create_task(link.request(GetStatus()))
    sent = [await peer.next(MessageType.REQUEST)]
    for _ in range(TRIES - 1):
        clock.advance(ACK_TIMEOUT)
        sent.append(await peer.next(MessageType.REQUEST))
    clock.advance(ACK_TIMEOUT)
    with pytest.raises(DeviceTimeout, match="MCU did not answer STATUS after 5 tries"):
        await task
    assert len({frame.encode() for frame in sent}) == 1
    assert await peer.sync() == []  # and not a sixth time


async def test_ack_without_response_waits_longer_then_retransmits(
    peer: Peer, link: McuLink, clock: ManualClock
) -> None:
    """After an ACK the link waits for the RESPONSE too; then a repeat is answered."""
    task = asyncio.create_task(link.request(Lock()))
    first = await peer.next(MessageType.REQUEST)
    peer.send(McuFrame(MessageType.ACK, first.seq))
    assert await peer.sync() == []
    clock.advance(ACK_TIMEOUT)
    assert await peer.sync() == []  # acknowledged: not repeated at the ACK timeout
    clock.advance(RESPONSE_TIMEOUT)
    repeat = await peer.next(MessageType.REQUEST)
    assert repeat == first
    peer.answer(repeat)
    assert await task == b""


async def test_busy_nak_is_retried(
    peer: Peer, link: McuLink, clock: ManualClock
) -> None:
    """NAK BUSY: the request is sent again, and completes when the MCU can take it."""
    task = asyncio.create_task(link.request(Lock()))
    first = await peer.next(MessageType.REQUEST)
    peer.send(McuFrame(MessageType.NAK, first.seq, bytes((NakReason.BUSY,))))
    assert await peer.sync() == []  # the NAK is in and did not end the request
    clock.advance(ACK_TIMEOUT)
    peer.answer(await peer.next(MessageType.REQUEST))
    assert await task == b""


async def test_malformed_nak_and_refused_status_are_rejections(
    peer: Peer, link: McuLink
) -> None:
    """A NAK MALFORMED or a non-OK status raise DeviceRejected at once."""
    task = asyncio.create_task(link.request(Lock()))
    frame = await peer.next(MessageType.REQUEST)
    peer.send(McuFrame(MessageType.NAK, frame.seq, bytes((NakReason.MALFORMED,))))
    with pytest.raises(DeviceRejected, match="NAK"):
        await task
    task = asyncio.create_task(link.request(Lock()))
    peer.answer(await peer.next(MessageType.REQUEST), ResponseStatus.BUSY)
    with pytest.raises(DeviceRejected, match="LOCK: BUSY"):
        await task


async def test_stale_responses_and_garbage_are_ignored(
    peer: Peer, link: McuLink
) -> None:
    """Answers to other seqs or commands, and line garbage, do not answer a request."""
    task = asyncio.create_task(link.request(GetStatus()))
    frame = await peer.next(MessageType.REQUEST)
    stale = McuResponse(Command.LOCK, ResponseStatus.OK).encode()
    peer.send(McuFrame(MessageType.RESPONSE, (frame.seq - 1) & 0xFF, stale))
    peer.send(McuFrame(MessageType.RESPONSE, frame.seq, stale))
    peer.send(b"\x00\xa5\x13\x37")
    peer.send(
        McuFrame(MessageType.RESPONSE, frame.seq, bytes((Command.STATUS, 0)) + b"\x01")
    )
    assert await task == b"\x01"


async def test_partial_frame_is_given_up_when_the_line_goes_idle(
    peer: Peer, port: SerialPort, link: McuLink, clock: ManualClock
) -> None:
    """A header whose length byte was corrupted does not swallow the real answer."""
    task = asyncio.create_task(link.request(GetStatus()))
    frame = await peer.next(MessageType.REQUEST)
    received = port.bytes_received
    peer.send(b"\xa5\x5a\xf0\x04")  # announces 240 bytes that never come
    await eventually(lambda: port.bytes_received == received + 4, "the broken header")
    clock.advance(IDLE_GAP)
    peer.send(McuFrame(MessageType.RESPONSE, frame.seq, bytes((Command.STATUS, 0))))
    assert await task == b""
    assert peer.sent() == []  # answered without a retransmission


def doc_frame(kind: int, seq: int, payload: bytes) -> bytes:
    """Spell an MCU frame as docs/serial-protocol.md does, with the stdlib's CRC.

    ``A5 5A | len | type | seq | payload | CRC-16/CCITT-FALSE`` over len .. payload.
    """
    body = bytes((len(payload) + 2, kind, seq)) + payload
    return b"\xa5\x5a" + body + binascii.crc_hqx(body, 0xFFFF).to_bytes(2, "big")


def doc_event(seq: int, number: int, kind: int = 0x08, data: bytes = b"") -> bytes:
    """Spell an EVENT as the document does: number (u32), kind (08 TAMPER), data."""
    return doc_frame(0x05, seq, number.to_bytes(4, "big") + bytes((kind,)) + data)


def event_frame(seq: int, event: McuEvent) -> McuFrame:
    """Build an EVENT frame as the MCU sends it."""
    return McuFrame(MessageType.EVENT, seq, encode_event(event))


async def test_event_is_acknowledged_after_handling_and_deduplicated(
    peer: Peer, link: McuLink
) -> None:
    """EVENT_ACK follows the handler; a resent event is acknowledged, not re-handled."""
    handled: list[McuEvent] = []
    started, release = asyncio.Event(), asyncio.Event()

    async def handler(event: McuEvent) -> None:
        handled.append(event)
        started.set()
        await release.wait()

    link.set_event_handler(handler)
    door = McuEvent(41, McuEventKind.DOOR, door=DoorState.OPEN)
    peer.send(event_frame(9, door))
    async with asyncio.timeout(WAIT):
        await started.wait()
    assert peer.sent() == []  # not acknowledged while the handler runs
    release.set()
    ack = await peer.next(MessageType.EVENT_ACK)
    assert (ack.seq, decode_event_ack(ack.payload)) == (9, 41)
    peer.send(event_frame(10, door))  # our ACK was lost: the MCU resends
    ack = await peer.next(MessageType.EVENT_ACK)
    assert decode_event_ack(ack.payload) == 41
    assert handled == [door]


async def test_unknown_event_is_skipped_not_blocking(peer: Peer, link: McuLink) -> None:
    """An event kind from newer firmware is acknowledged so later events flow."""
    handled: list[McuEvent] = []

    async def handler(event: McuEvent) -> None:
        handled.append(event)

    link.set_event_handler(handler)
    peer.send(McuFrame(MessageType.EVENT, 1, (7).to_bytes(4, "big") + b"\x7f"))
    assert decode_event_ack((await peer.next(MessageType.EVENT_ACK)).payload) == 7
    tamper = McuEvent(8, McuEventKind.TAMPER)
    peer.send(event_frame(2, tamper))
    assert decode_event_ack((await peer.next(MessageType.EVENT_ACK)).payload) == 8
    assert handled == [tamper]


async def test_event_failing_three_times_is_dropped(peer: Peer, link: McuLink) -> None:
    """A handler that keeps failing cannot block the event queue forever."""
    attempts: list[int] = []

    async def broken(event: McuEvent) -> None:
        attempts.append(event.seq)
        raise RuntimeError("broken")

    link.set_event_handler(broken)
    event = event_frame(3, McuEvent(5, McuEventKind.LOCK_BUTTON))
    for tries in range(1, 4):
        peer.send(event)  # the MCU resends what was not acknowledged
        await eventually(lambda: len(attempts) == tries, f"attempt {tries}")  # noqa: B023
    ack = await peer.next(MessageType.EVENT_ACK)
    assert decode_event_ack(ack.payload) == 5
    assert attempts == [5, 5, 5]


async def test_a_batch_that_cannot_be_stored_is_not_acknowledged(
    peer: Peer, link: McuLink
) -> None:
    """The store fails at a batch's end: no ACK, the resend is handled again, the link goes on."""
    handled: list[int] = []
    syncs = 0

    async def handler(event: McuEvent) -> None:
        handled.append(event.seq)

    @asynccontextmanager
    async def batch() -> AsyncIterator[None]:
        nonlocal syncs
        yield
        syncs += 1
        if syncs == 1:
            raise OSError("disk I/O error")  # the first batch's fsync fails

    link.set_event_handler(handler, batch)
    peer.send(event_frame(1, McuEvent(5, McuEventKind.LOCK_BUTTON)))
    await eventually(lambda: syncs == 1, "the first batch")
    assert [f for f in await peer.sync() if f.type is MessageType.EVENT_ACK] == []
    resent = event_frame(1, McuEvent(5, McuEventKind.LOCK_BUTTON))
    peer.send(resent)
    peer.send(event_frame(2, McuEvent(6, McuEventKind.TAMPER)))
    numbers = [0]
    while numbers[-1] != 6:  # in one batch or two, as the bytes came
        numbers.append(
            decode_event_ack((await peer.next(MessageType.EVENT_ACK)).payload)
        )
    assert numbers[1:] in ([6], [5, 6])
    assert handled == [5, 5, 6]  # not taken for a resend of something stored


class SlowFirstStore:
    """A batch scope whose first batch takes its time to be stored (a slow fsync)."""

    def __init__(self, fails: bool = False) -> None:
        """``fails``: the first batch cannot be stored in the end."""
        self.storing = asyncio.Event()
        self.stored = asyncio.Event()
        self._fails = fails
        self._batches = 0

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """Scope one batch: the first one waits for :attr:`stored` at its end."""
        self._batches += 1
        first = self._batches == 1
        yield
        if first:
            self.storing.set()
            await self.stored.wait()
            if self._fails:
                raise OSError("disk I/O error")


def bolt_frame(seq: int, number: int, bolt: BoltState) -> McuFrame:
    """Build the bolt's report, event ``number``."""
    return event_frame(seq, McuEvent(number, McuEventKind.BOLT, bolt=bolt))


async def _second_report_behind_a_sync(
    peer: Peer, link: McuLink, store: SlowFirstStore
) -> list[int]:
    """Bolt report 5's batch waits in ``store``'s sync; report 6 is handled behind it."""
    handled: list[int] = []

    async def handler(event: McuEvent) -> None:
        handled.append(event.seq)

    link.set_event_handler(handler, store.batch)
    peer.send(bolt_frame(1, 5, BoltState.UNLOCKING))
    async with asyncio.timeout(WAIT):
        await store.storing.wait()
    peer.send(bolt_frame(2, 6, BoltState.UNLOCKED))
    await eventually(lambda: handled == [5, 6], "the second report, handled")
    return handled


class TurnMarkingPort(SerialPort):
    """A port that notes, with each chunk it reads, the loop turns that follow it.

    Before the chunk is handed on, it schedules a note for the next loop turn, which
    schedules one for the turn after: whatever the link does before or between those
    notes it did within the read, or one turn later.
    """

    def __init__(self, url: str, clock: ManualClock, order: list[str]) -> None:
        """Open ``url`` on ``clock``; notes go to ``order``."""
        super().__init__(url, 115200, name="mcu", clock=clock)
        self._order = order

    def set_receiver(self, receiver: Callable[[bytes], None]) -> None:
        """Hand every chunk to ``receiver``, after scheduling the turn notes."""

        def receive(data: bytes) -> None:
            loop = asyncio.get_running_loop()
            loop.call_soon(loop.call_soon, self._order.append, "second turn")
            receiver(data)

        super().set_receiver(receive)


async def test_an_answer_and_the_event_behind_it_are_taken_without_a_detour(
    peer: Peer, clock: ManualClock
) -> None:
    """ACK, RESPONSE and a bolt report in one read: both taken without a loop turn more.

    The report's handler starts within the read and the request returns in the next
    loop turn (no extra turn for a shield, nor for an event queue's worker), the
    report handled first, as before: the MCU sent it right behind the answer.
    """
    order: list[str] = []
    port = TurnMarkingPort(str(peer.port.path), clock, order)
    await port.start()
    link = McuLink(port)
    link.start()

    async def handler(event: McuEvent) -> None:
        order.append("report handled")

    async def unlock() -> None:
        await link.request(Lock())
        order.append("request returned")

    try:
        link.set_event_handler(handler)
        task = asyncio.create_task(unlock())
        request = await peer.next(MessageType.REQUEST)
        response = McuResponse(request.payload[0], ResponseStatus.OK).encode()
        peer.send(
            McuFrame(MessageType.ACK, request.seq).encode()
            + McuFrame(MessageType.RESPONSE, request.seq, response).encode()
            + bolt_frame(1, 7, BoltState.LOCKED).encode()
        )
        await task
        await eventually(lambda: "second turn" in order, "the turn notes")
        assert order == ["report handled", "request returned", "second turn"]
    finally:
        await link.close()
        await port.close()


async def test_an_event_is_handled_while_the_batch_before_is_stored(
    peer: Peer, link: McuLink
) -> None:
    """The bolt's second report is not held back by the first one's sync; ACKs stay in order."""
    store = SlowFirstStore()
    await _second_report_behind_a_sync(peer, link, store)
    # Stored already, but not acknowledged before the batch before it is.
    assert [f for f in await peer.sync() if f.type is MessageType.EVENT_ACK] == []
    store.stored.set()
    first = await peer.next(MessageType.EVENT_ACK)
    second = await peer.next(MessageType.EVENT_ACK)
    assert [decode_event_ack(ack.payload) for ack in (first, second)] == [5, 6]
    assert (first.seq, second.seq) == (1, 2)


async def test_nothing_handled_behind_a_batch_that_cannot_be_stored_is_acknowledged(
    peer: Peer, link: McuLink
) -> None:
    """An ACK is cumulative: behind a batch the disk refused, none goes out; all come again."""
    store = SlowFirstStore(fails=True)
    handled = await _second_report_behind_a_sync(peer, link, store)
    store.stored.set()
    assert [f for f in await peer.sync() if f.type is MessageType.EVENT_ACK] == []
    peer.send(bolt_frame(3, 5, BoltState.UNLOCKING))  # the MCU resends both
    peer.send(bolt_frame(4, 6, BoltState.UNLOCKED))
    acks: list[int] = []
    while not acks or acks[-1] != 6:
        acks.append(decode_event_ack((await peer.next(MessageType.EVENT_ACK)).payload))
    assert handled == [5, 6, 5, 6]  # neither taken for a resend of something stored


async def test_without_a_handler_events_stay_on_the_mcu(
    peer: Peer, port: SerialPort, link: McuLink
) -> None:
    """Until someone handles events, none is acknowledged (the MCU keeps them)."""
    received = port.bytes_received
    event = event_frame(1, McuEvent(1, McuEventKind.KEYPAD_WAKE)).encode()
    stray_ack = McuFrame(MessageType.ACK, 0).encode()  # an ACK for nothing outstanding
    peer.send(event + stray_ack)
    await eventually(
        lambda: port.bytes_received == received + len(event + stray_ack), "the event"
    )
    # The driver has read both; an EVENT_ACK would have gone out before this request.
    task = asyncio.create_task(link.request(GetStatus()))
    request = await peer.scripted.next()
    assert request.type is MessageType.REQUEST
    peer.answer(request)
    await task
    link.set_event_handler(_ignore)
    ack = await peer.next(MessageType.EVENT_ACK)  # handled now, then acknowledged
    assert decode_event_ack(ack.payload) == 1


async def _acks_until(peer: Peer, last: int) -> list[int]:
    """Read EVENT_ACKs up to ``last``: frames sent one by one may make one batch or two."""
    numbers: list[int] = []
    while not numbers or numbers[-1] != last:
        ack = await peer.next(MessageType.EVENT_ACK)
        numbers.append(decode_event_ack(ack.payload))
    return numbers


async def _ignore(event: McuEvent) -> None:
    """Handle an event by doing nothing with it."""


async def test_nothing_after_a_failed_event_is_acknowledged_before_it(
    peer: Peer, link: McuLink
) -> None:
    """An ACK is cumulative: a new event behind a failed one waits for the resend."""
    handled: list[int] = []

    async def handler(event: McuEvent) -> None:
        handled.append(event.seq)
        if event.seq == 5 and handled.count(5) == 1:
            raise RuntimeError("the first try fails")

    link.set_event_handler(handler)
    peer.send(event_frame(1, McuEvent(5, McuEventKind.LOCK_BUTTON)))
    await eventually(lambda: handled == [5], "the failed try")
    peer.send(event_frame(2, McuEvent(6, McuEventKind.TAMPER)))  # new, behind it
    assert [f for f in await peer.sync() if f.type is MessageType.EVENT_ACK] == []
    peer.send(event_frame(3, McuEvent(5, McuEventKind.LOCK_BUTTON)))  # the resend
    peer.send(event_frame(4, McuEvent(6, McuEventKind.TAMPER)))
    assert await _acks_until(peer, 6) in ([6], [5, 6])  # one batch or two
    assert handled == [5, 5, 6]  # in order, each once done


async def test_an_unstored_batch_is_not_acknowledged_by_a_later_one(
    peer: Peer, link: McuLink
) -> None:
    """A batch the disk refused: a new event behind it waits until it comes again."""
    handled: list[int] = []
    store = SlowFirstStore(fails=True)

    async def handler(event: McuEvent) -> None:
        handled.append(event.seq)

    link.set_event_handler(handler, store.batch)
    store.stored.set()  # the first batch fails as soon as it ends
    peer.send(bolt_frame(1, 5, BoltState.UNLOCKING))
    async with asyncio.timeout(WAIT):
        await store.storing.wait()
    await peer.sync()  # its failure is over
    peer.send(bolt_frame(2, 6, BoltState.UNLOCKED))  # new, after the failure
    assert [f for f in await peer.sync() if f.type is MessageType.EVENT_ACK] == []
    peer.send(bolt_frame(3, 5, BoltState.UNLOCKING))  # the MCU resends both
    peer.send(bolt_frame(4, 6, BoltState.UNLOCKED))
    assert await _acks_until(peer, 6) in ([6], [5, 6])  # one batch or two
    assert handled == [5, 5, 6]


async def test_an_event_the_mcu_no_longer_has_is_not_waited_for(
    peer: Peer, link: McuLink
) -> None:
    """The MCU dropped the failed event (its buffer overflowed): its resends go on."""
    handled: list[int] = []

    async def handler(event: McuEvent) -> None:
        handled.append(event.seq)
        if event.seq == 5:
            raise RuntimeError("fails; the MCU will not send it again")

    link.set_event_handler(handler)
    peer.send(event_frame(1, McuEvent(5, McuEventKind.LOCK_BUTTON)))
    await eventually(lambda: handled == [5], "the failed try")
    tamper = McuEvent(6, McuEventKind.TAMPER)
    peer.send(event_frame(2, tamper))  # sent: refused behind 5
    assert [f for f in await peer.sync() if f.type is MessageType.EVENT_ACK] == []
    peer.send(event_frame(3, tamper))  # a resend round without 5: it is gone
    await peer.answer_oldest(6)  # the MCU says so
    ack = await peer.next(MessageType.EVENT_ACK)
    assert decode_event_ack(ack.payload) == 6
    assert handled == [5, 6]


class Log:
    """The store of the link's tests: what a batch handled is kept once its scope ends.

    As in the core, an event already stored is not stored again (its number is kept
    with it). ``disk_errors``: that many batches fail at their end (a disk error);
    ``broken``: numbers whose handler fails (once for each time listed).
    """

    def __init__(self) -> None:
        """Start empty: nothing stored, no failure planned."""
        self.handled: list[int] = []
        self.stored: list[int] = []
        self.disk_errors = 0
        self.broken: list[int] = []
        self._pending: list[int] = []

    async def handle(self, event: McuEvent) -> None:
        """Handle an event (the link's handler)."""
        self.handled.append(event.seq)
        if event.seq in self.broken:
            self.broken.remove(event.seq)
            raise RuntimeError("handler failed")
        if event.seq not in self.stored and event.seq not in self._pending:
            self._pending.append(event.seq)

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """Scope a batch: stored at its end, or a disk error."""
        try:
            yield
        finally:
            pending, self._pending = self._pending, []
        if self.disk_errors:
            self.disk_errors -= 1
            raise OSError("disk I/O error")
        self.stored.extend(pending)


def tamper_frame(seq: int, number: int) -> McuFrame:
    """Build a TAMPER event, number ``number``."""
    return event_frame(seq, McuEvent(number, McuEventKind.TAMPER))


def acks(frames: list[McuFrame]) -> list[int]:
    """Return the event numbers the EVENT_ACKs among ``frames`` acknowledge."""
    return [
        decode_event_ack(f.payload) for f in frames if f.type is MessageType.EVENT_ACK
    ]


async def acknowledged_up_to(
    peer: Peer, number: int, log: Log, needed: tuple[int, ...]
) -> None:
    """Wait for the EVENT_ACK of ``number``; each one acknowledges only stored events.

    ``needed``: the numbers that must not be lost (stored before any ACK covers them).
    """
    while True:
        ack = decode_event_ack((await peer.next(MessageType.EVENT_ACK)).payload)
        assert [n for n in needed if n <= ack and n not in log.stored] == []
        if ack == number:
            return


async def test_new_events_wait_for_the_resend_of_an_event_whose_handler_failed(
    peer: Peer, link: McuLink
) -> None:
    """Event 6 fails mid-batch: 5 is acknowledged, 7 and a new 8 wait for 6's resend."""
    log = Log()
    log.broken = [6]
    link.set_event_handler(log.handle, log.batch)
    peer.send(b"".join(tamper_frame(n - 4, n).encode() for n in (5, 6, 7)))
    await acknowledged_up_to(peer, 5, log, (5, 6, 7, 8))
    peer.send(tamper_frame(4, 8))  # new, before the MCU's resend
    assert acks(await peer.sync()) == []
    assert log.handled == [5, 6]
    for n in (6, 7, 8):  # the resend round, from the oldest unacknowledged
        peer.send(tamper_frame(n - 1, n))
    await acknowledged_up_to(peer, 8, log, (5, 6, 7, 8))
    assert log.stored == [5, 6, 7, 8]
    assert log.handled == [5, 6, 6, 7, 8]


async def test_a_resend_round_that_begins_later_says_the_mcu_lost_the_event(
    peer: Peer, link: McuLink, caplog: pytest.LogCaptureFixture
) -> None:
    """The MCU's full buffer dropped event 6 (failed once): its resend begins at 7.

    The driver does not wait for 6 for ever: it logs the numbers as lost on the MCU
    and goes on. A round that begins past every number sent so far is taken for new
    events first (dropped unacknowledged), and for the round when it comes again.
    """
    log = Log()
    log.broken = [6]
    link.set_event_handler(log.handle, log.batch)
    peer.send(b"".join(tamper_frame(n - 4, n).encode() for n in (5, 6, 7)))
    await acknowledged_up_to(peer, 5, log, (5,))
    with caplog.at_level(logging.WARNING):
        peer.send(tamper_frame(4, 7))  # the resend round: 6 is gone
        await peer.answer_oldest(7)
        assert decode_event_ack((await peer.next(MessageType.EVENT_ACK)).payload) == 7
    assert any("6..6" in r.getMessage() for r in caplog.records)
    log.broken = [8]
    peer.send(tamper_frame(5, 8))
    await eventually(lambda: log.handled[-1:] == [8], "8, failing")
    peer.send(tamper_frame(6, 9))
    peer.send(tamper_frame(7, 11))  # gone too: 8..10, and 11 never sent before
    assert acks(await peer.sync()) == []
    assert log.handled == [5, 6, 7, 8]  # neither 9 nor 11 past the failed 8
    peer.send(tamper_frame(8, 11))  # the next round begins with it again
    await peer.answer_oldest(11)
    assert decode_event_ack((await peer.next(MessageType.EVENT_ACK)).payload) == 11
    assert log.stored == [5, 7, 11]


async def test_an_event_that_fails_again_in_its_resend_round_is_not_taken_for_gone(
    peer: Peer, link: McuLink
) -> None:
    """Event 6 fails twice; its round's rest comes in a batch of its own, then 8.

    The numbers refused behind 6 come again in the round, after 6: that round began
    with 6, which the MCU still has, so 7 and 8 wait for its next resend.
    """
    log = Log()
    log.broken = [6, 6]
    link.set_event_handler(log.handle, log.batch)
    peer.send(tamper_frame(1, 5))
    await acknowledged_up_to(peer, 5, log, (5, 6, 7, 8))
    peer.send(tamper_frame(2, 6))
    await eventually(lambda: log.handled == [5, 6], "6, failing")
    peer.send(tamper_frame(3, 7))  # new, refused behind 6
    assert acks(await peer.sync()) == []
    peer.send(tamper_frame(4, 6))  # the resend round: 6 fails again
    await eventually(lambda: log.handled == [5, 6, 6], "6, failing again")
    peer.send(tamper_frame(5, 7))  # the rest of that round
    assert acks(await peer.sync()) == []
    peer.send(tamper_frame(6, 8))  # new
    assert acks(await peer.sync()) == []
    for n in (6, 7, 8):  # the next round
        peer.send(tamper_frame(n + 1, n))
    await acknowledged_up_to(peer, 8, log, (5, 6, 7, 8))
    assert log.stored == [5, 6, 7, 8]


async def test_a_round_that_begins_past_an_unstored_event_is_handled_from_its_start(
    peer: Peer, link: McuLink
) -> None:
    """Batch 5 is not stored, 6 was handled behind it, 7 is new; the MCU lost 5.

    Its resend round is 6, 7: it begins with 6 (never refused: handled, then forgotten
    with the batch before it), so 6 is handled again, not acknowledged by 7's ACK.
    """
    store = SlowFirstStore(fails=True)
    handled = await _second_report_behind_a_sync(peer, link, store)
    store.stored.set()  # the disk refuses the first batch
    assert acks(await peer.sync()) == []
    peer.send(tamper_frame(3, 7))  # new: refused behind 5
    assert acks(await peer.sync()) == []
    peer.send(bolt_frame(4, 6, BoltState.UNLOCKED))  # the round: 5 is gone
    peer.send(tamper_frame(5, 7))
    await peer.answer_oldest(6)
    numbers = [0]
    while numbers[-1] != 7:  # in one batch or two, as the bytes came
        numbers.append(
            decode_event_ack((await peer.next(MessageType.EVENT_ACK)).payload)
        )
    assert numbers[1:] in ([7], [6, 7])
    assert handled == [5, 6, 6, 7]


def corrupted(frame: bytes) -> bytes:
    """``frame`` as a noisy cable delivers it: its last CRC byte damaged."""
    return frame[:-1] + bytes((frame[-1] ^ 0x01,))


async def test_an_event_frame_corrupted_on_the_wire_is_not_acknowledged_past(
    peer: Peer, link: McuLink
) -> None:
    """Frame of event 6 fails its CRC: 7 waits for the MCU's resend of 6.

    The numbers jump from 5 to 7; the MCU says it keeps 6 (OLDEST_EVENT), so 6 is not
    taken for lost: nothing is acknowledged until the go-back-N round brings it.
    """
    log = Log()
    link.set_event_handler(log.handle, log.batch)
    peer.send(doc_event(1, 5))
    await acknowledged_up_to(peer, 5, log, (5,))
    peer.send(corrupted(doc_event(2, 6)) + doc_event(3, 7))
    await peer.answer_oldest(6)
    assert acks(await peer.sync()) == []
    assert log.handled == [5]
    peer.send(doc_event(4, 6) + doc_event(5, 7))  # the round, a second later
    await acknowledged_up_to(peer, 7, log, (5, 6, 7))
    assert log.stored == [5, 6, 7]


async def test_numbers_a_restart_skipped_are_not_waited_for(
    peer: Peer, link: McuLink, caplog: pytest.LogCaptureFixture
) -> None:
    """The MCU restarted: its numbers go on after its reserved block (5, then 257).

    It keeps 257 as its oldest (the ones before went with its RAM): handled at once.
    """
    log = Log()
    link.set_event_handler(log.handle, log.batch)
    peer.send(doc_event(1, 5))
    await acknowledged_up_to(peer, 5, log, (5,))
    with caplog.at_level(logging.WARNING):
        peer.send(doc_event(1, 257, 0x09, b"\x63\x00"))  # BATTERY 99 %, its first
        await peer.answer_oldest(257)
        await acknowledged_up_to(peer, 257, log, (257,))
    assert any("6..256" in r.getMessage() for r in caplog.records)


async def test_a_round_whose_first_frame_is_corrupted_is_not_taken_for_its_loss(
    peer: Peer, link: McuLink
) -> None:
    """Event 6 failed; its round's first frame (6) fails its CRC, then 7 comes.

    A round that begins past the awaited event says only that its first frame was not
    read: the MCU still keeps 6, so 7 is not acknowledged past it.
    """
    log = Log()
    log.broken = [6]
    link.set_event_handler(log.handle, log.batch)
    peer.send(doc_event(1, 5) + doc_event(2, 6) + doc_event(3, 7))
    await acknowledged_up_to(peer, 5, log, (5, 6, 7))
    assert acks(await peer.sync()) == []
    peer.send(corrupted(doc_event(4, 6)) + doc_event(5, 7))  # the round
    await peer.answer_oldest(6)
    assert acks(await peer.sync()) == []
    peer.send(doc_event(6, 6) + doc_event(7, 7))  # the next round
    await acknowledged_up_to(peer, 7, log, (5, 6, 7))
    assert log.stored == [5, 6, 7]


async def test_an_earlier_mcu_revision_gets_a_gap_resent_before_it_is_passed(
    peer: Peer, link: McuLink
) -> None:
    """An MCU that does not know OLDEST_EVENT (UNKNOWN_COMMAND): its rounds tell.

    A gap waits for the next round: one that begins with 6 brings it; a round that
    begins past the awaited event then says the MCU no longer has it (asked once).
    """
    log = Log()
    link.set_event_handler(log.handle, log.batch)
    peer.send(doc_event(1, 5))
    await acknowledged_up_to(peer, 5, log, (5,))
    peer.send(corrupted(doc_event(2, 6)) + doc_event(3, 7))
    await peer.answer_oldest(None)
    assert acks(await peer.sync()) == []
    peer.send(doc_event(4, 6) + doc_event(5, 7))  # the round brings 6
    await acknowledged_up_to(peer, 7, log, (5, 6, 7))
    peer.send(doc_event(6, 9))  # a gap again: 8 never read
    assert acks(await peer.sync()) == []
    peer.send(doc_event(7, 9))  # the round begins with 9: 8 is gone
    await acknowledged_up_to(peer, 9, log, (9,))
    assert [f for f in await peer.sync() if f.type is MessageType.REQUEST] == []
    assert log.stored == [5, 6, 7, 9]


HELLO_REPLY = bytes.fromhex(  # the document's HELLO answer, granting a window of 2
    "01 00 01 09 45 5A 31 32 33 34 35 36 37 0B 45 5A 4C 4F 43 4B 2D 36 30 36 38"
    " 05 31 2E 34 2E 30 06 41 42 43 44 45 46 02 04 66 61 63 65 04 70 61 6C 6D 02"
)


async def _hello(peer: Peer, link: McuLink) -> None:
    """Start a session, as ``McuDevice.open`` does before delivering events."""
    hello = asyncio.create_task(link.request(Hello(1, 2)))
    request = await peer.next(MessageType.REQUEST)
    assert request.payload == b"\x01\x01\x02"
    peer.send(doc_frame(0x01, request.seq, b""))
    peer.send(doc_frame(0x04, request.seq, HELLO_REPLY))
    await hello


async def test_a_new_driver_handles_nothing_of_the_round_before_its_hello(
    peer: Peer, port: SerialPort
) -> None:
    """The driver before left events 5..8 unacknowledged in a window of 4.

    The new driver opens the port in the middle of a round and reads 8 first; its
    HELLO gets a window of 2, and the MCU sends 5, 6 again. Had 8 been handled, its
    ACK would have acknowledged 7, never read: the frames before the HELLO's answer
    are dropped, and the MCU sends every event from its oldest after it.
    """
    link = McuLink(port)  # started after the HELLO, as McuDevice.open does
    log = Log()
    link.set_event_handler(log.handle, log.batch)
    try:
        received = port.bytes_received
        tail = doc_event(0x21, 8)
        peer.send(tail)
        await eventually(lambda: port.bytes_received == received + len(tail), "8")
        await _hello(peer, link)
        peer.send(doc_event(1, 5) + doc_event(2, 6))  # the session's round, window 2
        link.start()
        await peer.answer_oldest(5)  # the session's first event is checked
        await acknowledged_up_to(peer, 6, log, (5, 6, 7, 8))
        peer.send(doc_event(3, 7) + doc_event(4, 8))  # the window slides
        await acknowledged_up_to(peer, 8, log, (5, 6, 7, 8))
        assert log.handled == [5, 6, 7, 8]
    finally:
        await link.close()


async def test_a_session_whose_first_frame_is_corrupted_waits_for_it(
    peer: Peer, port: SerialPort
) -> None:
    """The HELLO's round: 5 fails its CRC, 6 comes; the MCU keeps 5: 6 waits."""
    link = McuLink(port)
    log = Log()
    link.set_event_handler(log.handle, log.batch)
    try:
        await _hello(peer, link)
        link.start()
        peer.send(corrupted(doc_event(1, 5)) + doc_event(2, 6))
        await peer.answer_oldest(5)
        assert acks(await peer.sync()) == []
        peer.send(doc_event(3, 5) + doc_event(4, 6))  # the round, a second later
        await acknowledged_up_to(peer, 6, log, (5, 6))
        assert log.handled == [5, 6]
    finally:
        await link.close()
