"""Pairing the client with a simulated lock, as a person at the lock would."""

from __future__ import annotations

import aiohttp

from custom_components.ezlock.client import EzlockClient
from ezlock_edge.app import EdgeApp
from tests.support.lock import open_pairing


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
