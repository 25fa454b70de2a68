"""The modules' templates over the API: what another host left, what a module lost.

``GET /templates`` reads every module now against the lock's credentials;
``POST /templates/{type}/delete`` removes templates no credential owns (L-22, L-24,
L-32). The modules are set up or emptied elsewhere with their own documented commands
while no edge driver holds their ports (tests/support/modules.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.models import CredentialType
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.sim.presence import FACE_DWELL
from tests.support.lock import create_first_admin, enroll_in_view, sim_of
from tests.support.modules import empty_module_elsewhere, store_finger_elsewhere
from tests.support.waiting import eventually

from .api_support import ApiClient, client_for, pair, running_edge
from .rig_support import simulated_lock


@pytest.fixture
async def sim(tmp_path: Path, clock: ManualClock) -> AsyncIterator[SimulatedLock]:
    async with simulated_lock(tmp_path, clock) as lock:
        yield lock


def _module(reply: dict[str, Any], kind: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        m for m in reply["templates"] if m["credential_type"] == kind
    ]
    assert len(found) == 1
    return found[0]


async def test_templates_another_host_left_and_a_module_lost(
    tmp_path: Path, clock: ManualClock, sim: SimulatedLock
) -> None:
    """Reported by module, deleted on request; a lost face's credential is named."""
    async with running_edge(tmp_path / "edge", clock, sim=sim) as edge:
        await create_first_admin(sim)
        async with client_for(edge) as api:
            await pair(api)
            face = await enroll_in_view(edge, 1, "face", "alice")
            clean = (await api.call("GET", "/templates")).body
            assert [
                (m["credential_type"], m["readable"], m["unknown_slots"])
                for m in clean["templates"]
            ] == [("fingerprint", True, []), ("face", True, []), ("palm", True, [])]
    # Meanwhile another host stored a stranger's finger in pages 3 and 150 (of the
    # R503's 200) and emptied the face module.
    await store_finger_elsewhere(sim, "stranger", (3, 150))
    await empty_module_elsewhere(sim, "face")
    async with (
        running_edge(tmp_path / "edge", clock, sim=sim) as edge,
        client_for(edge) as api,
    ):
        await pair(api, "Tablet")
        reply = await api.call("GET", "/templates")
        assert reply.status == 200
        fingerprint = _module(reply.body, "fingerprint")
        assert (fingerprint["unknown_slots"], fingerprint["missing_slots"]) == (
            [3, 150],
            [],
        )
        lost = _module(reply.body, "face")
        assert lost["unknown_slots"] == []
        assert [c["id"] for c in lost["missing_credentials"]] == [face]
        assert lost["missing_slots"] == [lost["missing_credentials"][0]["slot"]]
        assert lost["missing_credentials"][0]["user"]["number"] == 1
        mismatches = [
            (e.data["credential_type"], e.data["unknown_slots"])
            for e in edge.core.events.query(limit=1000)
            if e.type == "templates_mismatch"
        ]
        assert mismatches == [("fingerprint", [3, 150]), ("face", [])]

        # Only what no credential owns, and only what was asked.
        owned = {"slots": lost["missing_slots"]}
        refused = await api.call("POST", "/templates/face/delete", owned)
        assert (refused.status, refused.body["error"]) == (409, "template_in_use")
        reply = await api.call(
            "POST", "/templates/fingerprint/delete", {"slots": [3, 7]}
        )
        assert reply.status == 200, reply.body
        assert (reply.body["unknown_slots"], reply.body["readable"]) == (
            [150],
            True,
        )
        [deleted] = [
            e
            for e in edge.core.events.query(limit=1000)
            if e.type == "templates_deleted"
        ]
        assert deleted.data["slots"] == [3]  # 7 held nothing
        assert deleted.data["by_client"]["name"] == "Tablet"

        # A lost template's credential is deleted as any other is; then it is clean.
        assert (await api.call("DELETE", f"/credentials/{face}")).status == 204
        after = (await api.call("GET", "/templates")).body
        assert _module(after, "face")["missing_credentials"] == []
        assert _module(after, "fingerprint")["unknown_slots"] == [150]


async def test_refusals(api: ApiClient) -> None:
    """Bad requests, a running enrollment and a module that does not answer."""
    for path, body in (
        ("/templates/password/delete", {"slots": [1]}),
        ("/templates/fingerprint/delete", {"slots": []}),
        ("/templates/fingerprint/delete", {"slots": [1, 1]}),
        ("/templates/fingerprint/delete", {"slots": [65536]}),
        ("/templates/fingerprint/delete", {"slots": [True]}),
        ("/templates/fingerprint/delete", {"slots": "1"}),
        ("/templates/fingerprint/delete", {}),
    ):
        reply = await api.call("POST", path, body)
        assert (reply.status, reply.body["error"]) == (400, "invalid_request"), body
    enrollment = await api.call("POST", "/users/1/enrollments", {"type": "palm"})
    busy = await api.call("POST", "/templates/palm/delete", {"slots": [1]})
    assert (busy.status, busy.body["error"]) == (409, "enrollment_busy")
    cancel = f"/enrollments/{enrollment.body['enrollment_id']}"
    assert (await api.call("DELETE", cancel)).status == 204

    sim = sim_of(api.edge)
    await sim.unplug("fingerprint")
    await eventually(
        lambda: api.edge.core.state.devices["fingerprint"].value == "disconnected",
        "the fingerprint module unplugged",
    )
    unread = _module((await api.call("GET", "/templates")).body, "fingerprint")
    assert (unread["readable"], unread["unknown_slots"]) == (False, [])
    down = await api.call("POST", "/templates/fingerprint/delete", {"slots": [1]})
    assert (down.status, down.body["error"]) == (503, "module_unavailable")
    await sim.replug("fingerprint")


