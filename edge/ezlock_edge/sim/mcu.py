"""The virtual lock MCU: the controller's own firmware, running on simulated parts.

There is one implementation of the MCU end of the link: ``firmware/lib/ezlock_mcu``
(MicroPython for the Raspberry Pi Pico). The simulator runs it on the simulated board
of ``ezlock_mcu_sim``: in this process (``runtime="python"``, the default), or in a
MicroPython Unix-port process (``runtime="micropython"``, ``micropython -m
ezlock_mcu_sim.bridge``). Either way the physics (``sim.body``) sets the board's inputs
and reacts to what the firmware drives, and the firmware's bytes go to the driver
through the pty. Everything runs on the injected clock.
"""

from __future__ import annotations

import binascii
from collections import deque
from collections.abc import Callable
import json
import logging
import os
from pathlib import Path
import random
import shutil
import subprocess
from typing import Any, Literal, Protocol

from ezlock_mcu_sim.board import SimBoard

from ezlock_edge.clock import Clock
from ezlock_edge.vocabulary.mcu import McuInfo, McuOption

from .body import LockBody
from .errors import SimulationError

_LOGGER = logging.getLogger(__name__)

type Runtime = Literal["python", "micropython"]
type Message = dict[str, Any]

MCU_OPTIONS = McuOption.BOLT_CAUSE
"""The HELLO options the controller's firmware knows (``wire.OPTIONS``)."""


class FirmwareHost(Protocol):
    """Where the firmware runs: messages in, what it drove out."""

    def boot(self, config: Message) -> Message:
        """Power a new controller up (a restart: RAM is lost, flash kept)."""

    def handle(self, message: Message) -> Message:
        """One message of ``SimBoard.handle`` (its looks may be left out)."""

    def looks(self) -> Message:
        """Return what the panel shows now (``SimBoard.looks``)."""

    def close(self) -> None:
        """Power off for good."""


class InProcessFirmware:
    """The firmware as Python modules in this process."""

    def __init__(self) -> None:
        """Nothing runs until :meth:`boot`."""
        self.board: SimBoard | None = None

    def boot(self, config: Message) -> Message:
        """Build a fresh board and controller."""
        self.board = SimBoard(config)
        return self.board.handle({"op": "step", "t": config["t"]})

    def handle(self, message: Message) -> Message:
        """Hand ``message`` to the board; its looks only when asked (:meth:`looks`)."""
        if self.board is None:
            raise SimulationError("the MCU is not powered")
        return self.board.handle(message, looks=False)

    def looks(self) -> Message:
        """Read the panel off the board now (the same as after its last pass)."""
        return self.board.looks() if self.board is not None else {}

    def close(self) -> None:
        """Stop the motor."""
        if self.board is not None:
            self.board.shutdown()
        self.board = None


