"""What each action on an ezlock lock does, one coroutine per action.

services.py registers them with their schemas. Each reads the action's fields, calls the
lock's client and answers JSON (service_json.py); an action that changes the lock sends
its ``pin`` when one is given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from homeassistant.core import ServiceCall, ServiceResponse, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from .client import (
    UNCHANGED,
    CredentialType,
    EnrollmentEvent,
    EzlockClient,
    LockEvent,
    Role,
    Unchanged,
    VisitorKind,
)
from .const import DOMAIN
from .entity import EzlockEntity
from .errors import translate_errors
from .service_json import as_json, json_object, to_utc, visitor_json

ATTR_NAME: Final = "name"
ATTR_VALID_FROM: Final = "valid_from"
ATTR_VALID_UNTIL: Final = "valid_until"
ATTR_MAX_USES: Final = "max_uses"
ATTR_ID: Final = "id"
ATTR_SECONDS: Final = "seconds"
ATTR_ENABLED: Final = "enabled"
ATTR_USER_NUMBER: Final = "user_number"
ATTR_ROLE: Final = "role"
ATTR_CLEAR_VALIDITY: Final = "clear_validity"
ATTR_PASSWORD: Final = "password"  # noqa: S105 (a field name)
ATTR_CREDENTIAL_TYPE: Final = "credential_type"
ATTR_CREDENTIAL_ID: Final = "credential_id"
ATTR_DURESS: Final = "duress"
ATTR_SINCE: Final = "since"
ATTR_LIMIT: Final = "limit"
ATTR_NEWEST_FIRST: Final = "newest_first"
ATTR_BEFORE: Final = "before"


# A lock admin's password, for a lock that requires it (require_pin_for_remote).
ATTR_PIN: Final = "pin"


# The lock gives up on its own (and says so); this only guards against a silent link.
ENROLLMENT_TIMEOUT: Final = 120.0


# 0 uses in the action means "unlimited", which the API sends as null.
UNLIMITED_USES: Final = 0
DEFAULT_USES: Final = 1


type Handler = Callable[[EzlockEntity, ServiceCall], Awaitable[ServiceResponse]]


def _client(entity: EzlockEntity, call: ServiceCall) -> EzlockClient:
    """Return the lock's client, sending the action's ``pin`` if it has one."""
    return entity.coordinator.client.with_pin(call.data.get(ATTR_PIN))


def create_visitor(kind: VisitorKind) -> Handler:
    """Return the create_<kind> action: the secret only in its answer."""

    async def handler(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
        """Create one with a window; temporary passwords also count uses."""
        max_uses = call.data.get(ATTR_MAX_USES, DEFAULT_USES)
        with translate_errors():
            created = await _client(entity, call).create_visitor(
                kind,
                name=call.data[ATTR_NAME],
                valid_from=to_utc(call.data.get(ATTR_VALID_FROM)),
                valid_until=dt_util.as_utc(call.data[ATTR_VALID_UNTIL]),
                max_uses=None if max_uses == UNLIMITED_USES else max_uses,
            )
        return visitor_json(created)

    return handler


def list_visitors(kind: VisitorKind) -> Handler:
    """Return the list_<kind>s action."""

    async def handler(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
        """Visitor credentials of the kind, without their secrets."""
        with translate_errors():
            listed = await entity.coordinator.client.list_visitors(kind)
        return {kind.collection: [visitor_json(visitor) for visitor in listed]}

    return handler


def revoke_visitor(kind: VisitorKind) -> Handler:
    """Return the revoke_<kind> action: it no longer opens the door."""

    async def handler(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
        with translate_errors():
            await _client(entity, call).revoke_visitor(kind, call.data[ATTR_ID])
        return None

    return handler


async def countdown_lock(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Lock once, N seconds from now."""
    with translate_errors():
        lock_at = await entity.coordinator.client.countdown_lock(
            call.data[ATTR_SECONDS]
        )
    return {"lock_at": lock_at.isoformat()}


