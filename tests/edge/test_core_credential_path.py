"""A credential's way through the driver: what it sends first and what it reads.

Issue #18 measured where an unlock's milliseconds go (docs/performance.md); these
tests pin the cuts that were made on that way, by what the wires and the database
see, never by timing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ezlock_edge.framing.ef01 import Ef01Parser, PacketId
from ezlock_edge.framing.mcu import McuParser, MessageType
from ezlock_edge.transport import SerialPort

from .rig_support import running_lock


async def test_the_module_is_asked_before_the_wake_is_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The match starts within the wake's handler, not behind what the loop has ready.

    The fingerprint module's first command after the SENSOR_WAKE event goes out
    before that event's EVENT_ACK: the module (the slower side) starts at once, the
    acknowledgement follows in the same turn.
    """
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        sent: list[tuple[str, bytes]] = []
        write = SerialPort.write

        def recorded(port: SerialPort, data: bytes) -> None:
            sent.append((port.name, bytes(data)))
            write(port, data)

        monkeypatch.setattr(SerialPort, "write", recorded)
        await rig.sim.finger("mallory-thumb")
        await rig.event("unlock_failed", method="fingerprint", reason="no_match")
        monkeypatch.undo()
    mcu, module = McuParser(), Ef01Parser()
    order: list[str] = []
    for port, data in sent:
        if port == "fingerprint":
            if any(p.pid is PacketId.COMMAND for p in module.feed(data)):
                order.append("module command")
        elif any(f.type is MessageType.EVENT_ACK for f in mcu.feed(data)):
            order.append("event acknowledged")  # the first: the SENSOR_WAKE's
    assert order[:2] == ["module command", "event acknowledged"]
