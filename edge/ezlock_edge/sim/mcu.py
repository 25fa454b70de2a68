"""The virtual lock MCU: the protocol peer on the MCU link (docs/serial-protocol.md).

Requests are acknowledged at once (ACK), then answered (RESPONSE, same seq). A request
whose seq and payload match a recent one is a retransmission: the cached ACK and
RESPONSE are sent again and the command is not run twice. HELLO is always run: it
starts a new session (the cache is dropped, the oldest pending event is sent at once).

Events are numbered (u32) and kept until the driver's EVENT_ACK: the MCU sends the
oldest unacknowledged event, resends it every 0.5 s until acknowledged, then sends the
next, so a driver that restarts loses none. With a state file the event counter lives
in "non-volatile memory": numbers go on increasing by one across simulator restarts.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import replace
import logging
from pathlib import Path
import random
from typing import assert_never

from ezlock_edge.clock import Clock
from ezlock_edge.framing.errors import DecodeError
from ezlock_edge.framing.mcu import McuFrame, McuParser, MessageType, NakReason
from ezlock_edge.framing.mcu_messages import (
    PROTOCOL_VERSION,
    Command,
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
    UnknownCommandError,
    Unlock,
    decode_event_ack,
    decode_request,
    encode_event,
    encode_status,
)
from ezlock_edge.protocol.receiver import FrameReceiver
from ezlock_edge.vocabulary.mcu import McuEvent, McuInfo

from . import statefile
from .body import LockBody

_LOGGER = logging.getLogger(__name__)

EVENT_RESEND_INTERVAL = 0.5
"""Seconds between resends of an unacknowledged event (real time)."""
EVENT_BUFFER_SIZE = 1024
"""Unacknowledged events the MCU keeps; beyond this the oldest are lost."""
_ANSWER_CACHE_SIZE = 16
_MAX_EVENT_NUMBER = 0xFFFFFFFF
EVENT_NUMBER_BLOCK = 256
"""Event numbers reserved per write of the counter to flash."""


class EventNumbering:
    """u32 event numbers, never reused, kept in ``path`` (the MCU's flash) if given.

    Like firmware sparing its flash, the counter reserves numbers in blocks: it writes
    only when a block is used up, and a restarted MCU continues after the reserved
    block. Numbers may therefore jump after a restart, but never repeat, which is all
    the driver relies on (it ignores numbers it has already handled).
    """

    def __init__(self, path: Path | None) -> None:
        """Continue after the block reserved in ``path``, or start at 1."""
        self._path = path
        self._next = 1
        if path is not None and (stored := statefile.load(path)) is not None:
            self._next = int(stored["next"])
        self._reserved = self._next

    def take(self) -> int:
        """Return the next event number (wrapping to 1 after 2**32 - 1)."""
        number = self._next
        self._next = number + 1 if number < _MAX_EVENT_NUMBER else 1
        if self._path is not None and not number < self._reserved:
            self._reserved = min(number + EVENT_NUMBER_BLOCK, _MAX_EVENT_NUMBER)
            statefile.save(self._path, {"next": self._reserved})
        return number


class VirtualMcu:
    """MCU firmware: the link protocol on top of the lock's physics (``LockBody``)."""

    def __init__(
        self,
        info: McuInfo,
        clock: Clock,
        rng: random.Random,
        *,
        motor_travel: float,
        send: Callable[[bytes], None],
        state_path: Path | None = None,
    ) -> None:
        """Announce ``info`` in HELLO; ``send`` writes to the UART."""
        self.info = info
        self.body = LockBody(clock, self.push_event, rng, motor_travel=motor_travel)
        self._send = send
        self._receiver = FrameReceiver(McuParser(), self._frame)
        self._numbering = EventNumbering(state_path)
        self._pending: deque[McuEvent] = deque(maxlen=EVENT_BUFFER_SIZE)
        self._answered: OrderedDict[int, tuple[bytes, bytes]] = OrderedDict()
        self._resend: asyncio.TimerHandle | None = None
        self._frame_counter = 0
        self._pump_soon: asyncio.Handle | None = None

    @property
    def pending_events(self) -> list[McuEvent]:
        """Events not yet acknowledged by the driver, oldest first."""
        return list(self._pending)

    def start(self) -> None:
        """Power on: physics timers run."""
        self.body.start()

    def stop(self) -> None:
        """Power off: stop every timer (pending events are lost, as in RAM)."""
        self.body.stop()
        self._receiver.reset()
        for handle in (self._resend, self._pump_soon):
            if handle is not None:
                handle.cancel()
        self._resend = self._pump_soon = None

    def push_event(self, event: McuEvent) -> None:
        """Give ``event`` its number and queue it; it goes out after the current answer."""
        numbered = replace(event, seq=self._numbering.take())
        if len(self._pending) == self._pending.maxlen:
            _LOGGER.warning(
                "MCU event buffer full: event %d lost", self._pending[0].seq
            )
        self._pending.append(numbered)
        if len(self._pending) == 1:
            self._pump_after_answer()

    def receive(self, data: bytes) -> None:
        """Take bytes from the driver; a dead MCU (no power) hears nothing."""
        if self.body.powered:
            self._receiver.feed(data)

    # -- link ------------------------------------------------------------------------------

    def _frame(self, frame: McuFrame) -> None:
        match frame.type:
            case MessageType.REQUEST:
                self._request(frame)
            case MessageType.EVENT_ACK:
                self._event_ack(frame)
            case MessageType.ACK | MessageType.NAK:
                pass  # the host never needs to acknowledge MCU frames other than events
            case MessageType.RESPONSE | MessageType.EVENT:
                self._write(
                    McuFrame(MessageType.NAK, frame.seq, _nak(NakReason.UNKNOWN_TYPE))
                )
            case _:
                assert_never(frame.type)

    def _request(self, frame: McuFrame) -> None:
        if not frame.payload:
            self._write(McuFrame(MessageType.NAK, frame.seq, _nak(NakReason.MALFORMED)))
            return
        cached = self._answered.get(frame.seq)
        if (
            cached is not None
            and cached[0] == frame.payload
            and frame.payload[0] != Command.HELLO
        ):
            self._send(cached[1])  # retransmission: same answer, command not rerun
            return
        ack = McuFrame(MessageType.ACK, frame.seq).encode()
        self._send(ack)
        response = self._answer(frame.payload)
        answer = McuFrame(MessageType.RESPONSE, frame.seq, response.encode()).encode()
        self._send(answer)
        self._answered[frame.seq] = (frame.payload, ack + answer)
        self._answered.move_to_end(frame.seq)
        while len(self._answered) > _ANSWER_CACHE_SIZE:
            self._answered.popitem(last=False)

    def _answer(self, payload: bytes) -> McuResponse:
        command = payload[0]
        try:
            request = decode_request(payload)
        except UnknownCommandError:
            return McuResponse(command, ResponseStatus.UNKNOWN_COMMAND)
        except DecodeError as err:
            _LOGGER.debug("MCU: bad arguments for command 0x%02X: %s", command, err)
            return McuResponse(command, ResponseStatus.INVALID_ARGUMENT)
        status, data = self._run(request)
        return McuResponse(command, status, data)

    def _run(self, request: McuRequest) -> tuple[ResponseStatus, bytes]:
        body = self.body
        match request:
            case Hello():
                self._answered.clear()  # a new session may reuse old seqs
                self._pump_after_answer()
                return ResponseStatus.OK, HelloReply(
                    PROTOCOL_VERSION, self.info
                ).encode()
            case GetStatus():
                return ResponseStatus.OK, encode_status(body.status())
            case Lock() | Unlock() if body.motor_running:
                return ResponseStatus.BUSY, b""
            case Lock():
                body.lock()
            case Unlock(direction=direction):
                body.unlock(direction)
            case SetLeds(mode=mode, leds=leds):
                body.set_leds(leds, mode)
            case PlayPrompt(prompt=prompt):
                body.play(prompt)
            case SetVolume(level=level):
                body.set_volume(level)
            case Siren(on=on, seconds=seconds):
                body.sound_siren(on, seconds)
            case SetDoorDirection(direction=direction):
                body.set_door_direction(direction)
            case SetWifi(enabled=enabled):
                body.set_wifi(enabled)
            case _:
                assert_never(request)
        return ResponseStatus.OK, b""

    # -- events ---------------------------------------------------------------------------

    def _event_ack(self, frame: McuFrame) -> None:
        try:
            number = decode_event_ack(frame.payload)
        except DecodeError:
            self._write(McuFrame(MessageType.NAK, frame.seq, _nak(NakReason.MALFORMED)))
            return
        if self._pending and self._pending[0].seq == number:
            self._pending.popleft()
            self._pump()

    def _pump_after_answer(self) -> None:
        """Send the oldest event as soon as the answer being written is out."""
        if self._pump_soon is None:
            self._pump_soon = asyncio.get_running_loop().call_soon(self._pump)

    def _pump(self) -> None:
        """Send the oldest unacknowledged event (now) and schedule its resend."""
        for handle in (self._pump_soon, self._resend):
            if handle is not None:
                handle.cancel()
        self._pump_soon = self._resend = None
        if not self._pending:
            return
        if self.body.powered:
            self._frame_counter = (self._frame_counter + 1) & 0xFF
            event = encode_event(self._pending[0])
            self._write(McuFrame(MessageType.EVENT, self._frame_counter, event))
        self._resend = asyncio.get_running_loop().call_later(
            EVENT_RESEND_INTERVAL, self._pump
        )

    def _write(self, frame: McuFrame) -> None:
        self._send(frame.encode())


def _nak(reason: NakReason) -> bytes:
    return bytes((reason,))
