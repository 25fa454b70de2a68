"""Timestamps inside a benchmark's edge driver: where the milliseconds of an unlock go.

Benchmark-only instrumentation (``edge_main.py --trace FILE``): a few methods of the
driver are wrapped to note when they ran, on ``time.perf_counter_ns`` (CLOCK_MONOTONIC,
the same clock in every process of the machine, so the benchmark can line the driver's
marks up with its own), each with the thread's CPU time then (``time.thread_time_ns``:
what the process computed from mark to mark). The marks are written to FILE when the
driver stops. Nothing here changes what the wrapped methods do.

The simulator's process (``sim_main.py --trace FILE``) notes one mark of its own, when
its ``/sim/v1`` handler lays the finger on the reader (:func:`install_simulator`): the
moment the credential is presented, as opposed to the benchmark's request for it. The
driver's modules are imported by :func:`install` only, so the simulator loads none of
them for this.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import functools
import importlib
import json
from pathlib import Path
import time
from types import CodeType
from typing import TYPE_CHECKING, Any

from . import probes

if TYPE_CHECKING:
    from ezlock_edge.core.events import Event
    from ezlock_edge.core.store.database import Database
    from ezlock_edge.framing.mcu import McuFrame
    from ezlock_edge.framing.mcu_messages import McuRequest
    from ezlock_edge.sim.lock import SimulatedLock

MARKS: list[tuple[str, int]] = []
CPU: list[int] = []  # the thread's CPU time at each mark (ns), as MARKS
_SENSOR_WAKE, _BOLT = 0x0D, 0x07


def mark(name: str) -> None:
    """Note that ``name`` happened now, and how much CPU this thread had used by then."""
    MARKS.append((name, time.perf_counter_ns()))
    CPU.append(time.thread_time_ns())


class TraceError(RuntimeError):
    """What this module wraps is not in the driver any more: renamed or moved."""


def require(cls: type, name: str, *, uses: tuple[str, ...] = ()) -> None:
    """Fail, naming what moved, unless ``cls.name`` is there to be wrapped.

    ``uses``: the attributes of ``cls``'s instances the wrapper reads; each must still
    be declared on the class or assigned somewhere in its code (a rename would make
    the wrapper fail inside the driver's own work, or mark nothing).
    """
    where = f"{cls.__module__}.{cls.__qualname__}"
    method = getattr(cls, name, None)
    if not callable(method):
        raise TraceError(
            f"benchmarks/trace.py wraps {where}.{name}, which is gone (renamed or "
            "moved?): point trace.py at its new name"
        )
    for attribute in uses:
        if not _has_attribute(cls, attribute):
            raise TraceError(
                f"benchmarks/trace.py reads {where}'s {attribute} in its wrapper of "
                f"{name}, and {where} has no {attribute} any more (renamed or "
                "moved?): point trace.py at its new name"
            )


def _has_attribute(cls: type, attribute: str) -> bool:
    """Whether ``cls`` declares ``attribute`` or any of its methods assigns or reads it."""
    for klass in cls.__mro__:
        if attribute in vars(klass) or attribute in getattr(
            klass, "__annotations__", {}
        ):
            return True
        for value in vars(klass).values():
            function = getattr(value, "__func__", value)
            code = getattr(function, "__code__", None)
            if code is not None and attribute in _names(code):
                return True
    return False


def _names(code: CodeType) -> set[str]:
    """Return the names a function's code (and the code nested in it) uses."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            names |= _names(constant)
    return names


# What the wrappers below wrap: (module, class, method, instance attributes they read).
SIMULATOR_TARGETS = (
    ("ezlock_edge.http.connection", "HttpConnection", "data_received", ()),
    ("ezlock_edge.sim.lock", "SimulatedLock", "finger", ()),
)
DRIVER_TARGETS = (
    ("ezlock_edge.protocol.mcu", "McuLink", "_frame_received", ()),
    ("ezlock_edge.protocol.mcu", "McuLink", "request", ()),
    ("ezlock_edge.devices.fingerprint", "FingerprintDevice", "identify", ()),
    ("ezlock_edge.core.events", "EventLog", "_announce", ()),
    ("ezlock_edge.api.ws", "WsSession", "_send_event", ("_ws",)),
    ("ezlock_edge.http.websocket", "WebSocket", "flush", ("_out",)),
    ("ezlock_edge.core.store", "Store", "sync", ("_unsynced",)),
)


def check(targets: tuple[tuple[str, str, str, tuple[str, ...]], ...]) -> None:
    """Fail, naming what moved, unless every target is there to be wrapped."""
    for module, name, method, uses in targets:
        try:
            cls = getattr(importlib.import_module(module), name)
        except ImportError, AttributeError:
            raise TraceError(
                f"benchmarks/trace.py wraps {module}.{name}.{method}, and there is "
                f"no {module}.{name} any more (renamed or moved?): point trace.py "
                "at its new name"
            ) from None
        require(cls, method, uses=uses)


def install_simulator() -> None:
    """Mark ``sim_finger`` as the simulator's handler lays a finger on the reader.

    And ``sim_request`` as bytes reach its control surface's HTTP connections: from
    there to ``sim_finger`` is the simulator's HTTP server, router and schema.
    """
    check(SIMULATOR_TARGETS)
    from ezlock_edge.http.connection import HttpConnection
    from ezlock_edge.sim.lock import SimulatedLock

    data_received = HttpConnection.data_received

    def on_data(self: HttpConnection, data: bytes) -> None:
        mark("sim_request")
        data_received(self, data)

    HttpConnection.data_received = on_data  # type: ignore[method-assign]

    finger = SimulatedLock.finger

    @functools.wraps(finger)
    async def on_finger(self: SimulatedLock, id: str) -> None:  # noqa: A002
        mark("sim_finger")
        await finger(self, id)

    SimulatedLock.finger = on_finger  # type: ignore[method-assign,assignment]


def install() -> None:
    """Wrap the methods whose timing the credential breakdown reports."""
    check(DRIVER_TARGETS)
    from ezlock_edge.core.events import EventLog
    from ezlock_edge.devices.fingerprint import FingerprintDevice
    from ezlock_edge.framing.mcu import MessageType
    from ezlock_edge.protocol.mcu import McuLink

    frame_received = McuLink._frame_received  # noqa: SLF001

    def on_frame(self: McuLink, frame: McuFrame) -> None:
        if frame.type is MessageType.EVENT and len(frame.payload) > 4:
            kind = frame.payload[4]
            if kind == _SENSOR_WAKE:
                mark("mcu_sensor_wake")
            elif kind == _BOLT:
                mark("mcu_bolt")
        frame_received(self, frame)

    McuLink._frame_received = on_frame  # type: ignore[method-assign]  # noqa: SLF001

    request = McuLink.request

    @functools.wraps(request)
    async def on_request(self: McuLink, message: McuRequest) -> bytes:
        name = message.COMMAND.name.lower()
        mark(f"mcu_{name}_sent")
        try:
            return await request(self, message)
        finally:
            mark(f"mcu_{name}_answered")

    McuLink.request = on_request  # type: ignore[method-assign,assignment]

    FingerprintDevice.identify = _around(  # type: ignore[method-assign,assignment]
        FingerprintDevice.identify, "finger_identify"
    )
    _trace_sync()
    announce = EventLog._announce  # noqa: SLF001

    def on_announce(self: EventLog, event: Event) -> None:
        mark(f"announce_{event.type}")
        announce(self, event)

    EventLog._announce = on_announce  # type: ignore[method-assign]  # noqa: SLF001
    _trace_ws_writes()


def _trace_ws_writes() -> None:
    """Mark ``ws_sent_<type>`` when the write that carries an event's frame begins.

    A session queues its messages and writes what one loop turn made ready at once
    (``WebSocket.flush``), so the mark is at that write, not at the queueing; before
    it, not after: a driver preempted right after its write (a busy machine) marked it
    after Home Assistant had shown the event, and the sample fell out of the breakdown.
    """
    from ezlock_edge.api.ws import WsSession
    from ezlock_edge.http.websocket import WebSocket

    queued: dict[int, list[str]] = {}
    send_event = WsSession._send_event  # noqa: SLF001

    def on_send(self: WsSession, event: Event) -> None:
        send_event(self, event)
        queued.setdefault(id(self._ws), []).append(event.type)

    flush = WebSocket.flush

    def on_flush(self: WebSocket) -> None:
        if self._out:  # something to write
            for kind in queued.pop(id(self), []):
                mark(f"ws_sent_{kind}")
        flush(self)

    WsSession._send_event = on_send  # type: ignore[method-assign]  # noqa: SLF001
    WebSocket.flush = on_flush  # type: ignore[method-assign]


def _trace_sync() -> None:
    from ezlock_edge.core.store import Store

    sync = Store.sync

    def on_sync(self: Database) -> None:
        durable = self._unsynced
        if durable:
            mark("fsync_start")
        sync(self)
        if durable:
            mark("fsync_end")

    Store.sync = on_sync  # type: ignore[method-assign]


def _around[**P, R](
    method: Callable[P, Awaitable[R]], name: str
) -> Callable[P, Awaitable[R]]:
    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        mark(f"{name}_start")
        try:
            return await method(*args, **kwargs)
        finally:
            mark(f"{name}_end")

    return wrapper


def save(path: Path) -> None:
    """Write the marks (``[[name, ns], ...]``), their CPU times and the probes as JSON."""
    data = {"marks": MARKS, "cpu": CPU, "probes": probes.PROBES.as_json()}
    path.write_text(json.dumps(data))


def load(path: Path) -> list[tuple[str, int]]:
    """Read the marks a driver or simulator wrote."""
    data: dict[str, Any] = json.loads(path.read_text())
    return [(str(name), int(ns)) for name, ns in data["marks"]]


def load_cpu(path: Path) -> dict[int, int]:
    """Read the thread's CPU time (ns) at each mark a process wrote, by the mark's time."""
    data: dict[str, Any] = json.loads(path.read_text())
    return {
        int(ns): int(cpu)
        for (_, ns), cpu in zip(data["marks"], data["cpu"], strict=True)
    }


def load_probes(path: Path) -> probes.Probes:
    """Read the probes a driver or simulator wrote (``probes.py``)."""
    return probes.Probes.from_json(json.loads(path.read_text())["probes"])
