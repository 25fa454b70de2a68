"""The MCU link: requests with ACK / retransmission, and acknowledged events.

docs/serial-protocol.md, "Lock MCU link", is the specification this implements: one
request outstanding at a time, retransmitted with the same sequence number until
answered (the MCU answers a repeat from its cache), and events acknowledged only
after the handler returned. Events come in a window (negotiated in HELLO, see
``devices/mcu.py``): every event that arrived while the previous ones were handled is
handled as one batch inside the handler's batch scope (the store's group commit), and
the batch is acknowledged with one cumulative EVENT_ACK once the scope has ended, that
is once the batch is on disk.

Batches are pipelined: once a batch's handlers are done (its scope commits and waits
for the sync), the next batch is handled, so an event that arrives during that wait
(the bolt's second report, behind the unlock's) is not held back by it, and its commit
joins the same sync when it is made in time. Handlers still run one event at a time,
in order, and acknowledgements go out in order: a batch is acknowledged only after the
one before it was, and not at all if that one could not be stored.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
import contextlib
from contextlib import AbstractAsyncContextManager, nullcontext
import contextvars
from dataclasses import dataclass, field
import logging

from ezlock_edge.clock import Clock
from ezlock_edge.framing.errors import DecodeError
from ezlock_edge.framing.mcu import McuFrame, McuParser, MessageType, NakReason
from ezlock_edge.framing.mcu_messages import (
    Command,
    GetOldestEvent,
    McuRequest,
    McuResponse,
    ResponseStatus,
    decode_event,
    decode_oldest_event,
    encode_event_ack,
    encode_request,
)
from ezlock_edge.transport import SerialPort
from ezlock_edge.vocabulary.errors import (
    DeviceBusy,
    DeviceDisconnected,
    DeviceError,
    DeviceRejected,
    DeviceTimeout,
)
from ezlock_edge.vocabulary.link import LinkState
from ezlock_edge.vocabulary.mcu import McuEvent

from .receiver import FrameReceiver
from .waiting import within

_LOGGER = logging.getLogger(__name__)

ACK_TIMEOUT = 0.2
"""Seconds to wait for the ACK (or the RESPONSE) before retransmitting."""
RESPONSE_TIMEOUT = 1.0
"""Seconds to wait for the RESPONSE once the request was acknowledged."""
TRIES = 5
"""Transmissions of one request before giving up."""
HANDLER_TRIES = 3
"""Failed handler runs after which an event is acknowledged anyway (and logged)."""
EVENT_WINDOW = 128
"""Unacknowledged events the host lets the MCU keep in flight (asked for in HELLO).

