"""The lock controller: commands from the host, events from the lock, one main-loop pass.

``Controller.step(now)`` is one pass of the firmware's main loop: read the host link
and answer it, look at every input, move the bolt, keep the keypad, LEDs, siren, voice
and battery on time, and send events. It returns how many milliseconds may pass before
the next pass is needed; an interrupt (a byte, a touch, a switch) may wake it sooner.
On the Pico ``firmware/pico/main.py`` calls it in a loop with the watchdog; in the
simulator the physics calls it whenever something happened and when that time is due.
"""

from . import wire
from .battery import AFTER_MOTOR_MS, PERIOD_MS, Battery
from .events import MAX_EVENT_DATA, EventNumbers, EventQueue
from .hal import Clock, Radio, Store, Uart, Watchdog, const
from .inputs import ACTIVATED, PULSE, RELEASED, Button, Switch
from .keypad import Keypad
from .leds import Leds
from .link import Link
from .motor import Bolt
from .readout import ReadOut
from .voice import PROMPT_MAX, Siren, Voice

DEFAULT_VOLUME = const(2)
_ALL_KEYS = const(0x3FFF)
_MAX_WAIT_MS = const(60_000)


def _text(value: str) -> bytes:
    data = value.encode()
    return bytes((len(data),)) + data


class Controller:
    """Everything the MCU does, on the drivers a board file built."""

    def __init__(
        self,
        *,
        clock: Clock,
        host: Uart,
        store: Store,
        identity: tuple[str, str, str, str],
        capabilities: list[str],
        bolt: Bolt,
        door: Switch,
        tamper: Switch,
        set_button: Button,
        lock_button: Button,
        cylinder: Switch,
        usb_power: Switch,
        sensors: list[tuple[Switch, int]],
        keypad: Keypad,
        leds: Leds,
        voice: Voice,
        siren: Siren,
        battery: Battery,
        radio: Radio,
        watchdog: Watchdog,
        event_capacity: int,
        options: int = wire.OPTIONS,
    ) -> None:
        """``identity``: serial, model, firmware version, verification code (L-64).

        ``options``: the HELLO options this build grants (all it knows by default).
        """
        self.clock = clock
        self._store = store
        self._identity = identity
        self._capabilities = sorted(capabilities)
        self.bolt = bolt
        self._door = door
        self._tamper = tamper
        self._set_button = set_button
        self._lock_button = lock_button
        self._cylinder = cylinder
        self._usb_power = usb_power
        self._sensors = sensors
        self.keypad = keypad
        self.leds = leds
        self._voice = voice
        self.siren = siren
        self.battery = battery
        self._radio = radio
        self._watchdog = watchdog
        record = store.load() or {}
        self._record = record
        self.volume = record.get("volume", DEFAULT_VOLUME)
        self.door_direction = record.get("door_direction", wire.RIGHT)
        self.wifi = bool(record.get("wifi", 1)) and radio.has_wifi
        self.events = EventQueue(event_capacity)
        self._numbers = EventNumbers(store, record)
        self.link = Link(
            host,
            clock,
            self.events,
            self._run,
            max_window=min(event_capacity, 255),
            options=options,
        )
        self._measure_at = 0
        self._bluetooth = False
        self._readout = ReadOut(voice, clock)
        self.faults: list[str] = []

    # -- life cycle ------------------------------------------------------------------

    def start(self, now_ms: int) -> None:
        """Power-up: motor stopped, chips configured, what the host must know queued."""
        self.bolt.stop()
        for part in (self.keypad, self.leds):
            try:
                part.start()
            except OSError as err:
                self.faults.append(f"{type(part).__name__}: {err}")
        self._radio.set_wifi(self.wifi)
        self._voice.set_volume(self.volume)
        self._measure(now_ms)
        if self.battery.percent >= 0:
            self._emit_battery()
        if self._usb_power.active:
            self.emit(wire.EV_EMERGENCY_POWER, b"\x01")
        if self._set_button.held_at_power_up:
            self.emit(wire.EV_SET_BUTTON, bytes((wire.PRESS_HELD_AT_POWER_UP,)))

    def shutdown(self) -> None:
        """Stop everything that moves or sounds (before a reset, or on a fault)."""
        self.bolt.stop()
        self.siren.sound(False, 0, self.clock.ticks_ms())

    def step(self, now_ms: int) -> int:
        """One main-loop pass; return the milliseconds until the next one is needed."""
        self._watchdog.feed()
        self.link.poll(now_ms)
        self._inputs(now_ms)
        self.keypad.poll(now_ms)
        motor = self.bolt.moving  # a change now is the motor's, else a hand's
        change = self.bolt.poll(now_ms)
        if change >= 0:
            cause = wire.CAUSE_MOTOR if motor else wire.CAUSE_HAND
            self.emit(wire.EV_BOLT, bytes((change, cause)))
            if not self.bolt.moving:
                self._measure_at = self.clock.add(now_ms, AFTER_MOTOR_MS)
        self.leds.poll(now_ms)
        self._voice.poll(now_ms)
        if self._readout.reading:
            self.keypad.host_activity(now_ms, lights=False)  # awake while it reads
        if self._readout.poll(now_ms):
            self.emit(wire.EV_READ_OUT_DONE, b"")
        self.siren.poll(now_ms)
        due = self.clock.diff(now_ms, self._measure_at) >= 0
        if due and not self.bolt.moving and self._measure(now_ms):
            self._emit_battery()
        self._radios()
        self.link.pump(now_ms)
        return self._next_due(now_ms)

    def emit(self, kind: int, data: bytes) -> None:
        """Give an event its number and queue it for the host."""
        self.events.push(self._numbers.take(), kind, data)

    # -- inputs ----------------------------------------------------------------------

    def _inputs(self, now_ms: int) -> None:
        door = self._door.poll()
        if door in {ACTIVATED, RELEASED}:
            state = wire.DOOR_CLOSED if self._door.active else wire.DOOR_OPEN
            self.emit(wire.EV_DOOR, bytes((state,)))
        if self._tamper.poll() in {ACTIVATED, PULSE}:
            self.emit(wire.EV_TAMPER, b"")
        if self._cylinder.poll() in {ACTIVATED, PULSE}:
            self.emit(wire.EV_MECHANICAL_KEY, b"")
        usb = self._usb_power.poll()
        if usb in {ACTIVATED, RELEASED}:
            self.emit(wire.EV_EMERGENCY_POWER, bytes((self._usb_power.active,)))
        press = self._set_button.poll(now_ms)
        if press:
            self.emit(wire.EV_SET_BUTTON, bytes((press,)))
        if self._lock_button.poll(now_ms):
            self.emit(wire.EV_LOCK_BUTTON, b"")
        for line, sensor in self._sensors:
            if line.poll() in {ACTIVATED, PULSE}:
                self.emit(wire.EV_SENSOR_WAKE, bytes((sensor,)))

    def _radios(self) -> None:
        radio = self._radio
        if not radio.has_bluetooth:
            return
        connected = radio.bluetooth_connected()
        if connected != self._bluetooth:
            # L-12: the host hears every change (a phone connects, then leaves).
            self._bluetooth = connected
            state = wire.BT_CONNECTED if connected else wire.BT_IDLE
            self.emit(wire.EV_BLUETOOTH, bytes((state,)))
        request = radio.take_bluetooth_key()
        if request is not None:
            code, lock = request
            data = _text(code)
            if len(data) <= MAX_EVENT_DATA:
                kind = wire.EV_BLUETOOTH_LOCK if lock else wire.EV_BLUETOOTH_KEY
                self.emit(kind, data)

    def _measure(self, now_ms: int) -> bool:
        self._measure_at = self.clock.add(now_ms, PERIOD_MS)
        return self.battery.measure()

    def _emit_battery(self) -> None:
        self.emit(wire.EV_BATTERY, bytes((self.battery.percent, self.battery.low)))

    def _next_due(self, now_ms: int) -> int:
        # A measurement due while the motor runs waits for its stop (which sets the
        # next one): counting it here would ask for a pass at once, again and again.
        wait = _MAX_WAIT_MS
        if not self.bolt.moving:
            wait = max(0, self.clock.diff(self._measure_at, now_ms))
        for due in (
            self.link.next_due(now_ms),
            self.keypad.next_due(now_ms),
            self.bolt.next_due(now_ms),
            self.leds.next_due(now_ms),
            self._voice.next_due(now_ms),
            self._readout.next_due(now_ms),
            self.siren.next_due(now_ms),
            self._set_button.next_due(now_ms),
            self._lock_button.next_due(now_ms),
        ):
            if 0 <= due < wait:
                wait = due
        return min(wait, _MAX_WAIT_MS)

    # -- commands --------------------------------------------------------------------

    def _run(self, payload: bytes) -> tuple[int, bytes]:
        command, args = payload[0], payload[1:]
        now_ms = self.clock.ticks_ms()
        if command == wire.CMD_HELLO:
            return self._hello(args)
        if command == wire.CMD_STATUS:
            return (wire.OK, self._status()) if not args else _invalid()
        if command == wire.CMD_OLDEST_EVENT:
            return (wire.OK, self._oldest_event()) if not args else _invalid()
        if command in {wire.CMD_LOCK, wire.CMD_UNLOCK}:
            return self._move(command, args, now_ms)
        if command == wire.CMD_SET_LEDS:
            return self._set_leds(args, now_ms)
        if command == wire.CMD_PLAY_PROMPT:
            if len(args) != 1 or not 1 <= args[0] <= PROMPT_MAX:
                return _invalid()
            self.keypad.host_activity(now_ms, lights=False)
            self._end_read_out()  # a prompt cuts the read-out short
            if self.volume:
                self._voice.play(args[0], now_ms)
            return wire.OK, b""
        if command == wire.CMD_SHOW_NUMBER:
            if not 1 <= len(args) <= SHOW_DIGITS_MAX or max(args) > 9:
                return _invalid()
            self.leds.show_number(args, now_ms)
            self.keypad.host_activity(now_ms, lights=True)
            return wire.OK, b""
        if command == wire.CMD_FLASH_KEYPAD:
            if len(args) != 1 or not 1 <= args[0] <= FLASHES_MAX:
                return _invalid()
            self.leds.flash(args[0], now_ms)
            self.keypad.host_activity(now_ms, lights=True)
            return wire.OK, b""
        if command == wire.CMD_READ_OUT_INFO:
            if len(args) != 1 or args[0] > 1:
                return _invalid()
            self.keypad.host_activity(now_ms, lights=False)
            self._end_read_out()
            if args[0] and self.volume:
                serial, _, firmware, code = self._identity
                self._readout.start(serial, firmware, code, now_ms)
            elif args[0]:
                self.emit(wire.EV_READ_OUT_DONE, b"")  # muted: nothing to hear
            return wire.OK, b""
        if command == wire.CMD_SET_VOLUME:
            if len(args) != 1 or args[0] > wire.MAX_VOLUME:
                return _invalid()
            self.volume = args[0]
            if self.volume:
                self._voice.set_volume(self.volume)
            self._remember("volume", self.volume)
            return wire.OK, b""
        if command == wire.CMD_SIREN:
            if len(args) != 3 or args[0] > 1:
                return _invalid()
            self.siren.sound(bool(args[0]), (args[1] << 8) | args[2], now_ms)
            return wire.OK, b""
        if command == wire.CMD_SET_DOOR_DIRECTION:
            if len(args) != 1 or args[0] not in {wire.RIGHT, wire.LEFT}:
                return _invalid()
            self.door_direction = args[0]
            self._remember("door_direction", args[0])
            return wire.OK, b""
        if command == wire.CMD_SET_WIFI:
            if len(args) != 1 or args[0] > 1:
                return _invalid()
            self.wifi = bool(args[0]) and self._radio.has_wifi
            self._radio.set_wifi(self.wifi)
            self._remember("wifi", args[0])
            return wire.OK, b""
        return wire.UNKNOWN_COMMAND, b""

    def _hello(self, args: bytes) -> tuple[int, bytes]:
        # version, the event window and the options the host asks for (the link
        # appends the window and the options it grants)
        if not 1 <= len(args) <= 3 or (len(args) >= 2 and not args[1]):
            return _invalid()
        serial, model, firmware, code = self._identity
        parts = [bytes((wire.PROTOCOL_VERSION,))]
        parts.extend(_text(value) for value in (serial, model, firmware, code))
        parts.append(bytes((len(self._capabilities),)))
        parts.extend(_text(name) for name in self._capabilities)
        return wire.OK, b"".join(parts)

    def _oldest_event(self) -> bytes:
        """Return the oldest event kept (the next number when none): older are gone."""
        events = self.events
        number = events.number(0) if events.count else self._numbers.next
        return bytes(
            (
                (number >> 24) & 0xFF,
                (number >> 16) & 0xFF,
                (number >> 8) & 0xFF,
                number & 0xFF,
            )
        )

    def _status(self) -> bytes:
        flags = (
            (0x01 if self.battery.low else 0)
            | (0x02 if self._tamper.active else 0)
            | (0x04 if self.wifi else 0)
        )
        rssi = self._radio.wifi_rssi() if self.wifi else 0
        if self._radio.has_bluetooth:
            bluetooth = (
                wire.BT_CONNECTED if self._radio.bluetooth_connected() else wire.BT_IDLE
            )
        else:
            bluetooth = wire.BT_OFF
        return bytes(
            (
                self.bolt.state,
                wire.DOOR_CLOSED if self._door.active else wire.DOOR_OPEN,
                max(self.battery.percent, 0),
                flags,
                wire.POWER_EMERGENCY if self._usb_power.active else wire.POWER_BATTERY,
                rssi & 0xFF,
                bluetooth,
                self.door_direction,
            )
        )

    def _move(self, command: int, args: bytes, now_ms: int) -> tuple[int, bytes]:
        if command == wire.CMD_LOCK:
            if args:
                return _invalid()
            target, hand = wire.BOLT_LOCKED, self.door_direction
        else:
            if len(args) != 1 or args[0] not in {wire.RIGHT, wire.LEFT}:
                return _invalid()
            target, hand = wire.BOLT_UNLOCKED, args[0]
        if self.bolt.moving:
            return wire.BUSY, b""
        state = self.bolt.start(target, hand, now_ms)
        self.emit(wire.EV_BOLT, bytes((state, wire.CAUSE_MOTOR)))
        return wire.OK, b""

    def _set_leds(self, args: bytes, now_ms: int) -> tuple[int, bytes]:
        if len(args) != 5 or args[0] > wire.LED_BLINK:
            return _invalid()
        bitmap = (args[1] << 24) | (args[2] << 16) | (args[3] << 8) | args[4]
        if bitmap & ~wire.LED_CODES:
            return _invalid()
        self.leds.set(bitmap, args[0])
        if args[0] == wire.LED_OFF and bitmap & _ALL_KEYS == _ALL_KEYS:
            self.keypad.darken_all()
        else:
            self.keypad.host_activity(now_ms, lights=args[0] == wire.LED_ON)
        return wire.OK, b""

    def _end_read_out(self) -> None:
        if self._readout.reading:
            self._readout.stop()
            self.emit(wire.EV_READ_OUT_DONE, b"")

    def _remember(self, key: str, value: int) -> None:
        if self._record.get(key) != value:
            self._record[key] = value
            self._store.save(self._record)


SHOW_DIGITS_MAX = const(10)
FLASHES_MAX = const(5)


def _invalid() -> tuple[int, bytes]:
    return wire.INVALID_ARGUMENT, b""
