"""Module templates against the lock's credentials while someone is at the lock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ezlock_edge.core.errors import ModuleUnavailableError
from ezlock_edge.core.models import CredentialType
from tests.support.waiting import eventually, settled

from .rig_support import running_lock


async def test_a_check_behind_a_match_holds_up_nothing(tmp_path: Path) -> None:
    """The face module is checked after its match; meanwhile the other modules are not.

    A face match holds the module's link until the person's time is up (seconds of
    the lock's clock; on a clock nobody moves, never). The check a link coming back
    runs waits for the match without holding up an admin's deletion on another module;
    a deletion on the face module itself is refused while it matches, not queued; an
    admin's read of the templates answers once the match has ended.
    """
    face = CredentialType.FACE
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.advance(30)  # the keypad goes dark first (L-03)
        await rig.keys()  # a touch starts a face match (L-10); nobody is in view
        identification = rig.core._identification
        await eventually(lambda: identification.matching(face), "the face match")
        checking = asyncio.create_task(rig.core._templates.check((face,)))
        palm = await settled(rig.core.delete_templates("palm", [7]), "palm deletion")
        assert palm.readable
        with pytest.raises(ModuleUnavailableError, match="matching someone"):
            await settled(rig.core.delete_templates("face", [7]), "face deletion")
        reading = asyncio.create_task(rig.core.check_templates())
        assert not checking.done()
        await rig.advance(1.0)  # the match's second passes with nobody in view
        await settled(checking, "the face module checked after its match")
        reports = await settled(reading, "the templates read")
        assert all(report.readable for report in reports)
        assert not identification.matching(face)
