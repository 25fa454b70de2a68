"""Client for the ezlock edge driver's local API (REST + one WebSocket push connection).

It lives inside the integration because HACS installs only this folder. It never imports
Home Assistant: it takes an aiohttp session and reports failures as the exceptions below.
Once paired, every connection is pinned to the certificate's SHA-256 fingerprint: the edge
driver's certificate is self-signed, so the fingerprint is its only identity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
import logging
from typing import Any, Final, NoReturn

import aiohttp
from yarl import URL

_LOGGER = logging.getLogger(__name__)

type JsonObject = dict[str, Any]

_TIMEOUT: Final = aiohttp.ClientTimeout(total=15)
_AUTH_TIMEOUT: Final = 10.0
# The server pings every 20 s; our own pings catch a half-open connection it cannot see.
_HEARTBEAT: Final = 30.0
_CLOSE_UNAUTHORIZED: Final = 4001


class EzlockError(Exception):
    """Anything that went wrong talking to the edge driver."""


class EzlockConnectionError(EzlockError):
    """The edge driver could not be reached, dropped the connection or answered garbage."""


class EzlockSslError(EzlockConnectionError):
    """The TLS handshake failed (for example the server speaks plain HTTP)."""


class EzlockFingerprintError(EzlockError):
    """The certificate is not the one pinned at pairing: possibly an impersonation."""


class EzlockApiError(EzlockError):
    """The edge driver refused the request with a JSON error (see docs/api.md)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        """Keep the machine code; ``message`` is English text for logs only."""
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields: Mapping[str, str] = fields or {}


class EzlockAuthError(EzlockApiError):
    """The token is missing, unknown or revoked: the lock must be paired again."""


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class LockInfo:
    """What ``GET /info`` tells before pairing."""

    serial: str
    model: str
    firmware: str
    api_version: int
    pairing_open: bool
    tls_fingerprint: str | None

    @classmethod
    def from_dict(cls, data: JsonObject) -> LockInfo:
        """Parse the info object."""
        return cls(
            serial=str(data["serial"]),
            model=str(data["model"]),
            firmware=str(data["firmware"]),
            api_version=int(data["api_version"]),
            pairing_open=bool(data["pairing_open"]),
            tls_fingerprint=data["tls_fingerprint"],
        )


@dataclass(frozen=True, slots=True)
class PairResult:
    """The token, shown once by the edge driver, and the client id it belongs to."""

    token: str
    client_id: str


@dataclass(frozen=True, slots=True)
class UserRef:
    """A user as events and operations name them."""

    number: int
    name: str

    @classmethod
    def from_dict(cls, data: JsonObject | None) -> UserRef | None:
        """Parse ``{"number", "name"}`` or ``null``."""
        if data is None:
            return None
        return cls(number=int(data["number"]), name=str(data["name"]))


@dataclass(frozen=True, slots=True)
class LastOperation:
    """The last unlock (with its method) or lock (with its source)."""

    type: str
    method: str | None
    source: str | None
    user: UserRef | None
    time: datetime | None


@dataclass(frozen=True, slots=True)
class CredentialCount:
    """How many credentials of one type are enrolled, against the lock's capacity."""

    count: int
    capacity: int