async def test_a_module_plugged_in_later_is_checked(
    tmp_path: Path, clock: ManualClock, sim: SimulatedLock
) -> None:
    """A module set up elsewhere and plugged in after the driver started is reported."""
    await store_finger_elsewhere(sim, "stranger", (9,))
    await sim.unplug("fingerprint")
    async with running_edge(tmp_path / "edge", clock, sim=sim) as edge:
        await create_first_admin(sim)
        async with client_for(edge) as api:
            await pair(api)
            unread = _module((await api.call("GET", "/templates")).body, "fingerprint")
            assert unread["readable"] is False

            def mismatches() -> list[tuple[str, list[int]]]:
                return [
                    (e.data["credential_type"], e.data["unknown_slots"])
                    for e in edge.core.events.query(limit=1000)
                    if e.type == "templates_mismatch"
                ]

            assert mismatches() == []
            await sim.replug("fingerprint")
            await eventually(
                lambda: mismatches() == [("fingerprint", [9])],
                "the module checked once it is back",
            )


async def test_a_flapping_link_reports_only_news(
    tmp_path: Path, clock: ManualClock, sim: SimulatedLock
) -> None:
    """The same module back on its cable, unchanged, is checked but not reported again."""
    await store_finger_elsewhere(sim, "stranger", (9,))
    async with running_edge(tmp_path / "edge", clock, sim=sim) as edge:

        def mismatches() -> list[list[int]]:
            return [
                e.data["unknown_slots"]
                for e in edge.core.events.query(limit=1000)
                if e.type == "templates_mismatch"
            ]

        def fingerprint_link() -> str:
            return str(edge.core.state.devices["fingerprint"].value)

        await eventually(lambda: mismatches() == [[9]], "reported at start")
        for _ in range(2):
            await sim.unplug("fingerprint")
            await eventually(lambda: fingerprint_link() == "disconnected", "unplugged")
            await sim.replug("fingerprint")
            await eventually(lambda: fingerprint_link() == "connected", "back")
            await edge.core._templates._tasks.wait()  # the check of the module back
        assert mismatches() == [[9]]
        unchanged = [m for m in await edge.core.check_templates() if m.mismatch]
        assert [m.unknown_slots for m in unchanged] == [(9,)]


async def test_what_an_admin_deleted_is_no_news(
    tmp_path: Path, clock: ManualClock, sim: SimulatedLock
) -> None:
    """After a deletion, a check of the module (its link back) reports nothing again.

    ``templates_deleted`` told what went; the templates left are the ones already
    reported. One ``templates_mismatch`` per difference, not one per check.
    """
    await store_finger_elsewhere(sim, "stranger", (3, 150))
    async with running_edge(tmp_path / "edge", clock, sim=sim) as edge:

        def mismatches() -> list[list[int]]:
            return [
                e.data["unknown_slots"]
                for e in edge.core.events.query(limit=1000)
                if e.type == "templates_mismatch"
            ]

        def fingerprint_link() -> str:
            return str(edge.core.state.devices["fingerprint"].value)

        await eventually(lambda: mismatches() == [[3, 150]], "reported at start")
        after = await edge.core.delete_templates(CredentialType.FINGERPRINT, [3])
        assert after.unknown_slots == (150,)
        await sim.unplug("fingerprint")
        await eventually(lambda: fingerprint_link() == "disconnected", "unplugged")
        await sim.replug("fingerprint")
        await eventually(lambda: fingerprint_link() == "connected", "back")
        await edge.core._templates._tasks.wait()  # the check of the module back
        assert mismatches() == [[3, 150]]


async def test_a_replaced_module_reports_the_templates_it_lost(
    tmp_path: Path, clock: ManualClock, sim: SimulatedLock
) -> None:
    """The simulator's ``replace_module``: a new, empty module plugged in while running.

    The lock's credentials on it are reported missing once the new one is plugged in.
    """
    async with running_edge(tmp_path / "edge", clock, sim=sim) as edge:
        await create_first_admin(sim)
        credential = await enroll_in_view(edge, 1, "face", "alice")
        slots = {c.id: c.slot for c in await edge.core.list_credentials(1)}
        # Alice walks away: the face module is idle (no match of hers still running).
        await sim.clock(advance=FACE_DWELL + 1)

        def missing() -> list[list[int]]:
            return [
                e.data["missing_slots"]
                for e in edge.core.events.query(limit=1000)
                if e.type == "templates_mismatch"
                and e.data["credential_type"] == "face"
            ]

        def face_link() -> str:
            return str(edge.core.state.devices["face"].value)

        # As /sim/v1 does it: take the module out, then plug the new one in.
        await sim.handle("replace_module", {"link": "face"})
        await eventually(lambda: face_link() == "disconnected", "the module taken out")
        assert missing() == []
        await sim.handle("replug", {"link": "face"})
        await eventually(
            lambda: missing() == [[slots[credential]]], "its template lost"
        )
