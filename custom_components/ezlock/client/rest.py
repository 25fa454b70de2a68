"""The edge driver's REST API (docs/api.md, Routes), one coroutine per route.

Once paired, every connection is pinned to the certificate's SHA-256 fingerprint: the
edge driver's certificate is self-signed, so the fingerprint is its only identity. The
client never creates a session: the caller injects one (Home Assistant shares its own).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
import copy
from dataclasses import replace
from datetime import datetime
from enum import Enum
from http import HTTPStatus
import json
from typing import Final, NoReturn

import aiohttp
from yarl import URL

from ._http import transport_errors
from ._reader import JsonObject, Reader
from .contract import API_VERSION
from .errors import (
    EzlockApiError,
    EzlockConnectionError,
    EzlockIncompatibleError,
    EzlockProtocolError,
    EzlockSslError,
    api_error,
)
from .events import EventPage, LockEvent
from .pairing import LockInfo, PairedClient, PairResult
from .people import Credential, CredentialType, Enrollment, Role, User
from .schedule import Schedule, schedule_json
from .settings import DoorDirection, Settings
from .state import LockState
from .templates import ModuleTemplates
from .visitors import VisitorCredential, VisitorKind
from .ws import stream

_TIMEOUT: Final = aiohttp.ClientTimeout(total=15)
# A lock admin's password, for a lock with require_pin_for_remote (docs/api.md).
PIN_HEADER: Final = "X-Ezlock-PIN"


class Unchanged(Enum):
    """The type of :data:`UNCHANGED`."""

    UNCHANGED = "unchanged"


# Leave a field of an update as it is (``None`` clears a nullable field instead).
UNCHANGED: Final = Unchanged.UNCHANGED


def _time(value: datetime | None) -> str | None:
    """Send an aware time as ISO-8601; the API refuses times without an offset."""
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{value} has no UTC offset")
    return None if value is None else value.isoformat()


def ensure_supported(info: LockInfo) -> None:
    """Raise :class:`EzlockIncompatibleError` unless the edge speaks this API version."""
    if info.api_version != API_VERSION:
        raise EzlockIncompatibleError(info.api_version, API_VERSION)


class EzlockClient:
    """One paired (or about to be paired) edge driver."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        port: int,
        *,
        fingerprint: str | None,
        token: str | None = None,
        tls: bool | None = None,
    ) -> None:
        """Use HTTPS pinned to ``fingerprint``; without one, plain HTTP unless ``tls``.

        ``tls=True`` without a fingerprint is only for :func:`async_probe`: the
        certificate is then not checked at all.
        """
        self._session = session
        self._token = token
        self._pin: str | None = None
        use_tls = fingerprint is not None if tls is None else tls
        self._base = (
            URL.build(scheme="https" if use_tls else "http", host=host, port=port)
            / "api"
            / "v1"
        )
        self._ssl: aiohttp.Fingerprint | bool = (
            aiohttp.Fingerprint(bytes.fromhex(fingerprint))
            if fingerprint is not None
            else not use_tls
        )

    def with_pin(self, pin: str | None) -> EzlockClient:
        """Return this client sending ``pin``, a lock admin's password, as the PIN.

        A lock with ``require_pin_for_remote`` on checks it on remote unlock and on
        every admin change (``pin_required``, ``invalid_pin``, ``locked_out``); other
        requests ignore it. ``None`` returns this client as it is. The copy shares the
        session and the pinned certificate, so it reuses their connections.
        """
        if pin is None:
            return self
        other = copy.copy(self)
        other._pin = pin  # noqa: SLF001 - a copy of this very class
        return other

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: JsonObject | None = None,
        params: Mapping[str, str | int] | None = None,
        auth: bool = True,
    ) -> object:
        """Send one request; return the JSON reply (``{}`` for 204), or raise."""
        headers = {"Authorization": f"Bearer {self._token}"} if auth else None
        if headers is not None and self._pin is not None:
            headers[PIN_HEADER] = self._pin
        what = f"{method} {path}"
        with transport_errors(what):
            async with self._session.request(
                method,
                self._base.joinpath(path),
                json=body,
                params=params,
                headers=headers,
                ssl=self._ssl,
                timeout=_TIMEOUT,
            ) as response:
                if response.status == 204:
                    return {}
                text = await response.text()
                status = response.status
        try:
            payload: object = json.loads(text)
        except ValueError:
            raise EzlockProtocolError(
                f"{what}: no JSON in the {status} reply"
            ) from None
        if status >= 400:
            raise api_error(status, payload)
        return payload

    # identity and pairing

    async def get_info(self) -> LockInfo:
        """Read serial, model, firmware, API version and the pairing window (no token)."""
        return LockInfo.from_json(await self._request("GET", "info", auth=False))

    async def pair(self, client_name: str, verification_code: str) -> PairResult:
        """Exchange the label's verification code for a token (window must be open)."""
        reply = await self._request(
            "POST",
            "pair",
            body={"client_name": client_name, "verification_code": verification_code},
            auth=False,
        )
        return PairResult.from_json(reply)

    # state and actions

    async def get_state(self) -> LockState:
        """Read the full state snapshot."""
        return LockState.from_json(await self._request("GET", "state"))

    async def lock(self) -> None:
        """Start locking; bolt progress arrives as state."""
        await self._request("POST", "lock", body={})

    async def unlock(self) -> None:
        """Start unlocking (only when remote unlock is enabled, L-43)."""
        await self._request("POST", "unlock", body={})

    async def countdown_lock(self, seconds: int) -> datetime:
        """Lock once, ``seconds`` from now; return when it will lock."""
        reply = await self._request("POST", "countdown_lock", body={"seconds": seconds})
        return Reader(reply, "countdown_lock").time("lock_at")

    async def clear_lockout(self) -> None:
        """End a security lockout now (L-42)."""
        await self._request("POST", "lockout/clear", body={})

    # settings

    async def get_settings(self) -> Settings:
        """Read the settings."""
        return Settings.from_json(await self._request("GET", "settings"))

    async def update_settings(
        self,
        *,
        countdown_lock_enabled: bool | None = None,
        countdown_lock_seconds: int | None = None,
        remote_unlock_enabled: bool | None = None,
        lockout_protection: bool | None = None,
        away_mode: bool | None = None,
        wifi_enabled: bool | None = None,
        door_direction: DoorDirection | None = None,
        volume: int | None = None,
        muted: bool | None = None,
        require_pin_for_remote: bool | None = None,
    ) -> Settings:
        """Change the settings given (``None``: unchanged); return all of them."""
        changes: JsonObject = {
            key: value
            for key, value in {
                "countdown_lock_enabled": countdown_lock_enabled,
                "countdown_lock_seconds": countdown_lock_seconds,
                "remote_unlock_enabled": remote_unlock_enabled,
                "lockout_protection": lockout_protection,
                "away_mode": away_mode,
                "wifi_enabled": wifi_enabled,
                "door_direction": door_direction,
                "volume": volume,
                "muted": muted,
                "require_pin_for_remote": require_pin_for_remote,
            }.items()
            if value is not None
        }
        if not changes:
            raise ValueError("no setting to change")
        return Settings.from_json(
            await self._request("PATCH", "settings", body=changes)
        )

    # users and credentials

    async def list_users(self) -> tuple[User, ...]:
        """Users with their credentials (never secrets)."""
        reply = Reader(await self._request("GET", "users"), "users")
        return tuple(User.from_reader(item) for item in reply.children("users"))

    async def get_user(self, number: int) -> User:
        """One user with their credentials."""
        return User.from_json(await self._request("GET", f"users/{number}"))

    async def add_user(
        self,
        name: str,
        *,
        role: Role | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        schedule: Schedule = (),
    ) -> User:
        """Create a user (role ``user`` unless given); returns it with its number."""
        body: JsonObject = {"name": name}
        if schedule:
            body["schedule"] = schedule_json(schedule)
        if role is not None:
            body["role"] = role.value
        if valid_from is not None:
            body["valid_from"] = _time(valid_from)
        if valid_until is not None:
            body["valid_until"] = _time(valid_until)
        return User.from_json(await self._request("POST", "users", body=body))

    async def update_user(
        self,
        number: int,
        *,
        name: str | Unchanged = UNCHANGED,
        role: Role | Unchanged = UNCHANGED,
        valid_from: datetime | Unchanged | None = UNCHANGED,
        valid_until: datetime | Unchanged | None = UNCHANGED,
        schedule: Schedule | Unchanged = UNCHANGED,
    ) -> User:
        """Change a user's name, role, validity or weekly schedule.

        ``None`` clears a validity bound (L-28), ``()`` the schedule.
        """
        body: JsonObject = {}
        if not isinstance(schedule, Unchanged):
            body["schedule"] = schedule_json(schedule)
        if not isinstance(name, Unchanged):
            body["name"] = name
        if not isinstance(role, Unchanged):
            body["role"] = role.value
        if not isinstance(valid_from, Unchanged):
            body["valid_from"] = _time(valid_from)
        if not isinstance(valid_until, Unchanged):
            body["valid_until"] = _time(valid_until)
        if not body:
            raise ValueError("nothing to change")
        return User.from_json(
            await self._request("PATCH", f"users/{number}", body=body)
        )

    async def delete_user(self, number: int) -> None:
        """Delete a user and their credentials."""
        await self._request("DELETE", f"users/{number}")

    async def set_password(self, number: int, password: str) -> Credential:
        """Set a user's password (policy L-25 checked by the lock)."""
        reply = await self._request(
            "PUT", f"users/{number}/password", body={"password": password}
        )
        return Credential.from_json(reply)

    async def start_enrollment(
        self, number: int, credential_type: CredentialType
    ) -> Enrollment:
        """Start enrolling a finger, face or palm at the lock."""
        reply = await self._request(
            "POST", f"users/{number}/enrollments", body={"type": credential_type.value}
        )
        return Enrollment.from_json(reply)

    async def cancel_enrollment(self, enrollment_id: str) -> None:
        """Stop a running enrollment; its last event says ``cancelled``."""
        await self._request("DELETE", f"enrollments/{enrollment_id}")

    async def list_credentials(self, user: int | None = None) -> tuple[Credential, ...]:
        """Every credential, or one user's."""
        params = None if user is None else {"user": user}
        reply = Reader(
            await self._request("GET", "credentials", params=params), "credentials"
        )
        return tuple(
            Credential.from_reader(item) for item in reply.children("credentials")
        )

    async def update_credential(
        self, credential_id: str, *, duress: bool
    ) -> Credential:
        """Mark a credential as the duress one or not (L-29)."""
        reply = await self._request(
            "PATCH", f"credentials/{credential_id}", body={"duress": duress}
        )
        return Credential.from_json(reply)

    async def delete_credential(self, credential_id: str) -> None:
        """Delete one credential."""
        await self._request("DELETE", f"credentials/{credential_id}")

    # module templates (another host's, or lost by a module)

    async def get_templates(self) -> tuple[ModuleTemplates, ...]:
        """Read each biometric module now against the lock's credentials."""
        reply = Reader(await self._request("GET", "templates"), "templates")
        return tuple(
            ModuleTemplates.from_reader(item) for item in reply.children("templates")
        )

    async def delete_templates(
        self, credential_type: CredentialType, slots: Iterable[int]
    ) -> ModuleTemplates:
        """Delete templates no credential owns from a module; return it read again."""
        reply = await self._request(
            "POST",
            f"templates/{credential_type.value}/delete",
            body={"slots": list(slots)},
        )
        return ModuleTemplates.from_json(reply)

    # visitors (L-30, L-31)

    async def list_visitors(self, kind: VisitorKind) -> tuple[VisitorCredential, ...]:
        """Active and past visitor credentials of ``kind``, without their secrets."""
        reply = Reader(await self._request("GET", kind.collection), kind.collection)
        return tuple(
            VisitorCredential.from_reader(kind, item)
            for item in reply.children(kind.collection)
        )

    async def create_visitor(
        self,
        kind: VisitorKind,
        *,
        name: str,
        valid_until: datetime,
        valid_from: datetime | None = None,
        max_uses: int | None = 1,
        schedule: Schedule = (),
        code: str | None = None,
    ) -> VisitorCredential:
        """Create a visitor credential; its ``secret`` is in this reply only.

        ``valid_from`` defaults to now. ``max_uses`` (``None``: unlimited) applies to
        temporary passwords; Bluetooth keys have only their window.
        """
        body: JsonObject = {"name": name, "valid_until": _time(valid_until)}
        if schedule:
            body["schedule"] = schedule_json(schedule)
        if code is not None:
            if kind is not VisitorKind.TEMPORARY_PASSWORD:
                raise ValueError("only a temporary password takes the owner's code")
            body["code"] = code
        if valid_from is not None:
            body["valid_from"] = _time(valid_from)
        if kind.counts_uses:
            body["max_uses"] = max_uses
        elif max_uses != 1:
            raise ValueError(f"a {kind.value} has no use count")
        reply = await self._request("POST", kind.collection, body=body)
        return VisitorCredential.from_json(kind, reply)

    async def revoke_visitor(self, kind: VisitorKind, visitor_id: str) -> None:
        """Revoke a visitor credential at once; it stays listed as ``revoked``.

        One that already ended (revoked, used up, expired) is forgotten instead.
        """
        await self._request("DELETE", f"{kind.collection}/{visitor_id}")

    async def delete_visitor(self, kind: VisitorKind, visitor_id: str) -> None:
        """Revoke a visitor credential if it has not ended, and forget it."""
        await self.revoke_visitor(kind, visitor_id)
        try:
            await self.revoke_visitor(kind, visitor_id)
        except EzlockApiError as err:
            if err.status != HTTPStatus.NOT_FOUND:
                raise

    # history and clients

    async def get_events(
        self,
        since: int | None = None,
        limit: int = 100,
        *,
        newest_first: bool = False,
        before: int | None = None,
    ) -> EventPage:
        """Read a page of the event history (L-66) with ``last_seq``.

        Oldest first after ``since``; or, with ``newest_first``, the latest first, below
        ``before`` when given (the smallest seq of the previous page).
        """
        params: dict[str, str | int] = {"limit": limit}
        if since is not None:
            params["since"] = since
        if before is not None:
            params["before"] = before
        if newest_first:
            params["order"] = "newest"
        return EventPage.from_json(await self._request("GET", "events", params=params))

    async def list_clients(self) -> tuple[PairedClient, ...]:
        """List the clients paired with the lock."""
        reply = Reader(await self._request("GET", "clients"), "clients")
        return tuple(
            PairedClient.from_reader(item) for item in reply.children("clients")
        )

    async def revoke_client(self, client_id: str) -> None:
        """Revoke a client: its token dies now, and so do its WebSockets."""
        await self._request("DELETE", f"clients/{client_id}")

    # the camera at the door (L-13)

    async def get_camera_snapshot(self) -> bytes:
        """Return a JPEG of the door now (``camera_unavailable`` while it is off)."""
        return await self._jpeg("camera/snapshot")

    async def get_snapshot(self, snapshot_id: str) -> bytes:
        """Return the JPEG an event's ``snapshot_id`` names (``snapshot_not_found``)."""
        return await self._jpeg(f"camera/snapshots/{snapshot_id}")

    @asynccontextmanager
    async def camera_stream(self) -> AsyncIterator[aiohttp.ClientResponse]:
        """Open the MJPEG live view; the response's body is the multipart stream.

        It ends when the camera goes off or the caller leaves the block; no read
        timeout applies (the edge driver sends at most ``camera.fps`` frames a second).
        """
        what = "GET camera/stream"
        with transport_errors(what):
            async with self._session.get(
                self._base / "camera" / "stream",
                headers=self._auth(),
                ssl=self._ssl,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=15),
            ) as response:
                if response.status >= 400:
                    raise await self._error(what, response)
                yield response

    async def _jpeg(self, path: str) -> bytes:
        what = f"GET {path}"
        with transport_errors(what):
            async with self._session.get(
                self._base.joinpath(path),
                headers=self._auth(),
                ssl=self._ssl,
                timeout=_TIMEOUT,
            ) as response:
                if response.status >= 400:
                    raise await self._error(what, response)
                if response.content_type != "image/jpeg":
                    raise EzlockProtocolError(
                        f"{what}: {response.content_type} instead of image/jpeg"
                    )
                return await response.read()

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    @staticmethod
    async def _error(what: str, response: aiohttp.ClientResponse) -> Exception:
        text = await response.text()
        try:
            payload: object = json.loads(text)
        except ValueError:
            return EzlockProtocolError(
                f"{what}: no JSON in the {response.status} reply"
            )
        return api_error(response.status, payload)

    # push

    async def listen(
        self,
        since: int | None,
        on_event: Callable[[LockEvent], None],
        on_state: Callable[[LockState], None],
    ) -> NoReturn:
        """Stream events after ``since`` and state changes until the connection ends.

        Never returns normally: when the connection ends it raises
        :class:`~.errors.EzlockAuthError` (token revoked),
        :class:`~.errors.EzlockFingerprintError`,
        :class:`~.errors.EzlockIncompatibleError` or
        :class:`~.errors.EzlockConnectionError`, so the caller knows whether to retry.
        """
        scheme = "wss" if self._base.scheme == "https" else "ws"
        await stream(
            self._session,
            (self._base / "ws").with_scheme(scheme),
            ssl=self._ssl,
            token=self._token or "",
            since=since,
            on_event=on_event,
            on_state=on_state,
        )


async def async_probe(session: aiohttp.ClientSession, host: str, port: int) -> LockInfo:
    """Read ``/info`` before pairing, over HTTPS if the edge driver speaks it.

    Nothing is trusted yet, so the certificate is not checked here; the fingerprint the
    edge driver announces is pinned for the pairing request that follows, which therefore
    fails if the certificate on the wire is another. An edge driver started with
    ``--insecure-http`` answers only plain HTTP; its info then has no fingerprint.
    """
    tls_client = EzlockClient(session, host, port, fingerprint=None, tls=True)
    try:
        info = await tls_client.get_info()
    except EzlockSslError:
        plain = await EzlockClient(session, host, port, fingerprint=None).get_info()
        return replace(plain, tls_fingerprint=None)
    if info.tls_fingerprint is None:
        raise EzlockConnectionError("HTTPS server announced no certificate fingerprint")
    return info