@dataclass(frozen=True, slots=True)
class LockState:
    """The ``state`` object: everything entities show (docs/api.md)."""

    bolt: str
    door: str
    battery_percent: int
    low_battery: bool
    power_source: str
    tamper: bool
    wifi_enabled: bool
    wifi_rssi: int | None
    bluetooth: str
    door_direction: str
    lockout_active: bool
    lockout_until: datetime | None
    pairing_open: bool
    pairing_until: datetime | None
    away_mode: bool
    muted: bool
    volume: int
    remote_unlock_enabled: bool
    lockout_protection: bool
    countdown_lock_enabled: bool
    countdown_lock_seconds: int
    countdown_lock_at: datetime | None
    admin_exists: bool
    devices: Mapping[str, str]
    users: int
    credentials: Mapping[str, CredentialCount]
    temporary_passwords: int
    bluetooth_keys: int
    last_operation: LastOperation | None
    last_seq: int

    @classmethod
    def from_dict(cls, data: JsonObject) -> LockState:
        """Parse the state object; a missing field is a protocol error (KeyError)."""
        last = data["last_operation"]
        return cls(
            bolt=data["bolt"],
            door=data["door"],
            battery_percent=int(data["battery_percent"]),
            low_battery=bool(data["low_battery"]),
            power_source=data["power_source"],
            tamper=bool(data["tamper"]),
            wifi_enabled=bool(data["wifi_enabled"]),
            wifi_rssi=data["wifi_rssi"],
            bluetooth=data["bluetooth"],
            door_direction=data["door_direction"],
            lockout_active=bool(data["lockout_active"]),
            lockout_until=_time(data["lockout_until"]),
            pairing_open=bool(data["pairing_open"]),
            pairing_until=_time(data["pairing_until"]),
            away_mode=bool(data["away_mode"]),
            muted=bool(data["muted"]),
            volume=int(data["volume"]),
            remote_unlock_enabled=bool(data["remote_unlock_enabled"]),
            lockout_protection=bool(data["lockout_protection"]),
            countdown_lock_enabled=bool(data["countdown_lock_enabled"]),
            countdown_lock_seconds=int(data["countdown_lock_seconds"]),
            countdown_lock_at=_time(data["countdown_lock_at"]),
            admin_exists=bool(data["admin_exists"]),
            devices=dict(data["devices"]),
            users=int(data["users"]["count"]),
            credentials={
                kind: CredentialCount(int(value["count"]), int(value["capacity"]))
                for kind, value in data["credentials"].items()
            },
            temporary_passwords=int(data["temporary_passwords"]),
            bluetooth_keys=int(data["bluetooth_keys"]),
            last_operation=None
            if last is None
            else LastOperation(
                type=last["type"],
                method=last["method"],
                source=last["source"],
                user=UserRef.from_dict(last["user"]),
                time=_time(last["time"]),
            ),
            last_seq=int(data["last_seq"]),
        )


@dataclass(frozen=True, slots=True)
class LockEvent:
    """One entry of the event log; ``data`` is the whole event object."""

    seq: int
    time: datetime
    type: str
    data: Mapping[str, Any]

    @classmethod
    def from_dict(cls, data: JsonObject) -> LockEvent:
        """Parse an event object."""
        return cls(
            seq=int(data["seq"]),
            time=datetime.fromisoformat(data["time"]),
            type=str(data["type"]),
            data=data,
        )

    @property
    def user(self) -> UserRef | None:
        """The user the event names, if any."""
        return UserRef.from_dict(self.data.get("user"))


def _api_error(status: int, payload: Any) -> EzlockApiError:
    if not isinstance(payload, dict) or not isinstance(payload.get("error"), str):
        return EzlockApiError(status, "unknown", f"HTTP {status}")
    code: str = payload["error"]
    error_cls = EzlockAuthError if code == "unauthorized" else EzlockApiError
    return error_cls(
        status, code, str(payload.get("message", "")), payload.get("fields")
    )


