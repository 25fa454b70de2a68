"""The bolt motor (L-01, L-46, L-67): a DC gear motor on a DRV8833 H-bridge, two end stops.

The bolt's state comes from two end-of-travel switches (LOCKED end, UNLOCKED end). A
movement drives the bridge until the target end stop closes. It ends JAMMED, with the
motor stopped, when the bridge reports a fault (nFAULT: overcurrent or overheating),
when the motor current (the DRV8833's sense resistor, on an ADC) stays above the stall
threshold once the start-up inrush is over, or when the travel takes too long. A bolt
moved by hand (key cylinder, inside handle) is reported when it reaches an end stop.

Which way the motor turns to retract the bolt depends on the door's hand (L-46): the
lock body is mounted mirrored on a left-opening door.
"""

from . import wire
from .hal import Adc, Clock, Input, Output, const
from .inputs import Switch

POLL_MS = const(20)


class MotorTiming:
    """The jam decision's numbers for one lock body (a board file gives them)."""

    def __init__(
        self,
        *,
        travel_timeout_ms: int,
        inrush_ms: int,
        stall_ms: int,
        stall_u16: int,
    ) -> None:
        """``stall_u16``: ADC reading above which the motor is stalling."""
        self.travel_timeout_ms = travel_timeout_ms
        self.inrush_ms = inrush_ms
        self.stall_ms = stall_ms
        self.stall_u16 = stall_u16


class Bolt:
    """Bridge inputs, end stops and the movement in progress."""

    def __init__(
        self,
        in1: Output,
        in2: Output,
        sleep: Output | None,
        fault: Input | None,
        current: Adc | None,
        locked_end: Switch,
        unlocked_end: Switch,
        timing: MotorTiming,
        clock: Clock,
    ) -> None:
        """Stop the motor and read where the bolt is."""
        self._in1 = in1
        self._in2 = in2
        self._sleep = sleep
        self._fault = fault
        self._current = current
        self._locked_end = locked_end
        self._unlocked_end = unlocked_end
        self._timing = timing
        self._clock = clock
        self.target = wire.BOLT_UNKNOWN  # LOCKED / UNLOCKED while moving
        self._started = 0
        self._stall_since = -1
        self.stop()
        self.state = self._at_end()

    @property
    def moving(self) -> bool:
        """Whether the motor is running (a new LOCK / UNLOCK is BUSY)."""
        return self.target != wire.BOLT_UNKNOWN

    def start(self, target: int, hand: int, now_ms: int) -> int:
        """Drive towards ``target`` for a door of ``hand``; return the state to report."""
        retract = target == wire.BOLT_UNLOCKED
        forward = retract == (hand == wire.RIGHT)  # unlock RIGHT = IN1 high
        if self._sleep is not None:
            self._sleep.set(True)
        self._in1.set(forward)
        self._in2.set(not forward)
        self.target = target
        self._started = now_ms
        self._stall_since = -1
        self.state = wire.BOLT_UNLOCKING if retract else wire.BOLT_LOCKING
        return self.state

    def stop(self) -> None:
        """Coast and put the bridge to sleep: safe in any state, called on every fault."""
        self._in1.set(False)
        self._in2.set(False)
        if self._sleep is not None:
            self._sleep.set(False)
        self.target = wire.BOLT_UNKNOWN

    def poll(self, now_ms: int) -> int:
        """Return the new state to report, or -1 when nothing changed."""
        locked = self._locked_end.poll()
        unlocked = self._unlocked_end.poll()
        if self.moving:
            return self._check_movement(now_ms)
        if locked or unlocked:
            state = self._at_end()
            if state not in {wire.BOLT_UNKNOWN, self.state}:
                self.state = state  # moved by hand
                return state
        return -1

    def next_due(self, now_ms: int) -> int:
        """While moving, look again soon (-1 when idle: end stops interrupt)."""
        if not self.moving:
            return -1
        if self._current is None and self._fault is None:
            elapsed = self._clock.diff(now_ms, self._started)
            return max(0, self._timing.travel_timeout_ms - elapsed)
        return POLL_MS

    def _check_movement(self, now_ms: int) -> int:
        target_end = (
            self._locked_end if self.target == wire.BOLT_LOCKED else self._unlocked_end
        )
        if target_end.active:
            self.state = self.target
            self.stop()
            return self.state
        elapsed = self._clock.diff(now_ms, self._started)
        timing = self._timing
        if self._fault is not None and self._fault.active():
            return self._jammed()
        if self._current is not None and elapsed >= timing.inrush_ms:
            if self._current.read_u16() >= timing.stall_u16:
                if self._stall_since < 0:
                    self._stall_since = now_ms
                if self._clock.diff(now_ms, self._stall_since) >= timing.stall_ms:
                    return self._jammed()
            else:
                self._stall_since = -1
        if elapsed >= timing.travel_timeout_ms:
            return self._jammed()
        return -1

    def _jammed(self) -> int:
        self.stop()
        self.state = wire.BOLT_JAMMED
        return self.state

    def _at_end(self) -> int:
        if self._locked_end.active and not self._unlocked_end.active:
            return wire.BOLT_LOCKED
        if self._unlocked_end.active and not self._locked_end.active:
            return wire.BOLT_UNLOCKED
        return wire.BOLT_UNKNOWN