async def set_countdown_lock(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    """L-45: lock by itself after every unlock, or not."""
    with translate_errors():
        settings = await _client(entity, call).update_settings(
            countdown_lock_enabled=call.data[ATTR_ENABLED],
            countdown_lock_seconds=call.data.get(ATTR_SECONDS),
        )
    entity.coordinator.async_apply_settings(settings, call.context)
    return None


async def set_remote_pin_required(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    """Matter's RequirePINforRemoteOperation: remote unlocks and changes need a PIN.

    The lock decides: switching it on needs a lock admin with a password
    (``no_admin_pin``), switching it off is itself a change that needs the ``pin``.
    """
    with translate_errors():
        settings = await _client(entity, call).update_settings(
            require_pin_for_remote=call.data[ATTR_ENABLED]
        )
    entity.coordinator.async_apply_settings(settings, call.context)
    return None


async def get_lock_info(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Identity, capacities and counts, from the pushed state."""
    info, state = entity.coordinator.info, entity.coordinator.data
    return {
        "serial": info.serial,
        "model": info.model,
        "firmware": info.firmware,
        "users": state.users,
        "credentials": as_json(state.credentials),
        "temporary_passwords": state.temporary_passwords,
        "bluetooth_keys": state.bluetooth_keys,
    }


async def get_lock_users(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Users with roles, validity and credential slots; the lock never sends secrets."""
    with translate_errors():
        users = await entity.coordinator.client.list_users()
    return {"users": as_json(users)}


def _validity_bound(call: ServiceCall, key: str) -> datetime | Unchanged | None:
    """Return a bound of a user's validity: cleared, changed, or left as it is."""
    if call.data.get(ATTR_CLEAR_VALIDITY):
        return None
    return to_utc(call.data[key]) if key in call.data else UNCHANGED


async def set_lock_user(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Add a user (no number) or change one; validity can be set or cleared (L-28)."""
    data = call.data
    role = Role(data[ATTR_ROLE]) if ATTR_ROLE in data else None
    client = _client(entity, call)
    with translate_errors():
        if (number := data.get(ATTR_USER_NUMBER)) is None:
            user = await client.add_user(
                data.get(ATTR_NAME, ""),
                role=role,
                valid_from=to_utc(data.get(ATTR_VALID_FROM)),
                valid_until=to_utc(data.get(ATTR_VALID_UNTIL)),
            )
        else:
            user = await client.update_user(
                number,
                name=data.get(ATTR_NAME, UNCHANGED),
                role=UNCHANGED if role is None else role,
                valid_from=_validity_bound(call, ATTR_VALID_FROM),
                valid_until=_validity_bound(call, ATTR_VALID_UNTIL),
            )
    return json_object(user)


async def clear_lock_user(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Delete a user and their credentials; the lock keeps its last admin (L-27)."""
    with translate_errors():
        await _client(entity, call).delete_user(call.data[ATTR_USER_NUMBER])
    return None


async def set_lock_password(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """L-25 is checked by the lock; a refused password says which rule it broke."""
    with translate_errors():
        await _client(entity, call).set_password(
            call.data[ATTR_USER_NUMBER], call.data[ATTR_PASSWORD]
        )
    return None


@dataclass
class _EnrollmentWatch:
    """Final enrollment events seen since the request went out."""

    finished: dict[str, EnrollmentEvent]
    changed: asyncio.Event


async def enroll_credential(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Start enrollment at the lock and return when the person has finished there."""
    coordinator = entity.coordinator
    watch = _EnrollmentWatch({}, asyncio.Event())

    @callback
    def _on_event(event: LockEvent) -> None:
        if isinstance(event, EnrollmentEvent) and event.status.finished:
            watch.finished[event.enrollment_id] = event
            watch.changed.set()

    # Listen before starting: a quick person may finish before the reply arrives.
    unsubscribe = coordinator.async_add_event_listener(_on_event)
    try:
        with translate_errors():
            started = await _client(entity, call).start_enrollment(
                call.data[ATTR_USER_NUMBER],
                CredentialType(call.data[ATTR_CREDENTIAL_TYPE]),
            )
        enrollment_id = started.enrollment_id
        try:
            async with asyncio.timeout(ENROLLMENT_TIMEOUT):
                while enrollment_id not in watch.finished:
                    watch.changed.clear()
                    await watch.changed.wait()
        except TimeoutError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="enrollment_no_answer"
            ) from err
    finally:
        unsubscribe()
    result = watch.finished[enrollment_id]
    if result.credential_id is None:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="enrollment_failed",
            translation_placeholders={
                "status": result.status.value,
                "reason": result.reason or "",
            },
        )
    return {
        "enrollment_id": enrollment_id,
        "credential_id": result.credential_id,
        "credential_type": result.credential_type.value,
        "user": as_json(result.user),
    }


async def clear_lock_credential(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    """Delete one credential: a password or a biometric slot."""
    with translate_errors():
        await _client(entity, call).delete_credential(call.data[ATTR_CREDENTIAL_ID])
    return None


async def set_duress(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """L-29: any credential can open the door and raise a silent duress alarm."""
    with translate_errors():
        await _client(entity, call).update_credential(
            call.data[ATTR_CREDENTIAL_ID], duress=call.data[ATTR_DURESS]
        )
    return None


async def clear_lockout(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """L-42: end the security lockout now."""
    with translate_errors():
        await _client(entity, call).clear_lockout()
    return None


async def get_events(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """L-66: a page of the lock's history, oldest (or newest) first, times in HA's zone."""
    with translate_errors():
        page = await entity.coordinator.client.get_events(
            call.data.get(ATTR_SINCE),
            call.data[ATTR_LIMIT],
            newest_first=call.data[ATTR_NEWEST_FIRST],
            before=call.data.get(ATTR_BEFORE),
        )
    return {
        "events": [
            dict(event.data) | {"time": dt_util.as_local(event.time).isoformat()}
            for event in page.events
        ],
        "last_seq": page.last_seq,
    }
