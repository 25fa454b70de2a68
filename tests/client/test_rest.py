"""Every REST route through the client, against the real edge driver over loopback.

Each reply must parse into its model: the models are checked against what the edge
driver really sends, not against fixtures written from them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from custom_components.ezlock.client import (
    API_VERSION,
    UNCHANGED,
    BoltState,
    CredentialEvent,
    CredentialType,
    DoorDirection,
    EnrollmentEvent,
    EnrollmentStatus,
    EzlockApiError,
    EzlockAuthError,
    EzlockClient,
    EzlockConnectionError,
    EzlockFingerprintError,
    EzlockIncompatibleError,
    EzlockSslError,
    LockEvent,
    Role,
    SettingsChangedEvent,
    TemplatesDeletedEvent,
    TemplatesMismatchEvent,
    VisitorEvent,
    VisitorKind,
    VisitorStatus,
    async_probe,
    ensure_supported,
)
from ezlock_edge.app import EdgeApp, EdgeOptions
from ezlock_edge.clock import ManualClock
from ezlock_edge.core.models import CredentialType as EdgeCredentialType
from ezlock_edge.sim.lock import SimulatedLock
from tests.support.lock import ADMIN_PASSWORD, open_pairing, pass_time, sim_of
from tests.support.modules import store_finger_elsewhere
from tests.support.waiting import eventually

from .conftest import Starter
from .support import client_of, pair


async def test_info_and_probe(edge: EdgeApp, session: aiohttp.ClientSession) -> None:
    """/info before pairing; the probe learns the fingerprint to pin."""
    info = await async_probe(session, "127.0.0.1", edge.port)
    assert info.serial == edge.core.info.serial
    assert info.api_version == API_VERSION
    assert info.tls_fingerprint == edge.tls_fingerprint
    assert not info.pairing_open
    ensure_supported(info)


async def test_probe_plain_http(
    start: Starter, edge_options: EdgeOptions, session: aiohttp.ClientSession
) -> None:
    """An edge driver on --insecure-http answers the probe with no fingerprint."""
    edge = await start(replace(edge_options, tls=False))
    info = await async_probe(session, "127.0.0.1", edge.port)
    assert info.tls_fingerprint is None
    plain = EzlockClient(session, "127.0.0.1", edge.port, fingerprint=None)
    assert (await plain.get_info()).serial == info.serial


async def test_https_client_on_plain_server(
    start: Starter, edge_options: EdgeOptions, session: aiohttp.ClientSession
) -> None:
    """A pinned client meeting plain HTTP fails the TLS handshake, distinctly."""
    edge = await start(replace(edge_options, tls=False))
    pinned = EzlockClient(session, "127.0.0.1", edge.port, fingerprint="ab" * 32)
    with pytest.raises(EzlockSslError):
        await pinned.get_info()


async def test_other_api_version(
    start: Starter, edge_options: EdgeOptions, session: aiohttp.ClientSession
) -> None:
    """ensure_supported says which side is older."""
    edge = await start(replace(edge_options, api_version=API_VERSION + 1))
    info = await async_probe(session, "127.0.0.1", edge.port)
    with pytest.raises(EzlockIncompatibleError) as newer:
        ensure_supported(info)
    assert (newer.value.api_version, newer.value.supported) == (2, API_VERSION)
    assert not newer.value.edge_outdated


async def test_pairing(edge: EdgeApp, session: aiohttp.ClientSession) -> None:
    """L-65: outside the window refused; a wrong code refused; the right one pairs."""
    unpaired = client_of(edge, session)
    with pytest.raises(EzlockApiError) as closed:
        await unpaired.pair("X", "ABCDEF")
    assert (closed.value.status, closed.value.code) == (403, "pairing_closed")
    code = await open_pairing(edge)
    with pytest.raises(EzlockApiError) as wrong:
        await unpaired.pair("X", "WRONG1")
    assert wrong.value.code == "invalid_verification_code"
    assert not isinstance(wrong.value, EzlockAuthError)
    result = await unpaired.pair("Tests", code)
    assert result.client_id.startswith("c_")
    assert result.token not in repr(result)
    clients = await client_of(edge, session, result.token).list_clients()
    assert [c.name for c in clients] == ["Tests"]


async def test_wrong_pin_and_token(
    edge: EdgeApp, client: EzlockClient, session: aiohttp.ClientSession
) -> None:
    """Another certificate is never talked to; an unknown token means pair again."""
    impostor = EzlockClient(
        session, "127.0.0.1", edge.port, fingerprint="00" * 32, token="x"
    )
    with pytest.raises(EzlockFingerprintError):
        await impostor.get_state()
    with pytest.raises(EzlockAuthError) as unknown:
        await client_of(edge, session, "x" * 43).get_state()
    assert unknown.value.status == 401


async def test_unreachable(edge: EdgeApp, session: aiohttp.ClientSession) -> None:
    """Nothing listening: a connection error, not a refusal."""
    gone = client_of(edge, session, "x")
    await edge.stop()
    with pytest.raises(EzlockConnectionError):
        await gone.get_info()


async def test_state_lock_and_unlock(edge: EdgeApp, client: EzlockClient) -> None:
    """The state parses completely; remote unlock is refused until enabled (L-43)."""
    state = await client.get_state()
    assert state.admin_exists
    assert set(state.credentials) == set(CredentialType)
    assert state.credentials[CredentialType.PASSWORD].count == 1
    assert state.users == 1
    assert state.last_seq == edge.core.state.last_seq
    assert state.settings == await client.get_settings()

    with pytest.raises(EzlockApiError) as disabled:
        await client.unlock()
    assert (disabled.value.status, disabled.value.code) == (
        409,
        "remote_unlock_disabled",
    )
    await client.update_settings(remote_unlock_enabled=True)
    await client.unlock()
    await eventually(lambda: edge.core.state.bolt.name == "UNLOCKED", "unlocked")
    await client.lock()
    await eventually(lambda: edge.core.state.bolt.name == "LOCKED", "locked")
    assert (await client.get_state()).bolt is BoltState.LOCKED


async def test_settings_and_countdown(client: EzlockClient, clock: ManualClock) -> None:
    """PATCH returns every setting; a bad value names its field; countdown gives a time."""
    settings = await client.update_settings(
        volume=1, door_direction=DoorDirection.LEFT, countdown_lock_seconds=45
    )
    assert (settings.volume, settings.door_direction) == (1, DoorDirection.LEFT)
    state = await client.get_state()
    assert state.with_settings(settings) == state
    with pytest.raises(EzlockApiError) as bad:
        await client.update_settings(volume=9)
    assert (bad.value.code, set(bad.value.fields)) == ("invalid_request", {"volume"})
    with pytest.raises(ValueError, match="no setting"):
        await client.update_settings()
    lock_at = await client.countdown_lock(30)
    assert lock_at == clock.now() + timedelta(seconds=30)


async def test_users_and_credentials(client: EzlockClient, clock: ManualClock) -> None:
    """L-20..L-28: add, read, change, clear validity, password, duress, delete."""
    bob = await client.add_user("Bob")
    assert (bob.role, bob.credentials) == (Role.USER, ())
    start = clock.now()
    bounded = await client.update_user(
        bob.number,
        name="Robert",
        valid_from=start,
        valid_until=start + timedelta(days=7),
    )
    assert (bounded.name, bounded.valid_until) == ("Robert", start + timedelta(days=7))
    cleared = await client.update_user(bob.number, valid_from=None, valid_until=None)
    assert (cleared.valid_from, cleared.valid_until) == (None, None)
    assert cleared.name == "Robert"
    with pytest.raises(ValueError, match="nothing"):
        await client.update_user(bob.number, name=UNCHANGED)
    with pytest.raises(ValueError, match="UTC offset"):
        await client.add_user("Naive", valid_until=start.replace(tzinfo=None))

    credential = await client.set_password(bob.number, "730619")
    assert credential.type is CredentialType.PASSWORD
    assert credential.user == cleared.ref
    flagged = await client.update_credential(credential.id, duress=True)
    assert flagged.duress
    assert (await client.get_user(bob.number)).credentials == (flagged,)
    assert await client.list_credentials(user=bob.number) == (flagged,)
    assert len(await client.list_credentials()) == 2
    await client.delete_credential(credential.id)

    admin = await client.add_user("Dana", role=Role.ADMIN, valid_from=start)
    assert (await client.update_user(admin.number, role=Role.USER)).role is Role.USER
    assert [u.number for u in await client.list_users()] == [
        1,
        bob.number,
        admin.number,
    ]
    await client.delete_user(bob.number)
    await client.delete_user(admin.number)
    with pytest.raises(EzlockApiError) as last:
        await client.delete_user(1)
    assert last.value.code == "last_admin"
    with pytest.raises(EzlockApiError) as missing:
        await client.get_user(bob.number)
    assert (missing.value.status, missing.value.code) == (404, "user_not_found")

    events = (await client.get_events(since=0, limit=1000)).events
    kinds = {type(event) for event in events if event.type.startswith("credential_")}
    assert kinds == {CredentialEvent}


async def test_enrollment(edge: EdgeApp, client: EzlockClient) -> None:
    """A fingerprint enrolled at the lock: the reply, then typed progress events."""
    since = (await client.get_state()).last_seq
    started = await client.start_enrollment(1, CredentialType.FINGERPRINT)
    assert started.credential_type is CredentialType.FINGERPRINT
    assert started.user.number == 1

    async def progress() -> list[EnrollmentEvent]:
        page = await client.get_events(since=since)
        return [e for e in page.events if isinstance(e, EnrollmentEvent)]

    for _ in range(started.steps):
        await sim_of(edge).finger("alice-left-thumb")
    await eventually(
        lambda: edge.core.state.credentials.get(EdgeCredentialType.FINGERPRINT, 0) == 1,
        "enrolled",
    )
    events = await progress()
    assert events[0].status is EnrollmentStatus.STARTED
    assert events[-1].status is EnrollmentStatus.COMPLETED
    assert events[-1].status.finished
    assert events[-1].credential_id is not None
    assert {e.enrollment_id for e in events} == {started.enrollment_id}


@pytest.mark.parametrize("kind", list(VisitorKind))
async def test_visitor_credentials(
    edge: EdgeApp, client: EzlockClient, clock: ManualClock, kind: VisitorKind
) -> None:
    """L-30, L-31: one concept: created with its secret once, listed without, revoked."""
    until = clock.now() + timedelta(hours=4)
    created = await client.create_visitor(kind, name="Cleaner", valid_until=until)
    assert created.kind is kind
    assert created.secret
    assert created.secret not in repr(created)
    assert created.valid_until == until
    if kind.counts_uses:
        assert (created.max_uses, created.uses) == (1, 0)
        unlimited = await client.create_visitor(
            kind, name="Family", valid_until=until, max_uses=None
        )
        assert unlimited.max_uses is None
        await client.delete_visitor(kind, unlimited.id)
    else:
        assert (created.max_uses, created.uses) == (None, None)
        with pytest.raises(ValueError, match="no use count"):
            await client.create_visitor(kind, name="X", valid_until=until, max_uses=3)
    state = await client.get_state()
    assert state.visitors(kind) == 1

    listed = await client.list_visitors(kind)
    assert listed == (replace(created, secret=None),)
    await pass_time(edge, 60)
    await client.revoke_visitor(kind, created.id)
    [revoked] = await client.list_visitors(kind)
    assert (revoked.status, revoked.revoked_at) == (VisitorStatus.REVOKED, clock.now())
    assert revoked.status.ended
    assert (await client.get_state()).visitors(kind) == 0
    # Revoking an ended one forgets it; so does deleting.
    await client.delete_visitor(kind, created.id)
    assert await client.list_visitors(kind) == ()
    with pytest.raises(EzlockApiError) as missing:
        await client.revoke_visitor(kind, created.id)
    assert missing.value.code == f"{kind.value}_not_found"
    with pytest.raises(EzlockApiError):
        await client.delete_visitor(kind, created.id)

    page = await client.get_events()
    visitor_events = [e for e in page.events if isinstance(e, VisitorEvent)]
    assert {(e.kind, e.action) for e in visitor_events} >= {
        (kind, "created"),
        (kind, "revoked"),
        (kind, "removed"),
    }


async def test_events_and_clients(
    edge: EdgeApp, client: EzlockClient, session: aiohttp.ClientSession
) -> None:
    """L-66: pages by seq, typed; clients listed and revoked."""
    await client.update_settings(away_mode=True)
    page = await client.get_events(since=0, limit=2)
    assert len(page.events) == 2
    assert page.last_seq == edge.core.state.last_seq
    rest = await client.get_events(since=page.events[-1].seq)
    assert all(e.seq > page.events[-1].seq for e in rest.events)
    assert all(isinstance(e, LockEvent) for e in rest.events)
    changed = [e for e in rest.events if isinstance(e, SettingsChangedEvent)]
    assert changed[-1].changes == {"away_mode": True}

    other = await pair(edge, session, "Other")
    clients = {c.name: c for c in await client.list_clients()}
    assert set(clients) == {"Client tests", "Other"}
    await client.revoke_client(clients["Other"].client_id)
    with pytest.raises(EzlockAuthError):
        await other.get_state()


async def test_remote_pin(edge: EdgeApp, client: EzlockClient) -> None:
    """require_pin_for_remote: ``with_pin`` sends a lock admin's password as the PIN.

    Without it the lock answers ``pin_required``, with a wrong one ``invalid_pin``;
    the client it came from sends none (a view, not a change of the client).
    """
    settings = await client.update_settings(remote_unlock_enabled=True)
    assert not settings.require_pin_for_remote
    settings = await client.update_settings(require_pin_for_remote=True)
    assert settings.require_pin_for_remote
    assert (await client.get_state()).require_pin_for_remote
    for pinned, code in (
        (client, "pin_required"),
        (client.with_pin("000000"), "invalid_pin"),
    ):
        with pytest.raises(EzlockApiError) as refused:
            await pinned.unlock()
        assert (refused.value.status, refused.value.code) == (403, code)
        with pytest.raises(EzlockApiError) as refused:
            await pinned.update_settings(volume=1)
        assert (refused.value.status, refused.value.code) == (403, code)
    assert client.with_pin(None) is client
    admin = client.with_pin(ADMIN_PASSWORD)
    await admin.unlock()
    await eventually(lambda: edge.core.state.bolt.name == "UNLOCKED", "unlocked")
    assert (await admin.update_settings(volume=1)).volume == 1
    await client.lock()  # locking needs no PIN
    await eventually(lambda: edge.core.state.bolt.name == "LOCKED", "locked")
    page = await client.get_events(since=0, limit=1000)
    ours = [e for e in page.events if e.type == "unlocked"]
    assert ours[-1].by_client is not None
    assert ours[-1].by_client.name == "Client tests"
    assert all(e.by_client is None for e in page.events if e.type == "bolt")


@pytest.fixture
async def own_sim(tmp_path: Path) -> AsyncIterator[SimulatedLock]:
    """Start the lock's hardware before its edge driver (and stop it after)."""
    sim = SimulatedLock(state_dir=tmp_path / "sim", motor_travel=0.0)
    await sim.start()
    yield sim
    await sim.stop()