class MicroPythonFirmware:
    """The firmware in a MicroPython Unix-port process, one JSON line per message."""

    def __init__(self, executable: str | None = None) -> None:
        """Start ``micropython`` (``$EZLOCK_MICROPYTHON`` or the one on PATH)."""
        binary = executable or os.environ.get("EZLOCK_MICROPYTHON") or "micropython"
        found = shutil.which(binary)
        if found is None:
            raise SimulationError(
                f"{binary} not found: install MicroPython's Unix port "
                "(Debian: apt install micropython)"
            )
        import ezlock_mcu  # noqa: PLC0415 - only to find the packages' directories
        import ezlock_mcu_sim  # noqa: PLC0415

        path = os.pathsep.join(
            str(Path(package.__file__ or "").parent.parent)
            for package in (ezlock_mcu, ezlock_mcu_sim)
        )
        self._process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [found, "-X", "heapsize=256k", "-m", "ezlock_mcu_sim.bridge"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "MICROPYPATH": path},
            text=True,
        )
        self.ram_after_start: int | None = None
        self._looks: Message = {}

    def boot(self, config: Message) -> Message:
        """Power a new controller up inside the MicroPython process."""
        reply = self._call({"op": "boot", **config})
        self.ram_after_start = reply.get("ram_after_start")
        return reply

    def handle(self, message: Message) -> Message:
        """Send ``message`` and wait for the answer."""
        if message["op"] == "rx":
            message = {**message, "data": message["data"].hex()}
        return self._call(message)

    def looks(self) -> Message:
        """Return the panel as of the last answer (every answer carries it)."""
        return self._looks

    def stats(self) -> Message:
        """Return the MicroPython heap: bytes in use, free, and the peak seen."""
        return self._call({"op": "stats"})

    def close(self) -> None:
        """End the process."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def _call(self, message: Message) -> Message:
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None or self._process.poll() is not None:
            raise SimulationError("the MicroPython firmware process has ended")
        stdin.write(json.dumps(message) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise SimulationError("the MicroPython firmware process has ended")
        reply: Message = json.loads(line)
        if "error" in reply:
            raise SimulationError(f"MicroPython firmware: {reply['error']}")
        reply["tx"] = binascii.unhexlify(reply["tx"])
        if "leds" in reply:
            self._looks = {key: reply[key] for key in ("leds", "modes", "showing")}
        return reply


class VirtualMcu:
    """The MCU: the firmware on a simulated board, the physics around it, its UART."""

    def __init__(
        self,
        info: McuInfo,
        clock: Clock,
        rng: random.Random,
        *,
        motor_travel: float,
        send: Callable[[bytes], object],
        state_path: Path | None = None,
        runtime: Runtime = "python",
        handing: int = 1,
        event_capacity: int = 1024,
        options: McuOption = MCU_OPTIONS,
    ) -> None:
        """Announce ``info`` in HELLO; ``send`` writes to the UART.

        ``options``: the HELLO options the firmware grants (McuOption.NONE: none).
        """
        self.info = info
        self._clock = clock
        self._send = send
        self._state_path = state_path
        self._runtime = runtime
        self._event_capacity = event_capacity
        self._options = options
        self._motor_travel = motor_travel
        self.firmware: FirmwareHost | None = None
        self._queue: deque[Message] = deque()
        self._draining = False
        self._tx = bytearray()  # put out by the passes of this moment, not sent yet
        self._tick: Any = None
        self.outputs: Message = {}
        self.body = LockBody(
            clock, self, rng, motor_travel=motor_travel, handing=handing
        )

    # -- power ---------------------------------------------------------------------

    def start(self) -> None:
        """Power on: physics timers run and the firmware boots."""
        self.body.start()

    def stop(self) -> None:
        """Power off for good (unacknowledged events are lost, as in RAM)."""
        self.body.stop()
        self.power_off()

    def power_on(self, inputs: dict[str, bool], adcs: dict[str, int]) -> None:
        """Boot the firmware with the world as it is now (flash kept, RAM new)."""
        if self.firmware is None:
            self.firmware = (
                MicroPythonFirmware()
                if self._runtime == "micropython"
                else InProcessFirmware()
            )
        config: Message = {
            "t": self._now(),
            "serial": self.info.serial,
            "model": self.info.model,
            "firmware": self.info.firmware,
            "verification_code": self.info.verification_code,
            "inputs": inputs,
            "battery": adcs["battery"],
            "store": str(self._state_path) if self._state_path else None,
            "event_capacity": self._event_capacity,
            "options": int(self._options),
            "motor": self._motor_timing(),
        }
        self._apply(self.firmware.boot(config))
        self._drain()

    def power_off(self) -> None:
        """Cut the power: the firmware stops, its RAM (pending events) is gone."""
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        self._queue.clear()
        if self.firmware is not None:
            self.firmware.close()
        self.firmware = None
        self.outputs = {}

    @property
    def pending_events(self) -> list[int]:
        """Numbers of the events the driver has not acknowledged yet (a count, really)."""
        return list(range(self.outputs.get("events", 0)))

    def looks(self) -> Message:
        """Return the panel now: LED channels and modes (empty without power)."""
        return self.firmware.looks() if self.firmware is not None else {}

    @property
    def powered(self) -> bool:
        """Whether the firmware is running."""
        return self.firmware is not None

    # -- the world and the firmware --------------------------------------------------

    def receive(self, data: bytes) -> None:
        """Bytes from the driver; a dead MCU (no power) hears nothing."""
        if self.firmware is not None:
            self.world({"op": "rx", "data": data})

    def world(self, message: Message) -> None:
        """Something happened to the board (an input, an ADC, a touch): run the firmware."""
        if self.firmware is None:
            return
        self._queue.append(message)
        self._drain()

    def _drain(self) -> None:
        if self._draining:
            return  # the loop below picks the message up
        self._draining = True
        try:
            while self._queue and self.firmware is not None:
                message = self._queue.popleft()
                self._apply(self.firmware.handle({**message, "t": self._now()}))
        finally:
            self._draining = False
            self._flush()

    def _flush(self) -> None:
        """Send what the passes of this moment put out, in one write."""
        if self._tx:
            tx, self._tx = bytes(self._tx), bytearray()
            self._send(tx)

    def _apply(self, outputs: Message) -> None:
        self._tx += outputs["tx"]
        self.outputs = outputs
        self._schedule(outputs["due"])
        self.body.firmware_drove(outputs)

    def _schedule(self, due_ms: int) -> None:
        if self._tick is not None:
            self._tick.cancel()
        self._tick = self._clock.call_later(due_ms / 1000, self._step)

    def _step(self) -> None:
        self._tick = None
        self.world({"op": "step"})

    def _now(self) -> int:
        # Rounded, not truncated: 1000.6 s * 1000 may be 1000599.99…, a millisecond early.
        return round(self._clock.monotonic() * 1000)

    def _motor_timing(self) -> Message:
        """Return the jam decision's timing, scaled to this body's travel (L-67)."""
        travel_ms = int(self._motor_travel * 1000)
        return {
            "travel_timeout_ms": max(3 * travel_ms, 500),
            "inrush_ms": min(150, travel_ms // 4),
            "stall_ms": min(60, travel_ms // 10),
        }
