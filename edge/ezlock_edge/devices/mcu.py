"""``McuDevice``: the lock controller's typed commands and events (device contract)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
import logging

from ezlock_edge.clock import Clock
from ezlock_edge.framing.errors import DecodeError
from ezlock_edge.framing.mcu_messages import (
    PROTOCOL_VERSION,
    FlashKeypad,
    GetStatus,
    Hello,
    HelloReply,
    Lock,
    McuRequest,
    PlayPrompt,
    ReadOutInfo,
    ResponseStatus,
    SetDoorDirection,
    SetLeds,
    SetVolume,
    SetWifi,
    ShowNumber,
    Siren,
    Unlock,
    decode_status,
)
from ezlock_edge.protocol.mcu import EVENT_WINDOW, BatchScope, McuLink, RequestRefused
from ezlock_edge.transport import SerialPort
from ezlock_edge.vocabulary.errors import DeviceError, DeviceRejected
from ezlock_edge.vocabulary.link import LinkState
from ezlock_edge.vocabulary.mcu import (
    MAX_VOLUME,
    DoorDirection,
    Key,
    Led,
    LedMode,
    McuEvent,
    McuEventKind,
    McuInfo,
    McuOption,
    McuStatus,
    Prompt,
)

from .uart import UartDevice

_LOGGER = logging.getLogger(__name__)

BAUDRATE = 115200
ALL_LEDS = frozenset[Key | Led]({*Key, *Led})
OPTIONS = McuOption.BOLT_CAUSE
"""What the driver asks for in HELLO: bolt reports that say what moved the bolt."""


class McuDevice(UartDevice):
    """The MCU: bolt motor, door sensor, keypad, voice, siren, battery and radios."""

    def __init__(
        self,
        port: SerialPort,
        link: McuLink,
        info: McuInfo,
        event_window: int = 1,
        options: McuOption = McuOption.NONE,
    ) -> None:
        """Use :meth:`open`; this wires an already started port and link."""
        super().__init__(port)
        self._link = link
        self.info = info
        self.event_window = event_window
        """Events the MCU keeps in flight this session (1: a first-revision MCU)."""
        self.options = options
        """What the MCU granted this session (none: an MCU of an earlier revision)."""
        self._session: asyncio.Task[None] | None = None
        port.add_state_listener(self._state_changed)

    @classmethod
    async def open(
        cls, url: str, baudrate: int = BAUDRATE, *, clock: Clock | None = None
    ) -> McuDevice:
        """Open the port and start a session (HELLO) to learn who the MCU is.

        Raises DeviceDisconnected / DeviceTimeout if the MCU cannot be reached: the
        lock cannot run without knowing its identity. Retransmission and reconnection
        run on ``clock`` (the system's by default).
        """
        port = SerialPort(url, baudrate, name="mcu", clock=clock)
        link = McuLink(port)
        await port.start()
        try:
            session = await _hello(link)
        except BaseException:
            await port.close()
            raise
        link.start()
        return cls(port, link, *session)

    async def close(self) -> None:
        """Stop: events not yet acknowledged stay buffered on the MCU."""
        if self._session is not None:
            self._session.cancel()
        await self._link.close()
        await super().close()

    @property
    def bolt_causes(self) -> bool:
        """Whether this session's BOLT reports say if the motor moved the bolt."""
        return McuOption.BOLT_CAUSE in self.options

    async def status(self) -> McuStatus:
        """Read bolt, door, battery, power, tamper, radios and door direction."""
        data = await self._link.request(GetStatus())
        try:
            return decode_status(data)
        except DecodeError as err:
            raise DeviceRejected(f"MCU sent a malformed STATUS: {err}") from None

    async def lock(self) -> None:
        """Throw the bolt; BOLT events report its progress (L-01)."""
        await self._command(Lock())

    async def unlock(self, direction: DoorDirection) -> None:
        """Retract the bolt, turning the motor for a door opening to ``direction`` (L-46)."""
        await self._command(Unlock(direction))

    async def set_leds(self, leds: Collection[Key | Led], mode: LedMode) -> None:
        """Light, blink or darken ``leds``; the others keep their state."""
        await self._command(SetLeds(mode, frozenset(leds)))

    async def clear_leds(self) -> None:
        """Darken the whole keypad."""
        await self._command(SetLeds(LedMode.OFF, ALL_LEDS))

    async def play(self, prompt: Prompt) -> None:
        """Speak ``prompt`` (the MCU drops it while the volume is 0)."""
        await self._command(PlayPrompt(prompt))

    async def set_volume(self, level: int) -> None:
        """Set the voice volume, 0 (mute) .. 3."""
        if not 0 <= level <= MAX_VOLUME:
            raise ValueError(f"volume {level} outside 0..{MAX_VOLUME}")
        await self._command(SetVolume(level))

    async def siren(self, on: bool, seconds: int = 60) -> None:
        """Sound the siren for ``seconds`` (L-60), or silence it."""
        if not 0 <= seconds <= 0xFFFF:
            raise ValueError(f"siren duration {seconds} s outside 0..65535")
        await self._command(Siren(on, seconds))

    async def show_number(self, digits: str) -> None:
        """Show ``digits`` on the keypad one after the other, each slowly lit (L-21)."""
        await self._command(ShowNumber(digits))

    async def flash_keypad(self, count: int = 2) -> None:
        """Flash the whole keypad ``count`` times (L-48)."""
        await self._command(FlashKeypad(count))

    async def read_out_info(self, on: bool = True) -> None:
        """Have the MCU read out serial, firmware and verification code, or stop (L-64)."""
        await self._command(ReadOutInfo(on))

    async def set_door_direction(self, direction: DoorDirection) -> None:
        """Tell the MCU which way the door opens (L-46)."""
        await self._command(SetDoorDirection(direction))

    async def set_wifi(self, enabled: bool) -> None:
        """Switch the Wi-Fi radio on or off (L-12)."""
        await self._command(SetWifi(enabled))

    def set_event_handler(
        self,
        handler: Callable[[McuEvent], Awaitable[None]],
        batch: BatchScope | None = None,
    ) -> None:
        """Await ``handler`` for each event; acknowledge to the MCU once stored.

        Events that arrived together are handled inside one ``batch()`` (the store's
        group commit) and acknowledged with one cumulative EVENT_ACK after it ended.
        The MCU resends unacknowledged events (also across a driver restart), so the
        handler must be idempotent by ``McuEvent.seq``.
        """

        async def handle(event: McuEvent) -> None:
            if (
                event.kind is McuEventKind.BOLT
                and event.bolt_cause is None
                and self.bolt_causes
            ):
                self._session_lost()  # before the handler: nothing granted is relied on
            await handler(event)

        self._link.set_event_handler(handle, batch)

    async def _command(self, request: McuRequest) -> None:
        await self._link.request(request)

    def _state_changed(self, state: LinkState) -> None:
        if state is LinkState.CONNECTED:
            self._greet()

    def _session_lost(self) -> None:
        """Rely on nothing granted: a BOLT came without its cause, the MCU restarted.

        Its RAM, and the session with it, is gone (a battery swap, L-06) while the port
        stayed up: nothing it granted holds until it is greeted again, so the next
        motor command's movement is stored durable before it (the mechanism asks
        ``bolt_causes``) and this report is the motor's if a command asked for it.
        """
        _LOGGER.warning(
            "The MCU's bolt report came without the cause it was asked for: "
            "it restarted; starting a new session"
        )
        self.event_window, self.options = 1, McuOption.NONE
        self._greet()

    def _greet(self) -> None:
        if self._session is None:
            self._session = asyncio.create_task(self._resume(), name="ezlock mcu hello")

    async def _resume(self) -> None:
        """Start a new session (the MCU then resends events): reconnected, or restarted."""
        try:
            info, self.event_window, self.options = await _hello(self._link)
        except DeviceError as err:
            _LOGGER.warning("MCU session not restarted: %s", err)
            return
        finally:
            self._session = None
        if info.serial != self.info.serial:
            _LOGGER.error(
                "A different lock MCU is now connected (serial %s, was %s)",
                info.serial,
                self.info.serial,
            )
        self.info = info


async def _hello(link: McuLink) -> tuple[McuInfo, int, McuOption]:
    """Start a session; return who answered, the event window and the options granted.

    The driver asks for a window and its :data:`OPTIONS`. An MCU of an earlier
    revision refuses a HELLO longer than it knows (INVALID_ARGUMENT): it is greeted
    again with less, first the window without options, then the version alone (the
    first revision, which sends its events stop-and-wait: window 1).
    """
    hello, data = await _greet(link)
    try:
        reply = HelloReply.decode(data)
    except DecodeError as err:
        raise DeviceRejected(f"MCU sent a malformed HELLO reply: {err}") from None
    if reply.protocol_version != PROTOCOL_VERSION:
        raise DeviceRejected(
            f"MCU speaks protocol version {reply.protocol_version}, "
            f"this driver {PROTOCOL_VERSION}"
        )
    window = reply.event_window or 1
    if window > EVENT_WINDOW:
        raise DeviceRejected(
            f"MCU granted an event window of {window} > {EVENT_WINDOW}"
        )
    options = reply.options or McuOption.NONE
    if int(options) & ~int(hello.options or McuOption.NONE):
        raise DeviceRejected(f"MCU granted options not asked for: 0x{options:02X}")
    return reply.info, window, options


_GREETINGS = (
    Hello(PROTOCOL_VERSION, EVENT_WINDOW, OPTIONS),
    Hello(PROTOCOL_VERSION, EVENT_WINDOW),
    Hello(PROTOCOL_VERSION),
)


async def _greet(link: McuLink) -> tuple[Hello, bytes]:
    """Send the fullest HELLO the MCU takes; return it and the answer's data."""
    *fuller, least = _GREETINGS
    for hello in fuller:
        try:
            return hello, await link.request(hello)
        except RequestRefused as err:
            if err.status is not ResponseStatus.INVALID_ARGUMENT:
                raise
    return least, await link.request(least)