async def test_module_templates(
    own_sim: SimulatedLock,
    start: Starter,
    edge_options: EdgeOptions,
    session: aiohttp.ClientSession,
) -> None:
    """Another host's fingerprints: reported at start, read, deleted (typed events)."""
    await store_finger_elsewhere(own_sim, "stranger", (3, 150))
    edge = await start(replace(edge_options, sim=own_sim))
    client = await pair(edge, session)
    modules = {m.credential_type: m for m in await client.get_templates()}
    assert list(modules) == [
        CredentialType.FINGERPRINT,
        CredentialType.FACE,
        CredentialType.PALM,
    ]
    fingerprint = modules[CredentialType.FINGERPRINT]
    assert (fingerprint.readable, fingerprint.unknown_slots) == (True, (3, 150))
    assert (fingerprint.missing, fingerprint.mismatch) == ((), True)
    assert not modules[CredentialType.FACE].mismatch

    after = await client.delete_templates(CredentialType.FINGERPRINT, [3])
    assert (after.unknown_slots, after.mismatch) == ((150,), True)
    with pytest.raises(EzlockApiError) as refused:
        await client.delete_templates(CredentialType.FINGERPRINT, [])
    assert (refused.value.status, refused.value.code) == (400, "invalid_request")

    events = (await client.get_events(since=0, limit=1000)).events
    [mismatch] = [e for e in events if isinstance(e, TemplatesMismatchEvent)]
    assert (mismatch.credential_type, mismatch.unknown_slots) == (
        CredentialType.FINGERPRINT,
        (3, 150),
    )
    assert mismatch.missing_slots == ()
    [deleted] = [e for e in events if isinstance(e, TemplatesDeletedEvent)]
    assert (deleted.credential_type, deleted.slots) == (
        CredentialType.FINGERPRINT,
        (3,),
    )
