"""Helpers for the API tests: a running edge driver on simulated hardware and a client.

Everything goes through the real stack: the simulated lock's ptys, the device drivers,
the lock core, the API server (h11 + wsproto) over TLS on loopback, and an aiohttp
client that pins the certificate as Home Assistant does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from ezlock_edge.api.context import WsSettings
from ezlock_edge.app import EdgeApp, EdgeOptions
from ezlock_edge.clock import IdleClock, ManualClock
from ezlock_edge.sim.lock import SimulatedLock
from tests.support.lock import open_pairing
from tests.support.waiting import eventually

NO_BODY = object()


@dataclass
class Reply:
    """Status and parsed JSON body of one API call."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ApiClient:
    """A pinned HTTPS client for one edge driver."""

    edge: EdgeApp
    session: aiohttp.ClientSession
    token: str | None = None
    _pin: aiohttp.Fingerprint | None = None

    @property
    def ssl(self) -> aiohttp.Fingerprint | bool:
        """Pin the certificate like Home Assistant does.

        One ``Fingerprint`` object per client, as Home Assistant keeps: aiohttp pools
        connections by it, so a new one per request would open a new connection each
        time (and hit the edge driver's per-address connection limit).
        """
        fingerprint = self.edge.tls_fingerprint
        if not fingerprint:
            return False
        if self._pin is None or self._pin.fingerprint != bytes.fromhex(fingerprint):
            self._pin = aiohttp.Fingerprint(bytes.fromhex(fingerprint))
        return self._pin

    async def call(
        self,
        method: str,
        path: str,
        body: Any = NO_BODY,
        *,
        token: str | None = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send one request to ``/api/v1{path}``.

        ``token`` overrides the client's; ``""`` sends no Authorization header.
        """
        sent = dict(headers or {})
        bearer = token if token is not None else self.token
        if bearer and "Authorization" not in sent:
            sent["Authorization"] = f"Bearer {bearer}"
        kwargs: dict[str, Any] = {"headers": sent, "ssl": self.ssl}
        if raw is not None:
            kwargs["data"] = raw
            sent.setdefault("Content-Type", "application/json")
        elif body is not NO_BODY:
            kwargs["json"] = body
        async with self.session.request(
            method, f"{self.edge.url}/api/v1{path}", **kwargs
        ) as response:
            if response.content_type.startswith("image/"):
                return Reply(
                    response.status, await response.read(), dict(response.headers)
                )
            text = await response.text()
            return Reply(
                response.status,
                await response.json(content_type=None) if text else None,
                dict(response.headers),
            )

    async def ws(self, token: str | None = None) -> aiohttp.ClientWebSocketResponse:
        """Open the WebSocket, authenticating with the header."""
        bearer = token if token is not None else self.token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return await self.session.ws_connect(
            f"{self.edge.url}/api/v1/ws", headers=headers, ssl=self.ssl, heartbeat=None
        )


async def pair(client: ApiClient, name: str = "Home Assistant") -> str:
    """Pair ``client`` through the real window and code; return the client id."""
    code = await open_pairing(client.edge)
    reply = await client.call(
        "POST", "/pair", {"client_name": name, "verification_code": code}
    )
    assert reply.status == 201, reply.body
    client.token = reply.body["token"]
    return str(reply.body["client_id"])


async def enroll_finger(api: ApiClient, finger: str) -> None:
    """Enroll ``finger`` for user 1 through the API, touching the simulated sensor."""
    reply = await api.call("POST", "/users/1/enrollments", {"type": "fingerprint"})
    assert reply.status == 202, reply.body
    sim = api.edge.sim
    assert sim is not None
    for step in range(reply.body["steps"]):

        def reached(step: int = step) -> bool:
            events = api.edge.core.events.query(since=0, limit=1000)
            return sum(1 for e in events if e.type == "enrollment") >= step

        await eventually(reached, f"step {step}")
        await sim.finger(finger)

    def stored() -> bool:
        return any(
            e.type == "enrollment" and e.data["status"] == "completed"
            for e in api.edge.core.events.query(since=0, limit=1000)
        )

    await eventually(stored, "the enrolled finger")


@contextlib.asynccontextmanager
async def running_edge(
    data_dir: Path,
    clock: ManualClock,
    *,
    sim: SimulatedLock | None = None,
    tls: bool = True,
    ws: WsSettings | None = None,
    camera: str | None = None,
    time_zone: str | None = None,
) -> AsyncIterator[EdgeApp]:
    """Run an edge driver on loopback with simulated hardware until the block ends.

    The lock's time is ``clock``; the drivers' links run on an IdleClock, so nothing
    waits in real time (docs/architecture.md, Time).
    """
    edge = EdgeApp(
        EdgeOptions(
            data_dir=data_dir,
            clock=clock,
            wire_clock=IdleClock(),
            tls=tls,
            motor_travel=0.0,
            simulate=True,
            sim=sim,
            ws=ws or WsSettings(),
            camera=camera,
            time_zone=time_zone,
        )
    )
    await edge.start()
    try:
        yield edge
    finally:
        await edge.stop()


@contextlib.asynccontextmanager
async def client_for(edge: EdgeApp) -> AsyncIterator[ApiClient]:
    """Open an unpaired client session for ``edge``."""
    async with aiohttp.ClientSession() as session:
        yield ApiClient(edge, session)
