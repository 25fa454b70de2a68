"""The controller's end of the MCU link: sessions, ACK / NAK, retransmissions, events.

Requests (docs/serial-protocol.md, "Requests"): every intact REQUEST is acknowledged at
once, run, and answered with a RESPONSE of the same seq. The last request and its answer
are remembered: the same seq and payload again is a retransmission, answered from that
memory without running the command again (a retransmitted UNLOCK does not move the
motor twice). HELLO always runs, starts a session, forgets that memory and sends the
oldest unacknowledged event at once.

Events: a window (docs/serial-protocol.md, "Events"). A host that asks for a window of
*w* in its HELLO gets ``min(w, max_window)``, appended to the HELLO answer; a host that
does not ask (the first protocol revision) gets 1, stop-and-wait. Options asked for
after the window get the bits this build grants, appended after it: with
``OPT_BOLT_CAUSE`` a BOLT event carries its cause byte (queued with every BOLT, sent
only to a host that asked, so a host of an earlier revision gets the BOLT it knows). Up to a window of the
oldest unacknowledged events are in flight; an EVENT_ACK acknowledges the event it
names and every older one (cumulative). When a second passes without an EVENT_ACK that
acknowledges something, the whole window is sent again from the oldest (go-back-N).
"""

from . import wire
from .events import EventQueue
from .hal import TYPE_CHECKING, Clock, Uart, const

if TYPE_CHECKING:
    from collections.abc import Callable

EVENT_RESEND_MS = const(1000)
_READ_CHUNK = const(64)


class Link:
    """Frames in, answers and events out, over one UART."""

    def __init__(
        self,
        uart: Uart,
        clock: Clock,
        events: EventQueue,
        run: Callable[[bytes], tuple[int, bytes]],
        max_window: int = 1,
        options: int = 0,
    ) -> None:
        """``run(request payload)`` carries a command out: ``(status, data)``.

        ``max_window``: the most events this controller keeps in flight (1..255);
        ``options``: the HELLO options it grants.
        """
        self._uart = uart
        self._max_window = max(1, min(max_window, 255))
        self._offered = options
        self.window = 1  # of this session: 1 until a HELLO asked for more
        self.options = 0  # of this session: what its HELLO asked for and was granted
        self._clock = clock
        self._events = events
        self._run = run
        self._parser = wire.FrameParser(self._frame)
        self._rx = bytearray(_READ_CHUNK)
        self._now = 0
        self._last_seq = -1
        self._last_payload = b""
        self._last_answer = b""
        self._frame_counter = 0
        self._in_flight = 0  # the oldest events sent and not yet acknowledged
        self._dropped = events.dropped  # by the full buffer, as far as _in_flight knows
        self._resend_at = 0
        self.sessions = 0

    def poll(self, now_ms: int) -> None:
        """Read what arrived, answer it, and send or resend the oldest event."""
        self._now = now_ms
        while True:
            count = self._uart.readinto(self._rx)
            if not count:
                break
            self._parser.feed(memoryview(self._rx)[:count], now_ms, self._clock)
        self._parser.idle(now_ms, self._clock)
        self.pump(now_ms)

    def next_due(self, now_ms: int) -> int:
        """Milliseconds until ``poll`` has something to do on its own (-1: nothing)."""
        waits = []
        events = self._events.count
        self._forget_dropped()
        if events:
            waits.append(
                max(0, self._clock.diff(self._resend_at, now_ms))
                if self._in_flight >= min(events, self.window)
                else 0
            )
        if self._parser.pending():
            waits.append(wire.IDLE_GIVE_UP_MS)
        return min(waits) if waits else -1

    # -- frames ----------------------------------------------------------------------

    def _frame(self, kind: int, seq: int, payload: bytes) -> None:
        if kind == wire.REQUEST:
            self._request(seq, payload)
        elif kind == wire.EVENT_ACK:
            self._event_ack(seq, payload)
        elif kind in {wire.ACK, wire.NAK}:
            pass  # the controller never waits for the host's link-level answers
        else:
            self._send(wire.NAK, seq, bytes((wire.NAK_UNKNOWN_TYPE,)))

    def _request(self, seq: int, payload: bytes) -> None:
        if not payload:
            self._send(wire.NAK, seq, bytes((wire.NAK_MALFORMED,)))
            return
        hello = payload[0] == wire.CMD_HELLO
        if not hello and seq == self._last_seq and payload == self._last_payload:
            self._uart.write(self._last_answer)  # a retransmission: not run again
            return
        ack = wire.encode_frame(wire.ACK, seq)
        self._uart.write(ack)
        if hello:
            self.sessions += 1
            self._in_flight = 0  # a new session: the oldest event goes out at once
        status, data = self._run(payload)
        if hello:
            self.window, self.options = 1, 0
            if status == wire.OK and len(payload) >= 3:
                self.window = min(payload[2], self._max_window)
                data += bytes((self.window,))
            if status == wire.OK and len(payload) == 4:
                self.options = payload[3] & self._offered
                data += bytes((self.options,))
        answer = wire.encode_frame(
            wire.RESPONSE, seq, bytes((payload[0], status)) + data
        )
        self._uart.write(answer)
        self._last_seq, self._last_payload, self._last_answer = (
            seq,
            payload,
            ack + answer,
        )

    def _event_ack(self, seq: int, payload: bytes) -> None:
        if len(payload) != 4:
            self._send(wire.NAK, seq, bytes((wire.NAK_MALFORMED,)))
            return
        number = (
            (payload[0] << 24) | (payload[1] << 16) | (payload[2] << 8) | payload[3]
        )
        events = self._events
        self._forget_dropped()
        for index in range(min(events.count, max(self._in_flight, self.window))):
            if events.number(index) == number:
                events.drop(index + 1)  # cumulative: this one and every older one
                self._in_flight = max(0, self._in_flight - index - 1)
                self._resend_at = self._clock.add(self._now, EVENT_RESEND_MS)
                return

    def pump(self, now_ms: int) -> None:
        """Fill the window with the oldest events; resend it all when a second passed."""
        events = self._events
        self._forget_dropped()
        if not events.count:
            self._in_flight = 0
            return
        if self._in_flight and self._clock.diff(now_ms, self._resend_at) >= 0:
            self._in_flight = 0  # no EVENT_ACK for a second: go back to the oldest
        limit = min(events.count, self.window)
        if self._in_flight >= limit:
            return
        if not self._in_flight:
            self._resend_at = self._clock.add(now_ms, EVENT_RESEND_MS)
        while self._in_flight < limit:
            self._frame_counter = (self._frame_counter + 1) & 0xFF
            payload = events.payload(self._in_flight)
            if payload[4] == wire.EV_BOLT and not self.options & wire.OPT_BOLT_CAUSE:
                payload = payload[:-1]  # state only: the BOLT of an earlier revision
            self._send(wire.EVENT, self._frame_counter, payload)
            self._in_flight += 1

    def _forget_dropped(self) -> None:
        """Forget the events in flight that a full buffer dropped (the oldest go first)."""
        dropped = self._events.dropped - self._dropped
        if dropped:
            self._dropped += dropped
            self._in_flight = max(0, self._in_flight - dropped)

    def _send(self, kind: int, seq: int, payload: bytes) -> None:
        self._uart.write(wire.encode_frame(kind, seq, payload))
