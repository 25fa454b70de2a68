"""The push connection through the client, against the real edge driver.

Events, then the state, then live ones; and an exception that says how it ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import aiohttp
import pytest

from custom_components.ezlock.client import (
    API_VERSION,
    AlarmEvent,
    EzlockAuthError,
    EzlockClient,
    EzlockConnectionError,
    EzlockFingerprintError,
    EzlockIncompatibleError,
    LockEvent,
    LockFailedEvent,
    LockState,
    UnlockedEvent,
    UnlockFailedEvent,
)
from ezlock_edge.app import EdgeApp, EdgeOptions
from tests.support.lock import ADMIN_PASSWORD, sim_of
from tests.support.waiting import eventually

from .conftest import Starter
from .support import client_of, pair


class Stream:
    """Collects what one ``listen`` delivers, and how it ended."""

    def __init__(self, client: EzlockClient, since: int | None) -> None:
        """Start listening at once."""
        self.events: list[LockEvent] = []
        self.states: list[LockState] = []
        self.task = asyncio.ensure_future(
            client.listen(since, self.events.append, self.states.append)
        )

    async def wait(self, check: Callable[[], bool], what: str) -> None:
        """Wait for ``check`` while the stream is still up."""
        await eventually(lambda: check() or self.task.done(), what)
        if self.task.done():
            self.task.result()  # raises what ended it

    async def ended(self) -> BaseException:
        """Wait for the stream to end; return what ended it."""
        async with asyncio.timeout(10):
            with pytest.raises(Exception) as ended:
                await self.task
        return ended.value

    async def close(self) -> None:
        """Stop listening."""
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


async def test_replay_then_live(edge: EdgeApp, client: EzlockClient) -> None:
    """Every event after ``since`` arrives once, typed, then the state, then live ones."""
    stream = Stream(client, since=0)
    try:
        await stream.wait(lambda: bool(stream.states), "the first state")
        replayed = [event.seq for event in stream.events]
        assert replayed == sorted(set(replayed))
        assert stream.states[0].last_seq == edge.core.state.last_seq

        sim = sim_of(edge)
        await sim.keypad([*"111111", "confirm"])
        await sim.keypad([*ADMIN_PASSWORD, "confirm"])
        await stream.wait(
            lambda: any(isinstance(e, UnlockedEvent) for e in stream.events),
            "the unlock",
        )
        failed = [e for e in stream.events if isinstance(e, UnlockFailedEvent)]
        assert failed[-1].method == "password"
        unlocked = next(e for e in stream.events if isinstance(e, UnlockedEvent))
        assert unlocked.method == "password"
        assert unlocked.user is not None
        assert unlocked.user.number == 1
    finally:
        await stream.close()


async def test_alarm_events(edge: EdgeApp, client: EzlockClient) -> None:
    """An alarm raised at the lock arrives as an AlarmEvent."""
    stream = Stream(client, since=None)
    try:
        await stream.wait(lambda: bool(stream.states), "the first state")
        await sim_of(edge).battery(5)
        await stream.wait(
            lambda: any(isinstance(e, AlarmEvent) for e in stream.events), "the alarm"
        )
        alarm = next(e for e in stream.events if isinstance(e, AlarmEvent))
        assert (alarm.alarm, alarm.cleared) == ("low_battery", False)
    finally:
        await stream.close()


async def test_a_refused_bluetooth_lock(edge: EdgeApp, client: EzlockClient) -> None:
    """L-31: a key that is not the lock's may not lock: a typed LockFailedEvent."""
    stream = Stream(client, since=None)
    try:
        await stream.wait(lambda: bool(stream.states), "the first state")
        await sim_of(edge).bluetooth("not-a-key-of-this-lock", action="lock")
        await stream.wait(
            lambda: any(isinstance(e, LockFailedEvent) for e in stream.events),
            "the refused lock",
        )
        refused = next(e for e in stream.events if isinstance(e, LockFailedEvent))
        assert (refused.source, refused.reason, refused.visitor) == (
            "bluetooth",
            "no_match",
            None,
        )
    finally:
        await stream.close()


async def test_revoked_ends_with_auth_error(
    edge: EdgeApp, client: EzlockClient, session: aiohttp.ClientSession
) -> None:
    """Revoking the client closes its stream (4001): pair again, do not retry."""
    watcher = await pair(edge, session, "Watcher")
    stream = Stream(watcher, since=None)
    await stream.wait(lambda: bool(stream.states), "the first state")
    clients = {c.name: c.client_id for c in await client.list_clients()}
    await client.revoke_client(clients["Watcher"])
    assert isinstance(await stream.ended(), EzlockAuthError)


async def test_bad_token_refused(edge: EdgeApp, session: aiohttp.ClientSession) -> None:
    """A token the lock does not know never streams."""
    stream = Stream(client_of(edge, session, "x" * 43), since=None)
    assert isinstance(await stream.ended(), EzlockAuthError)


async def test_other_certificate(edge: EdgeApp, session: aiohttp.ClientSession) -> None:
    """Another certificate than the pinned one: no stream, a fingerprint error."""
    impostor = EzlockClient(
        session, "127.0.0.1", edge.port, fingerprint="00" * 32, token="x"
    )
    assert isinstance(await Stream(impostor, None).ended(), EzlockFingerprintError)


async def test_shutdown_is_a_connection_error(
    edge: EdgeApp, client: EzlockClient
) -> None:
    """The edge driver stops (1001): retry later."""
    stream = Stream(client, since=None)
    await stream.wait(lambda: bool(stream.states), "the first state")
    await edge.stop()
    ended = await stream.ended()
    assert isinstance(ended, EzlockConnectionError)
    assert "1001" in str(ended)


@pytest.mark.parametrize("edge_version", [API_VERSION - 1, API_VERSION + 1])
async def test_other_api_version(
    start: Starter,
    edge_options: EdgeOptions,
    session: aiohttp.ClientSession,
    edge_version: int,
) -> None:
    """auth_ok in another API version ends the stream before it subscribes."""
    edge = await start(replace(edge_options, api_version=edge_version))
    client = await pair(edge, session)
    ended = await Stream(client, since=None).ended()
    assert isinstance(ended, EzlockIncompatibleError)
    assert ended.api_version == edge_version
    assert ended.edge_outdated is (edge_version < API_VERSION)


async def test_a_callbacks_failure_is_its_own(client: EzlockClient) -> None:
    """Issue #11.5: a TimeoutError raised by the caller's callback comes out as it is.

    It is the callback's failure, not the connection's: taken for an
    ``EzlockConnectionError`` it made the caller reconnect as if the lock were gone.
    """

    def on_state(state: LockState) -> None:
        raise TimeoutError("a listener's own timeout")

    with pytest.raises(TimeoutError, match="a listener's own timeout"):
        async with asyncio.timeout(10):
            await client.listen(None, lambda event: None, on_state)
