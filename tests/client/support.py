"""What a person does at the simulated lock, for the client's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

import aiohttp

from custom_components.ezlock.client import EzlockClient
from ezlock_edge.app import EdgeApp
from ezlock_edge.sim.lock import SimulatedLock

ADMIN_PASSWORD: Final = "482915"
WAIT: Final = 10.0


def sim_of(edge: EdgeApp) -> SimulatedLock:
    """Return the simulated hardware behind ``edge``."""
    assert edge.sim is not None
    return edge.sim


async def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait until ``check()`` holds; the timeout only turns a hang into a failure."""
    try:
        async with asyncio.timeout(WAIT):
            while not check():  # noqa: ASYNC110 - the simulator has no change signal
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def first_admin(edge: EdgeApp) -> None:
    """Create the first admin at the keypad, as the manual says (L-26)."""
    digits = list(ADMIN_PASSWORD)
    await sim_of(edge).keypad(["confirm", *digits, "confirm", *digits, "confirm"])
    await eventually(lambda: edge.core.state.admin_exists, "the first admin")


async def open_pairing(edge: EdgeApp) -> str:
    """Hold SET until the pairing window opens (L-65); return the label's code."""
    sim = sim_of(edge)
    await sim.set_button("long")
    await eventually(lambda: edge.core.pairing_open, "the pairing window")
    return (await sim.label())["verification_code"]


def client_of(
    edge: EdgeApp, session: aiohttp.ClientSession, token: str | None = None
) -> EzlockClient:
    """Return a client for ``edge``, pinned to its certificate."""
    return EzlockClient(
        session, "127.0.0.1", edge.port, fingerprint=edge.tls_fingerprint, token=token
    )


async def pair(
    edge: EdgeApp, session: aiohttp.ClientSession, name: str = "Client tests"
) -> EzlockClient:
    """Pair through the real window and code; return the paired client."""
    code = await open_pairing(edge)
    result = await client_of(edge, session).pair(name, code)
    return client_of(edge, session, result.token)