A storm of events is handled, committed (one sync) and acknowledged in batches of up
to this many; at 115 200 baud a full window is about 0.16 s of the wire.
"""
REMEMBERED_EVENTS = 2 * EVENT_WINDOW
"""Event numbers remembered to recognise a resent event (a whole window, twice)."""

type EventHandler = Callable[[McuEvent], Awaitable[None]]
type BatchScope = Callable[[], AbstractAsyncContextManager[None]]


class RequestRefused(DeviceRejected):
    """The MCU answered a request with a status other than OK."""

    def __init__(self, command: str, status: ResponseStatus) -> None:
        """Name the command and the status."""
        super().__init__(f"MCU refused {command}: {status.name}")
        self.status = status


class RequestBusy(RequestRefused, DeviceBusy):
    """The MCU answered BUSY: it cannot do it while its motor runs (retry later)."""


@dataclass(slots=True)
class _Outstanding:
    seq: int
    command: int
    acked: bool = False
    # The answer (a RESPONSE, or a NAK's refusal), kept from whenever it came: a
    # retransmission's wait may begin after it; and the wait under way, if any.
    outcome: McuResponse | DeviceRejected | None = None
    waiter: asyncio.Future[None] | None = None

    def settle(self, outcome: McuResponse | DeviceRejected) -> bool:
        """Keep the first answer and wake the wait for it; return whether it was first."""
        if self.outcome is not None:
            return False
        self.outcome = outcome
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)
        return True


@dataclass(slots=True)
class _EventLedger:
    """What the host knows about events it handled."""

    recent: deque[int] = field(default_factory=lambda: deque(maxlen=REMEMBERED_EVENTS))
    known: set[int] = field(default_factory=set)  # the numbers in ``recent``
    failures: dict[int, int] = field(default_factory=dict)
    last: int | None = None
    # The first event not done after a failed handler or an unstored batch: nothing
    # after it is handled (nor acknowledged: an ACK is cumulative) until the MCU sends
    # it again; the number of the EVENT read last, to see a resend round begin (the
    # MCU goes back to its oldest unacknowledged event).
    retry: int | None = None
    previous: int | None = None
    # A session began with no event handled yet: its first event is checked against
    # the oldest the MCU keeps (the round's first frame may have been lost on the wire).
    unchecked: bool = False

    def wait_for(self, number: int) -> None:
        """Handle nothing after ``number`` until it comes again."""
        if self.retry is None or number < self.retry:
            self.retry = number

    def done(self, number: int) -> None:
        """Note that ``number`` was handled (or dropped): the ones after it may follow."""
        if self.retry is not None and number >= self.retry:
            self.retry = None

    def remember(self, number: int) -> None:
        """Note ``number`` as handled (not known yet), forgetting the oldest beyond the bound."""
        if len(self.recent) == self.recent.maxlen:
            self.known.discard(self.recent[0])
        self.recent.append(number)
        self.known.add(number)

    def save(self) -> tuple[int | None, list[int]]:
        """Return what to go back to if the batch about to be handled is not stored."""
        return self.last, list(self.recent)

    def restore(self, saved: tuple[int | None, list[int]]) -> None:
        """Forget what was handled since :meth:`save`: it is handled again when resent."""
        self.last = saved[0]
        self.recent.clear()
        self.recent.extend(saved[1])
        self.known = set(saved[1])


type _Saved = tuple[int | None, list[int]]
type _Outcome = asyncio.Future[_Saved | None]
"""A batch's end: None once acknowledged, else the ledger to go back to (not stored)."""