def _base_url(host: str, port: int, tls: bool) -> URL:
    return URL.build(scheme="https" if tls else "http", host=host, port=port)


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
        use_tls = fingerprint is not None if tls is None else tls
        self._base = _base_url(host, port, use_tls) / "api" / "v1"
        self._ssl: aiohttp.Fingerprint | bool = (
            aiohttp.Fingerprint(bytes.fromhex(fingerprint))
            if fingerprint is not None
            else not use_tls
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: JsonObject | None = None,
        params: Mapping[str, str | int] | None = None,
        auth: bool = True,
    ) -> JsonObject:
        headers = {"Authorization": f"Bearer {self._token}"} if auth else None
        try:
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
                try:
                    payload = await response.json(content_type=None)
                except ValueError as err:
                    raise EzlockConnectionError(
                        f"{method} {path}: no JSON in the {response.status} reply"
                    ) from err
                if response.status >= 400:
                    raise _api_error(response.status, payload)
        except aiohttp.ServerFingerprintMismatch as err:
            raise EzlockFingerprintError(
                f"certificate {err.got.hex()} is not the pinned {err.expected.hex()}"
            ) from err
        except aiohttp.ClientSSLError as err:
            raise EzlockSslError(f"{method} {path}: {err}") from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise EzlockConnectionError(f"{method} {path}: {err!r}") from err
        if not isinstance(payload, dict):
            raise EzlockConnectionError(f"{method} {path}: reply is not an object")
        return payload

    async def get_info(self) -> LockInfo:
        """Read serial, model, firmware and the pairing window (no token needed)."""
        try:
            return LockInfo.from_dict(await self._request("GET", "info", auth=False))
        except (KeyError, TypeError, ValueError) as err:
            raise EzlockConnectionError(f"malformed info: {err!r}") from err

    async def pair(self, client_name: str, verification_code: str) -> PairResult:
        """Exchange the label's verification code for a token (window must be open)."""
        reply = await self._request(
            "POST",
            "pair",
            body={"client_name": client_name, "verification_code": verification_code},
            auth=False,
        )
        try:
            return PairResult(token=reply["token"], client_id=reply["client_id"])
        except KeyError as err:
            raise EzlockConnectionError(f"malformed pairing reply: {err!r}") from err

    async def get_state(self) -> LockState:
        """Read the full state snapshot."""
        try:
            return LockState.from_dict(await self._request("GET", "state"))
        except (KeyError, TypeError, ValueError) as err:
            raise EzlockConnectionError(f"malformed state: {err!r}") from err

    async def lock(self) -> None:
        """Start locking; bolt progress arrives as state."""
        await self._request("POST", "lock", body={})

    async def unlock(self) -> None:
        """Start unlocking (only when remote unlock is enabled, L-43)."""
        await self._request("POST", "unlock", body={})

    async def countdown_lock(self, seconds: int) -> JsonObject:
        """Lock once, ``seconds`` from now."""
        return await self._request("POST", "countdown_lock", body={"seconds": seconds})

    async def update_settings(self, **changes: Any) -> JsonObject:
        """Change some settings; returns all of them."""
        return await self._request("PATCH", "settings", body=changes)

    async def list_users(self) -> JsonObject:
        """Users with their credentials (never secrets)."""
        return await self._request("GET", "users")

    async def add_user(self, **fields: Any) -> JsonObject:
        """Create a user; returns it with its number."""
        return await self._request("POST", "users", body=fields)

    async def update_user(self, number: int, **fields: Any) -> JsonObject:
        """Change a user's name, role or validity."""
        return await self._request("PATCH", f"users/{number}", body=fields)

    async def delete_user(self, number: int) -> None:
        """Delete a user and their credentials."""
        await self._request("DELETE", f"users/{number}")

    async def set_password(self, number: int, password: str) -> JsonObject:
        """Set a user's password (policy L-25 checked by the lock)."""
        return await self._request(
            "PUT", f"users/{number}/password", body={"password": password}
        )

    async def start_enrollment(self, number: int, credential_type: str) -> JsonObject:
        """Start enrolling a finger, face or palm at the lock."""
        return await self._request(
            "POST", f"users/{number}/enrollments", body={"type": credential_type}
        )

    async def update_credential(
        self, credential_id: str, *, duress: bool
    ) -> JsonObject:
        """Mark a credential as the duress one or not (L-29)."""
        return await self._request(
            "PATCH", f"credentials/{credential_id}", body={"duress": duress}
        )

    async def delete_credential(self, credential_id: str) -> None:
        """Delete one credential."""
        await self._request("DELETE", f"credentials/{credential_id}")

    async def clear_lockout(self) -> None:
        """End a security lockout now (L-42)."""
        await self._request("POST", "lockout/clear", body={})

    async def list_temporary_passwords(self) -> JsonObject:
        """Visitor codes (without the codes)."""
        return await self._request("GET", "temporary_passwords")

    async def create_temporary_password(self, **fields: Any) -> JsonObject:
        """Create a visitor code; the reply carries the code, shown this once."""
        return await self._request("POST", "temporary_passwords", body=fields)

    async def delete_temporary_password(self, password_id: str) -> None:
        """Revoke a visitor code."""
        await self._request("DELETE", f"temporary_passwords/{password_id}")

    async def list_bluetooth_keys(self) -> JsonObject:
        """Visitor Bluetooth keys (without the keys)."""
        return await self._request("GET", "bluetooth_keys")

    async def create_bluetooth_key(self, **fields: Any) -> JsonObject:
        """Create a visitor Bluetooth key; the reply carries the key, shown this once."""
        return await self._request("POST", "bluetooth_keys", body=fields)

    async def delete_bluetooth_key(self, key_id: str) -> None:
        """Revoke a visitor Bluetooth key."""
        await self._request("DELETE", f"bluetooth_keys/{key_id}")

    async def get_events(self, since: int | None, limit: int) -> JsonObject:
        """Read a page of the event history, oldest first, with ``last_seq``."""
        params: dict[str, str | int] = {"limit": limit}
        if since is not None:
            params["since"] = since
        return await self._request("GET", "events", params=params)

    async def listen(
        self,
        since: int | None,
        on_event: Callable[[LockEvent], None],
        on_state: Callable[[LockState], None],
    ) -> NoReturn:
        """Stream events after ``since`` and state changes until the connection ends.

        Never returns normally: when the connection ends it raises
        :class:`EzlockAuthError` (token revoked), :class:`EzlockFingerprintError` or
        :class:`EzlockConnectionError`, so the caller knows whether to retry.
        """
        url = (self._base / "ws").with_scheme(
            "wss" if self._base.scheme == "https" else "ws"
        )
        try:
            async with self._session.ws_connect(
                url,
                ssl=self._ssl,
                heartbeat=_HEARTBEAT,
                timeout=aiohttp.ClientWSTimeout(ws_close=5),
            ) as ws:
                await ws.send_json({"type": "auth", "token": self._token})
                reply = await ws.receive(timeout=_AUTH_TIMEOUT)
                if reply.type is not aiohttp.WSMsgType.TEXT:
                    raise _closed(ws.close_code, "authenticating")
                if reply.json().get("type") != "auth_ok":
                    raise EzlockConnectionError(f"unexpected auth reply {reply.data!r}")
                await ws.send_json({"type": "subscribe", "since": since})
                async for message in ws:
                    if message.type is aiohttp.WSMsgType.TEXT:
                        _dispatch(message.json(), on_event, on_state)
                    elif message.type is aiohttp.WSMsgType.ERROR:
                        raise EzlockConnectionError(
                            f"WebSocket error: {ws.exception()!r}"
                        )
                raise _closed(ws.close_code, "streaming")
        except aiohttp.ServerFingerprintMismatch as err:
            raise EzlockFingerprintError(
                f"certificate {err.got.hex()} is not the pinned {err.expected.hex()}"
            ) from err
        except aiohttp.WSServerHandshakeError as err:
            if err.status == 401:
                raise EzlockAuthError(401, "unauthorized", str(err)) from err
            raise EzlockConnectionError(f"WebSocket handshake: {err!r}") from err
        except (
            aiohttp.ClientError,
            TimeoutError,
            ValueError,
            KeyError,
            TypeError,
        ) as err:
            raise EzlockConnectionError(f"WebSocket: {err!r}") from err


def _closed(close_code: int | None, when: str) -> EzlockError:
    if close_code == _CLOSE_UNAUTHORIZED:
        return EzlockAuthError(401, "unauthorized", f"closed while {when}")
    return EzlockConnectionError(f"closed while {when} (code {close_code})")


def _dispatch(
    message: Any,
    on_event: Callable[[LockEvent], None],
    on_state: Callable[[LockState], None],
) -> None:
    kind = message["type"]
    if kind == "event":
        on_event(LockEvent.from_dict(message["event"]))
    elif kind == "state":
        on_state(LockState.from_dict(message["state"]))
    elif kind == "error":
        _LOGGER.debug("Edge driver refused a message: %s", message.get("message"))
