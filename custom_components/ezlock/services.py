"""Actions on an ezlock lock entity: visitors, countdown, users, credentials, history.

Registered once in ``async_setup`` as entity services of the ``lock`` domain, named like
Home Assistant's Matter and Z-Wave lock actions. Every action that changes who can open
the door (visitor codes and keys created or revoked, users, passwords, biometric
enrollment, credentials deleted, the duress flag, the lockout cleared) needs a Home
Assistant administrator (issue #11.7); operating the lock and reading stay open to all
users, as in Home Assistant core. Codes and keys come back once, in the response of the
action that created them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Final

from homeassistant.components.lock.const import DOMAIN as LOCK_DOMAIN
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.helpers.typing import VolDictType
from homeassistant.util import dt as dt_util
import probatio as vol

from .client import (
    COUNTDOWN_SECONDS,
    EVENTS_PAGE,
    NAME_LENGTH,
    PASSWORD_PATTERN,
    UNCHANGED,
    USER_NUMBER,
    VISITOR_USES,
    CredentialType,
    EnrollmentEvent,
    EzlockClient,
    Limit,
    LockEvent,
    Role,
    Unchanged,
    VisitorCredential,
    VisitorKind,
)
from .const import BIOMETRIC_TYPES, DOMAIN
from .entity import EzlockEntity
from .errors import translate_errors

# The lock gives up on its own (and says so); this only guards against a silent link.
ENROLLMENT_TIMEOUT: Final = 120.0

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

# 0 uses in the action means "unlimited", which the API sends as null.
UNLIMITED_USES: Final = 0
DEFAULT_USES: Final = 1


def _bounded(limit: Limit) -> vol.All[int]:
    return vol.All(vol.Coerce(int), vol.Range(min=limit.minimum, max=limit.maximum))


_NAME = vol.All(cv.string, vol.Length(min=NAME_LENGTH.minimum, max=NAME_LENGTH.maximum))
_USER_NUMBER = _bounded(USER_NUMBER)
_SECONDS = _bounded(COUNTDOWN_SECONDS)
_PIN = cv.matches_regex(PASSWORD_PATTERN)

type Handler = Callable[[EzlockEntity, ServiceCall], Awaitable[ServiceResponse]]


def _utc(value: datetime | None) -> datetime | None:
    """Send times in UTC; a time without zone is in Home Assistant's zone."""
    return None if value is None else dt_util.as_utc(value)


def _json_object(model: object) -> dict[str, Any]:
    """Return a model as the API's JSON object."""
    shown: dict[str, Any] = _json(model)
    return shown


def _json(value: object) -> Any:
    """Return a model (or what it holds) as JSON: times ISO-8601 in HA's time zone."""
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: _json(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, datetime):
        return dt_util.as_local(value).isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(key): _json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    return value


def _local(moment: datetime | None) -> str | None:
    """Show a time in Home Assistant's zone, ``None`` for none."""
    return None if moment is None else dt_util.as_local(moment).isoformat()


def _visitor(visitor: VisitorCredential) -> dict[str, Any]:
    """Return the API's object for the visitor's kind; the secret only when new."""
    shown: dict[str, Any] = {
        "id": visitor.id,
        "name": visitor.name,
        "valid_from": dt_util.as_local(visitor.valid_from).isoformat(),
        "valid_until": dt_util.as_local(visitor.valid_until).isoformat(),
        "schedule": [window.as_json() for window in visitor.schedule],
        "status": visitor.status.value,
        "revoked_at": _local(visitor.revoked_at),
    }
    if visitor.kind.counts_uses:
        shown |= {
            "max_uses": visitor.max_uses,
            "uses": visitor.uses,
            "remaining_uses": visitor.remaining_uses,
            "last_used_at": _local(visitor.last_used_at),
        }
    shown["created"] = dt_util.as_local(visitor.created).isoformat()
    if visitor.secret is not None:
        shown[visitor.kind.secret_field] = visitor.secret
    return shown


def _client(entity: EzlockEntity, call: ServiceCall) -> EzlockClient:
    """Return the lock's client, sending the action's ``pin`` if it has one."""
    return entity.coordinator.client.with_pin(call.data.get(ATTR_PIN))


# Visitor credentials (L-30, L-31): one concept, three actions per kind.


