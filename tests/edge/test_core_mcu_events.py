"""Who handles an MCU event how (docs/architecture.md, device contract, handling policy).

The MCU link retries a handler that failed (the MCU resends what it has no ACK for);
the core raises rather than swallows, and recognises from the database an event whose
effects are already stored.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.support.waiting import eventually

from .rig_support import running_lock


async def test_l66_a_report_that_could_not_be_stored_is_handled_on_resend(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """L-66: the event log loses nothing, not even while the database refuses writes.

    The core cannot store the door's report, so it does not acknowledge it; the MCU
    resends it, and once the database takes writes again the report is handled.
    """
    caplog.set_level(logging.WARNING, logger="ezlock_edge")
    async with running_lock(tmp_path) as rig:
        database = rig.core._store._db
        database.execute("PRAGMA query_only=ON")  # e.g. the card remounted read-only
        await rig.sim.door("open")

        def failed() -> bool:
            return any("MCU event" in r.getMessage() for r in caplog.records)

        await eventually(failed, "handling the door report failed")
        database.execute("PRAGMA query_only=OFF")
        await rig.advance(
            1.0
        )  # the controller resends an unacknowledged event each second
        await rig.event("door", state="open")
        assert [
            e.data["state"] for e in rig.core.events.query() if e.type == "door"
        ] == ["open"]
