"""A simulated board and a host that speaks frames to it, for the firmware's unit tests.

Portable: the same tests run under MicroPython's Unix port (``run.py``) and CPython
(pytest). Expected bytes come from docs/serial-protocol.md and the parts' datasheets.
"""

from ezlock_mcu import wire
from ezlock_mcu.battery import cell_of_percent
from ezlock_mcu_sim.board import CELLS, DIVIDER, SimBoard, adc_u16


def battery_u16(percent: float) -> int:
    """The battery ADC reading of a pack at ``percent``."""
    return adc_u16(cell_of_percent(percent) * CELLS * DIVIDER)


MAX_PASSES_AT_ONCE = 10
"""Main-loop passes in a row a test lets the firmware ask for with no time between."""


class Host:
    """Frames to and from one powered-up board, on a clock the test moves."""

    def __init__(self, **config: object) -> None:
        """Power a board up (locked, door closed, full battery unless ``config`` says)."""
        base = {
            "t": 1_000_000,
            "serial": "EZ1234567",
            "model": "EZLOCK-6068",
            "firmware": "1.4.0",
            "verification_code": "ABCDEF",
            "inputs": {"door_closed": True, "locked_end": True},
            "battery": battery_u16(100),
        }
        base.update(config)
        self.now = base["t"]
        self.board = SimBoard(base)
        self.frames: list[tuple[int, int, bytes]] = []
        self._acked = 0
        self._parser = wire.FrameParser(self._frame)
        self.out = self.send({"op": "step"})

    def _frame(self, kind: int, seq: int, payload: bytes) -> None:
        self.frames.append((kind, seq, payload))

    def send(self, message: "dict[str, object]") -> "dict[str, object]":
        """Hand ``message`` to the board at the current time; keep what it sent."""
        message["t"] = self.now
        out = self.board.handle(message)
        self.wire = out["tx"]
        self._parser.feed(out["tx"], self.now, self.board.clock)
        self.out = out
        return out

    def advance(self, ms: int) -> None:
        """Let ``ms`` pass, running every main-loop pass the firmware asked for."""
        end = self.now + ms
        at_once = 0  # passes in a row asked for at the same moment
        while True:
            due = self.out["due"]
            if self.now + due > end:
                break
            at_once = at_once + 1 if due == 0 else 0
            # A firmware that keeps asking for a pass at once would spin a real MCU and
            # hold a simulated clock at this moment forever.
            assert at_once < MAX_PASSES_AT_ONCE, "the firmware's time stands still"
            self.now += due
            self.send({"op": "step"})
        self.now = end
        self.send({"op": "step"})

    def raw(self, data: bytes) -> bytes:
        """Send raw bytes; return the raw bytes answered."""
        return self.send({"op": "rx", "data": data})["tx"]

    def request(self, seq: int, payload: bytes) -> bytes:
        """Send one REQUEST; return the RESPONSE payload (after checking the ACK)."""
        start = len(self.frames)
        self.raw(wire.encode_frame(wire.REQUEST, seq, payload))
        answer = self.frames[start:]
        assert (answer[0][0], answer[0][1]) == (wire.ACK, seq), answer
        assert (answer[1][0], answer[1][1]) == (wire.RESPONSE, seq), answer
        return answer[1][2]

    def events(self) -> "list[bytes]":
        """EVENT payloads among the frames last received."""
        return [payload for kind, _, payload in self.frames if kind == wire.EVENT]

    def ack(self, number: int) -> None:
        """Acknowledge event ``number``."""
        self._acked = max(self._acked, number)
        self.raw(wire.encode_frame(wire.EVENT_ACK, 0, number.to_bytes(4, "big")))

    def take_events(self, count: int = 50) -> "list[bytes]":
        """Acknowledge the events received (each ACK brings the next) until none is new."""
        taken: list[bytes] = []
        while len(taken) < count:
            fresh = [
                e for e in self.events() if int.from_bytes(e[:4], "big") > self._acked
            ]
            if not fresh:
                return taken
            taken.append(fresh[0])
            self.ack(int.from_bytes(fresh[0][:4], "big"))
        return taken

    def input(self, name: str, active: bool, ago: int = 0) -> None:
        """Change an input line."""
        self.send({"op": "input", "name": name, "active": active, "ago": ago})

    def touch(self, chip: int, bits: int, ago: int = 0) -> None:
        """Touch electrodes (bit 12: proximity)."""
        self.send({"op": "touch", "chip": chip, "bits": bits, "ago": ago})


def kinds(events: "list[bytes]") -> "list[int]":
    """Event kinds of EVENT payloads."""
    return [event[4] for event in events]


def started() -> Host:
    """A board whose power-up report (the battery) has been taken by a session."""
    host = Host()
    host.request(0, b"\x01\x01")
    assert kinds(host.take_events()) == [wire.EV_BATTERY]
    return host