class McuLink:
    """Request/response and event delivery over one MCU port."""

    def __init__(
        self,
        port: SerialPort,
        *,
        clock: Clock | None = None,
        ack_timeout: float = ACK_TIMEOUT,
        response_timeout: float = RESPONSE_TIMEOUT,
        tries: int = TRIES,
    ) -> None:
        """Attach to ``port``; call :meth:`start` before use.

        Timeouts are in seconds of ``clock`` (the port's by default).
        """
        self._port = port
        self._clock = clock or port.clock
        self._ack_timeout = ack_timeout
        self._response_timeout = response_timeout
        self._tries = tries
        self._receiver = FrameReceiver(
            McuParser(), self._frame_received, clock=self._clock, after=self._next_batch
        )
        port.set_receiver(self._receiver.feed)
        port.add_state_listener(self._state_changed)
        self._seq = 0
        self._lock = asyncio.Lock()
        self._outstanding: _Outstanding | None = None
        self._handler: EventHandler | None = None
        self._batch: BatchScope = nullcontext
        self._arrived: list[McuFrame] = []  # EVENT frames not handled yet, in order
        self._ledger = _EventLedger()
        self._oldest_unknown_command = False  # OLDEST_EVENT: an earlier revision
        # Set by start(): the context each batch runs in a copy of.
        self._context: contextvars.Context | None = None
        self._handling = False  # a batch's handlers are running
        self._previous: _Outcome | None = None  # the last batch's end
        self._batches: set[asyncio.Task[None]] = set()  # storing or acknowledging

    def start(self) -> None:
        """Start delivering events."""
        if self._context is None:
            self._context = contextvars.copy_context()
            self._next_batch()

    async def close(self) -> None:
        """Stop delivering events (unacknowledged ones stay buffered on the MCU)."""
        self._context = None
        for batch in list(self._batches):
            batch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await batch

    def set_event_handler(
        self, handler: EventHandler, batch: BatchScope | None = None
    ) -> None:
        """Await ``handler`` for each new event; acknowledge a batch when ``batch`` ends.

        ``batch()`` is entered around each batch of events handled together (the
        store's group commit): the ACK goes out only after it has been left.
        """
        self._handler = handler
        self._batch = batch or nullcontext
        self._next_batch()  # events before a handler wait for it

    async def request(self, request: McuRequest) -> bytes:
        """Send ``request`` and return the RESPONSE data.

        Raises DeviceRejected for a status other than OK, DeviceTimeout when no
        answer came after all tries, DeviceDisconnected when the port stayed down.
        """
        async with self._lock:
            self._seq = (self._seq + 1) & 0xFF
            wire = McuFrame(
                MessageType.REQUEST, self._seq, encode_request(request)
            ).encode()
            outstanding = _Outstanding(self._seq, request.COMMAND)
            self._outstanding = outstanding
            try:
                response = await self._exchange(wire, outstanding)
            finally:
                self._outstanding = None
        name = request.COMMAND.name
        if isinstance(response, DeviceRejected):
            raise response
        if response is None:
            if self._port.state is LinkState.DISCONNECTED:
                raise DeviceDisconnected(f"MCU port down: {name} not sent")
            raise DeviceTimeout(f"MCU did not answer {name} after {self._tries} tries")
        if response.status is ResponseStatus.BUSY:
            raise RequestBusy(name, response.status)
        if response.status is not ResponseStatus.OK:
            raise RequestRefused(name, response.status)
        return response.data

    async def _exchange(
        self, wire: bytes, outstanding: _Outstanding
    ) -> McuResponse | DeviceRejected | None:
        for _ in range(self._tries):
            if not await self._port.connected_within(
                self._ack_timeout + self._response_timeout
            ):
                continue
            self._port.write(wire)  # connected: checked above, nothing awaited since
            if await self._answered(outstanding, self._ack_timeout):
                break
            if outstanding.acked and await self._answered(
                outstanding, self._response_timeout
            ):
                break
        return outstanding.outcome

    async def _answered(self, outstanding: _Outstanding, seconds: float) -> bool:
        """Wait up to ``seconds`` for the answer; return whether it has come."""
        if outstanding.outcome is None:
            waiter = outstanding.waiter = asyncio.get_running_loop().create_future()
            try:
                await within(self._clock, seconds, waiter)
            except TimeoutError:
                pass
            finally:
                outstanding.waiter = None
        return outstanding.outcome is not None

    # -- receiving --------------------------------------------------------------------

    def _frame_received(self, frame: McuFrame) -> None:
        outstanding = self._outstanding
        match frame.type:
            case MessageType.EVENT if not self._malformed(frame):
                self._arrived.append(frame)  # handled once the chunk is read
            case MessageType.ACK if outstanding and frame.seq == outstanding.seq:
                outstanding.acked = True
            case MessageType.NAK if outstanding and frame.seq == outstanding.seq:
                self._nak_received(frame, outstanding)
            case MessageType.RESPONSE if outstanding and frame.seq == outstanding.seq:
                self._response_received(frame, outstanding)
            case _:
                _LOGGER.debug("MCU: ignored %s seq %d", frame.type.name, frame.seq)

    def _nak_received(self, frame: McuFrame, outstanding: _Outstanding) -> None:
        reason = frame.payload[0] if frame.payload else None
        if reason == NakReason.BUSY:
            return  # retransmitted after the ACK timeout
        outstanding.settle(
            DeviceRejected(f"MCU refused the request frame (NAK {reason})")
        )

    def _response_received(self, frame: McuFrame, outstanding: _Outstanding) -> None:
        try:
            response = McuResponse.decode(frame.payload)
        except DecodeError as err:
            _LOGGER.debug("MCU: malformed response seq %d: %s", frame.seq, err)
            return  # the retransmission fetches it again
        if response.command != outstanding.command:
            _LOGGER.debug("MCU: stale response seq %d", frame.seq)
            return
        if (
            outstanding.settle(response)
            and response.command == Command.HELLO
            and response.status is ResponseStatus.OK
        ):
            self._session_started()

    def _session_started(self) -> None:
        """Drop the EVENT frames read before a HELLO's answer: the MCU sends them again.

        They are the session before (a new driver may read the tail of a round meant
        for its predecessor); after its HELLO the MCU sends every event it keeps from
        the oldest, in order, so handling the tail first could acknowledge past events
        this driver has not read.
        """
        dropped = len(self._arrived)
        self._arrived.clear()
        if dropped:
            _LOGGER.debug("MCU: %d event frames of the session before dropped", dropped)
        if self._ledger.last is None:
            self._ledger.unchecked = True

    def _state_changed(self, state: LinkState) -> None:
        if state is LinkState.DISCONNECTED:
            self._receiver.reset()

    # -- events -----------------------------------------------------------------------

    def _next_batch(self) -> None:
        """Handle the events that arrived, as one batch, unless a batch is being handled.

        Called once a chunk's frames were read (and when a batch's handlers are
        done): the batch starts at once, within the read, not a loop turn later
        behind what the loop has ready (the bolt's report before the state is pushed,
        say, and the events that came with a RESPONSE before its request returns).
        """
        context = self._context
        if (
            not self._arrived
            or self._handling
            or context is None
            or self._handler is None
        ):
            return
        frames, self._arrived = self._arrived, []
        loop = asyncio.get_running_loop()
        handled: asyncio.Future[None] = loop.create_future()
        outcome: _Outcome = loop.create_future()
        self._handling = True
        # The next batch is handled once this one's handlers are done (it is then
        # being stored); ``handled`` is set however the batch ends.
        handled.add_done_callback(self._handlers_done)
        batch = loop.create_task(
            self._deliver(frames, handled, self._previous, outcome),
            name="ezlock mcu event batch",
            context=context.copy(),
            eager_start=True,
        )
        if not batch.done():
            self._batches.add(batch)
            batch.add_done_callback(self._batches.discard)
        self._previous = outcome

    def _handlers_done(self, handled: asyncio.Future[None]) -> None:
        self._handling = False
        self._next_batch()

    def _malformed(self, frame: McuFrame) -> bool:
        """NAK an EVENT too short to carry its number (at once, handler or not)."""
        if len(frame.payload) >= 4:
            return False
        self._send(McuFrame(MessageType.NAK, frame.seq, bytes((NakReason.MALFORMED,))))
        return True

    async def _deliver(
        self,
        frames: list[McuFrame],
        handled: asyncio.Future[None],
        previous: _Outcome | None,
        outcome: _Outcome,
    ) -> None:
        """Handle a batch in order; acknowledge what was done once it is stored.

        A handler failure ends the batch there: that event and the ones after it are
        not acknowledged, so the MCU sends them again, in order. ``handled`` is set
        when the handlers are done (the scope then stores the batch); the batch is
        acknowledged after ``previous`` was, never if ``previous`` was not stored.
        """
        done: tuple[int, int] | None = None  # (frame seq, event number) to acknowledge
        ledger = self._ledger
        saved = ledger.save()
        first: int | None = None  # the first event this batch handled anew
        if previous is not None and previous.done():
            previous = None  # over before this one began (the ledger says how)
        try:
            try:
                async with self._batch():
                    for frame in frames:
                        anew = _number(frame) not in ledger.known  # before the batch
                        number = await self._handle(frame)
                        if number is None:
                            continue  # the ones after it are refused, not skipped
                        if first is None and anew:
                            first = number
                        if done is None or number > done[1]:
                            done = (frame.seq, number)  # a resent older one: less
                    handled.set_result(None)  # stored from here on (scope's end)
            finally:
                if not handled.done():
                    handled.set_result(None)
        except Exception:
            # The batch could not be made durable (a disk error): nothing of it is
            # acknowledged, the MCU sends it again, and the link goes on. Its events
            # are handled again then (the core recognises what was stored after all).
            _LOGGER.exception("MCU events not stored; left to the MCU's resend")
            self._not_stored(saved, outcome, first)
            return
        except BaseException:
            self._not_stored(saved, outcome, first)
            raise
        if previous is not None and (before := await previous) is not None:
            # The batch before could not be stored: none after it is acknowledged
            # either (an ACK is cumulative); all are handled again when resent.
            self._not_stored(before, outcome, first)
            return
        if done is not None:
            self._ack(*done)
        outcome.set_result(None)

    def _not_stored(self, saved: _Saved, outcome: _Outcome, first: int | None) -> None:
        self._ledger.restore(saved)
        if first is not None:
            self._ledger.wait_for(first)
        if not outcome.done():
            outcome.set_result(saved)

    async def _handle(self, frame: McuFrame) -> int | None:
        """Return the event's number once handled (None: not, retry on resend)."""
        ledger = self._ledger
        number = _number(frame)
        went_back = ledger.previous is not None and number <= ledger.previous
        ledger.previous = number
        if await self._refuse(number, went_back=went_back):
            return None
        try:
            event = decode_event(frame.payload)
        except DecodeError as err:
            return self._undecodable_event(frame, err)
        if event.seq in ledger.known:
            return event.seq  # our ACK was lost: the MCU resent it
        handler = self._handler
        assert handler is not None  # noqa: S101 -- a batch starts with one
        try:
            await handler(event)
        except Exception:
            failures = ledger.failures.get(event.seq, 0) + 1
            if failures < HANDLER_TRIES:
                ledger.failures[event.seq] = failures
                ledger.wait_for(event.seq)
                _LOGGER.warning(
                    "MCU event %d: handler failed; retried on resend",
                    event.seq,
                    exc_info=True,
                )
                return None
            _LOGGER.exception(
                "MCU event %d dropped after %d failures", event.seq, failures
            )
        ledger.failures.pop(event.seq, None)
        ledger.done(event.seq)
        if ledger.last is not None and event.seq > ledger.last + 1:
            _LOGGER.warning(
                "MCU events %d..%d were lost on the MCU", ledger.last + 1, event.seq - 1
            )
        ledger.last = event.seq
        ledger.remember(event.seq)
        return event.seq

    async def _refuse(self, number: int, *, went_back: bool) -> bool:
        """Return whether to leave ``number`` to the MCU's resend: an older one is due.

        Events after the awaited one (a failed or unstored one) wait for it. A gap of
        numbers never read (frames lost on the wire), a resend round that begins past
        the awaited event (its first frame may have been lost), and the first event of
        a session are checked against the oldest event the MCU keeps: only what it no
        longer has (dropped from a full buffer, lost in a restart) is gone.
        """
        ledger = self._ledger
        awaited = ledger.retry
        if awaited is not None:
            if number <= awaited:
                return False
            if not went_back:
                return True  # new events behind the awaited one
        elif ledger.last is not None and number > ledger.last + 1:
            awaited = ledger.last + 1  # a gap
        elif not ledger.unchecked:
            return False
        ledger.unchecked = False
        oldest = await self._oldest_kept()
        if oldest is None:
            # Not known. An MCU of an earlier revision: a round that begins past the
            # awaited event is all it says (the MCU dropped it), a gap waits for one.
            # A request that failed: nothing is concluded, the resend comes again.
            if awaited is None or (
                ledger.retry is not None and self._oldest_unknown_command
            ):
                ledger.retry = None
                return False
            ledger.retry = awaited
            return True
        due = oldest if awaited is None else max(awaited, oldest)
        if due < number:
            ledger.retry = due  # the MCU keeps it: its resend comes
            return True
        ledger.retry = None  # what was awaited is gone: logged once this one is done
        return False

    async def _oldest_kept(self) -> int | None:
        """Ask the MCU for the oldest event it keeps (None: it cannot say now)."""
        if self._oldest_unknown_command:
            return None
        try:
            return decode_oldest_event(await self.request(GetOldestEvent()))
        except RequestRefused as err:
            if err.status is ResponseStatus.UNKNOWN_COMMAND:
                self._oldest_unknown_command = True  # an MCU of an earlier revision
            _LOGGER.warning("MCU: oldest event not known: %s", err)
        except (DeviceError, DecodeError) as err:
            _LOGGER.warning("MCU: oldest event not known: %s", err)
        return None

    def _undecodable_event(self, frame: McuFrame, err: DecodeError) -> int:
        number = _number(frame)
        _LOGGER.warning("MCU event %d not understood, skipped: %s", number, err)
        return number

    def _ack(self, frame_seq: int, event_seq: int) -> None:
        self._send(
            McuFrame(MessageType.EVENT_ACK, frame_seq, encode_event_ack(event_seq))
        )

    def _send(self, frame: McuFrame) -> None:
        try:
            self._port.write(frame.encode())
        except DeviceDisconnected:
            _LOGGER.debug("MCU: %s not sent, port down", frame.type.name)


def _number(frame: McuFrame) -> int:
    """Return an EVENT frame's event number (its payload's first four bytes)."""
    return int.from_bytes(frame.payload[:4], "big")
