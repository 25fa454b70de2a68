"""What a person does at the simulated lock, for tests that need it done."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .waiting import eventually

if TYPE_CHECKING:
    from ezlock_edge.app import EdgeApp
    from ezlock_edge.sim.lock import SimulatedLock

ADMIN_PASSWORD = "482915"
"""The first admin's keypad password (L-25: 6-10 digits, no run, not all the same)."""


def sim_of(edge: EdgeApp) -> SimulatedLock:
    """Return the simulated hardware behind ``edge`` (started with ``sim=True``)."""
    assert edge.sim is not None
    return edge.sim


async def pass_time(edge: EdgeApp, seconds: float) -> None:
    """Let ``seconds`` of a running lock's time pass, as they would (``SimulatedLock.clock``).

    Never ``clock.advance(seconds)`` on a running lock: that jump fires every timer at
    once with the driver frozen, so the controller resends an unacknowledged event once
    per second of it in one burst (a cut frame, a lost event: the test_l31 flake).
    """
    await sim_of(edge).clock(advance=seconds)


async def verification_code(edge: EdgeApp) -> str:
    """Read the verification code from the lock's label (L-64)."""
    return str((await sim_of(edge).label())["verification_code"])


async def open_pairing(edge: EdgeApp) -> str:
    """Hold SET on the rear panel until the pairing window opens (L-65).

    Returns the label's verification code, which pairing needs next.
    """
    await sim_of(edge).set_button("long")
    await eventually(lambda: edge.core.pairing_open, "the pairing window")
    return await verification_code(edge)


async def prompts(sim: SimulatedLock) -> list[str]:
    """Return the voice prompts spoken so far (names such as ``door_unlocked``)."""
    panel = await sim.panel()
    return [str(spoken["prompt"]) for spoken in panel["prompts"]]


async def said(sim: SimulatedLock, prompt: str) -> int:
    """Return how often the lock has said ``prompt``."""
    return (await prompts(sim)).count(prompt)


async def create_first_admin(
    sim: SimulatedLock, password: str = ADMIN_PASSWORD
) -> None:
    """Create a fresh lock's first admin as the manual says (L-26).

    Confirm, the password and confirm, the password again and confirm; returns once the
    lock said "success", which it does after the admin and the password are stored.
    """
    before = await said(sim, "success")
    await sim.keypad(["confirm", *password, "confirm", *password, "confirm"])

    async def done() -> bool:
        return await said(sim, "success") > before

    await eventually(done, "the first admin created at the keypad")


async def enroll_in_view(edge: EdgeApp, number: int, kind: str, identity: str) -> str:
    """Enroll user ``number``'s face or palm from the app; return the credential id.

    The person (``identity``) stays in view of the module until the lock takes them.
    """
    sim = sim_of(edge)
    present = sim.face if kind == "face" else sim.palm
    enrollment = await edge.core.start_enrollment(number, kind)

    def credential() -> str | None:
        for event in edge.core.events.query(limit=1000):
            if (
                event.type == "enrollment"
                and event.data["enrollment_id"] == enrollment.id
                and event.data["status"] == "completed"
            ):
                return str(event.data["credential_id"])
        return None

    async def completed() -> bool:
        await present(identity)
        return credential() is not None

    await eventually(completed, f"the {kind} of {identity} enrolled")
    found = credential()
    assert found is not None
    return found