def _create_visitor(kind: VisitorKind) -> Handler:
    async def handler(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
        """Create one with a window; temporary passwords also count uses."""
        max_uses = call.data.get(ATTR_MAX_USES, DEFAULT_USES)
        with translate_errors():
            created = await _client(entity, call).create_visitor(
                kind,
                name=call.data[ATTR_NAME],
                valid_from=_utc(call.data.get(ATTR_VALID_FROM)),
                valid_until=dt_util.as_utc(call.data[ATTR_VALID_UNTIL]),
                max_uses=None if max_uses == UNLIMITED_USES else max_uses,
            )
        return _visitor(created)

    return handler


def _list_visitors(kind: VisitorKind) -> Handler:
    async def handler(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
        """Visitor credentials of the kind, without their secrets."""
        with translate_errors():
            listed = await entity.coordinator.client.list_visitors(kind)
        return {kind.collection: [_visitor(visitor) for visitor in listed]}

    return handler


def _revoke_visitor(kind: VisitorKind) -> Handler:
    async def handler(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
        with translate_errors():
            await _client(entity, call).revoke_visitor(kind, call.data[ATTR_ID])
        return None

    return handler


def _visitor_schema(kind: VisitorKind) -> VolDictType:
    schema: VolDictType = {
        vol.Required(ATTR_NAME): _NAME,
        vol.Optional(ATTR_VALID_FROM): cv.datetime,
        vol.Required(ATTR_VALID_UNTIL): cv.datetime,
    }
    if kind.counts_uses:
        schema[vol.Optional(ATTR_MAX_USES, default=DEFAULT_USES)] = vol.All(
            vol.Coerce(int),
            vol.Any(
                UNLIMITED_USES,
                vol.Range(min=VISITOR_USES.minimum, max=VISITOR_USES.maximum),
            ),
        )
    return schema


async def _countdown_lock(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Lock once, N seconds from now."""
    with translate_errors():
        lock_at = await entity.coordinator.client.countdown_lock(
            call.data[ATTR_SECONDS]
        )
    return {"lock_at": lock_at.isoformat()}


async def _set_countdown_lock(
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


async def _get_lock_info(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Identity, capacities and counts, from the pushed state."""
    info, state = entity.coordinator.info, entity.coordinator.data
    return {
        "serial": info.serial,
        "model": info.model,
        "firmware": info.firmware,
        "users": state.users,
        "credentials": _json(state.credentials),
        "temporary_passwords": state.temporary_passwords,
        "bluetooth_keys": state.bluetooth_keys,
    }


async def _get_lock_users(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Users with roles, validity and credential slots; the lock never sends secrets."""
    with translate_errors():
        users = await entity.coordinator.client.list_users()
    return {"users": _json(users)}


def _validity_bound(call: ServiceCall, key: str) -> datetime | Unchanged | None:
    """Return a bound of a user's validity: cleared, changed, or left as it is."""
    if call.data.get(ATTR_CLEAR_VALIDITY):
        return None
    return _utc(call.data[key]) if key in call.data else UNCHANGED


async def _set_lock_user(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Add a user (no number) or change one; validity can be set or cleared (L-28)."""
    data = call.data
    role = Role(data[ATTR_ROLE]) if ATTR_ROLE in data else None
    client = _client(entity, call)
    with translate_errors():
        if (number := data.get(ATTR_USER_NUMBER)) is None:
            user = await client.add_user(
                data.get(ATTR_NAME, ""),
                role=role,
                valid_from=_utc(data.get(ATTR_VALID_FROM)),
                valid_until=_utc(data.get(ATTR_VALID_UNTIL)),
            )
        else:
            user = await client.update_user(
                number,
                name=data.get(ATTR_NAME, UNCHANGED),
                role=UNCHANGED if role is None else role,
                valid_from=_validity_bound(call, ATTR_VALID_FROM),
                valid_until=_validity_bound(call, ATTR_VALID_UNTIL),
            )
    return _json_object(user)


async def _clear_lock_user(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    with translate_errors():
        await _client(entity, call).delete_user(call.data[ATTR_USER_NUMBER])
    return None


async def _set_lock_password(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
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


async def _enroll_credential(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
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
        "user": _json(result.user),
    }


async def _clear_lock_credential(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    with translate_errors():
        await _client(entity, call).delete_credential(call.data[ATTR_CREDENTIAL_ID])
    return None


async def _set_duress(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """L-29: any credential can open the door and raise a silent duress alarm."""
    with translate_errors():
        await _client(entity, call).update_credential(
            call.data[ATTR_CREDENTIAL_ID], duress=call.data[ATTR_DURESS]
        )
    return None


async def _clear_lockout(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """L-42: end the security lockout now."""
    with translate_errors():
        await _client(entity, call).clear_lockout()
    return None


async def _get_events(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
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


@dataclass(frozen=True, kw_only=True)
class _Action:
    handler: Handler
    schema: VolDictType
    response: SupportsResponse = SupportsResponse.NONE
    admin_only: bool = False


def _with_pin(schema: VolDictType) -> VolDictType:
    """Add the optional ``pin`` to an action that changes the lock (an admin route).

    A lock with require_pin_for_remote wants a lock admin's password for that.
    """
    return {**schema, vol.Optional(ATTR_PIN): _PIN}


def _visitor_actions(kind: VisitorKind) -> dict[str, _Action]:
    """create_<kind>, list_<kind>s and revoke_<kind>: the secret is admin-only."""
    return {
        f"create_{kind.value}": _Action(
            handler=_create_visitor(kind),
            schema=_with_pin(_visitor_schema(kind)),
            response=SupportsResponse.OPTIONAL,
            admin_only=True,
        ),
        f"list_{kind.collection}": _Action(
            handler=_list_visitors(kind), schema={}, response=SupportsResponse.ONLY
        ),
        f"revoke_{kind.value}": _Action(
            handler=_revoke_visitor(kind),
            schema=_with_pin({vol.Required(ATTR_ID): cv.string}),
            admin_only=True,
        ),
    }


ACTIONS: Final[dict[str, _Action]] = {
    **_visitor_actions(VisitorKind.TEMPORARY_PASSWORD),
    **_visitor_actions(VisitorKind.BLUETOOTH_KEY),
    "countdown_lock": _Action(
        handler=_countdown_lock,
        schema={vol.Required(ATTR_SECONDS): _SECONDS},
        response=SupportsResponse.OPTIONAL,
    ),
    "set_countdown_lock": _Action(
        handler=_set_countdown_lock,
        schema=_with_pin(
            {
                vol.Required(ATTR_ENABLED): cv.boolean,
                vol.Optional(ATTR_SECONDS): _SECONDS,
            }
        ),
    ),
    "get_lock_info": _Action(
        handler=_get_lock_info, schema={}, response=SupportsResponse.ONLY
    ),
    "get_lock_users": _Action(
        handler=_get_lock_users, schema={}, response=SupportsResponse.ONLY
    ),
    "set_lock_user": _Action(
        handler=_set_lock_user,
        schema=_with_pin(
            {
                vol.Optional(ATTR_USER_NUMBER): _USER_NUMBER,
                vol.Optional(ATTR_NAME): _NAME,
                vol.Optional(ATTR_ROLE): vol.In([role.value for role in Role]),
                vol.Optional(ATTR_VALID_FROM): cv.datetime,
                vol.Optional(ATTR_VALID_UNTIL): cv.datetime,
                vol.Optional(ATTR_CLEAR_VALIDITY): cv.boolean,
            }
        ),
        response=SupportsResponse.OPTIONAL,
        admin_only=True,
    ),
    "clear_lock_user": _Action(
        handler=_clear_lock_user,
        schema=_with_pin({vol.Required(ATTR_USER_NUMBER): _USER_NUMBER}),
        admin_only=True,
    ),
    "set_lock_password": _Action(
        handler=_set_lock_password,
        schema=_with_pin(
            {
                vol.Required(ATTR_USER_NUMBER): _USER_NUMBER,
                vol.Required(ATTR_PASSWORD): cv.matches_regex(PASSWORD_PATTERN),
            }
        ),
        admin_only=True,
    ),
    "enroll_credential": _Action(
        handler=_enroll_credential,
        schema=_with_pin(
            {
                vol.Required(ATTR_USER_NUMBER): _USER_NUMBER,
                vol.Required(ATTR_CREDENTIAL_TYPE): vol.In(
                    [kind.value for kind in BIOMETRIC_TYPES]
                ),
            }
        ),
        response=SupportsResponse.OPTIONAL,
        admin_only=True,
    ),
    "clear_lock_credential": _Action(
        handler=_clear_lock_credential,
        schema=_with_pin({vol.Required(ATTR_CREDENTIAL_ID): cv.string}),
        admin_only=True,
    ),
    "set_duress": _Action(
        handler=_set_duress,
        schema=_with_pin(
            {
                vol.Required(ATTR_CREDENTIAL_ID): cv.string,
                vol.Required(ATTR_DURESS): cv.boolean,
            }
        ),
        admin_only=True,
    ),
    "clear_lockout": _Action(
        handler=_clear_lockout, schema=_with_pin({}), admin_only=True
    ),
    "get_events": _Action(
        handler=_get_events,
        schema={
            vol.Optional(ATTR_SINCE): vol.All(vol.Coerce(int), vol.Range(min=0)),
            vol.Optional(ATTR_LIMIT, default=100): _bounded(EVENTS_PAGE),
            vol.Optional(ATTR_NEWEST_FIRST, default=False): cv.boolean,
            vol.Optional(ATTR_BEFORE): vol.All(vol.Coerce(int), vol.Range(min=1)),
        },
        response=SupportsResponse.ONLY,
    ),
}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action on ezlock's lock entities."""
    for name, action in ACTIONS.items():
        service.async_register_platform_entity_service(
            hass,
            DOMAIN,
            name,
            entity_domain=LOCK_DOMAIN,
            schema=action.schema,
            func=action.handler,
            supports_response=action.response,
            admin_only=action.admin_only,
        )
