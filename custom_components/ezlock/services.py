"""Actions on an ezlock lock entity: visitors, countdown, users, credentials, history.

Registered once in ``async_setup`` as entity services of the ``lock`` domain, named like
Home Assistant's Matter and Z-Wave lock actions. Actions that write a secret (passwords,
visitor codes and keys, biometric enrollment, the duress flag) are admin-only. Codes and
keys come back once, in the response of the action that created them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
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

from .api import LockEvent
from .const import BIOMETRIC_TYPES, DOMAIN
from .entity import EzlockEntity
from .errors import translate_errors

# The lock gives up on its own (and says so); this only guards against a silent link.
ENROLLMENT_TIMEOUT: Final = 120.0
_ENROLLMENT_DONE: Final = frozenset({"completed", "failed", "timeout"})

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

_NAME = vol.All(cv.string, vol.Length(min=1, max=32))
_USER_NUMBER = vol.All(vol.Coerce(int), vol.Range(min=1, max=999))
_SECONDS = vol.All(vol.Coerce(int), vol.Range(min=5, max=300))

type Handler = Callable[[EzlockEntity, ServiceCall], Awaitable[ServiceResponse]]


def _iso(value: datetime | None) -> str | None:
    """Send times in UTC; a time without zone is in Home Assistant's zone."""
    return None if value is None else dt_util.as_utc(value).isoformat()


def _validity(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _iso(data[key])
        for key in (ATTR_VALID_FROM, ATTR_VALID_UNTIL)
        if key in data
    }


async def _create_temporary_password(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    """L-30: a visitor code with a window and a use count (0 = unlimited)."""
    max_uses = call.data[ATTR_MAX_USES]
    with translate_errors():
        return await entity.coordinator.client.create_temporary_password(
            name=call.data[ATTR_NAME],
            max_uses=max_uses or None,
            **_validity(dict(call.data)),
        )


async def _list_temporary_passwords(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    with translate_errors():
        return await entity.coordinator.client.list_temporary_passwords()


async def _revoke_temporary_password(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    with translate_errors():
        await entity.coordinator.client.delete_temporary_password(call.data[ATTR_ID])
    return None


async def _create_bluetooth_key(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    """L-31: a visitor Bluetooth key with a validity window."""
    with translate_errors():
        return await entity.coordinator.client.create_bluetooth_key(
            name=call.data[ATTR_NAME], **_validity(dict(call.data))
        )


async def _list_bluetooth_keys(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    with translate_errors():
        return await entity.coordinator.client.list_bluetooth_keys()


async def _revoke_bluetooth_key(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    with translate_errors():
        await entity.coordinator.client.delete_bluetooth_key(call.data[ATTR_ID])
    return None


async def _countdown_lock(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Lock once, N seconds from now."""
    with translate_errors():
        return await entity.coordinator.client.countdown_lock(call.data[ATTR_SECONDS])


async def _set_countdown_lock(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    """L-45: lock by itself after every unlock, or not."""
    changes: dict[str, Any] = {"countdown_lock_enabled": call.data[ATTR_ENABLED]}
    if ATTR_SECONDS in call.data:
        changes["countdown_lock_seconds"] = call.data[ATTR_SECONDS]
    with translate_errors():
        settings = await entity.coordinator.client.update_settings(**changes)
    entity.coordinator.async_apply_settings(settings)
    return None


async def _get_lock_info(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Identity, capacities and counts, from the pushed state."""
    info, state = entity.coordinator.info, entity.coordinator.data
    return {
        "serial": info.serial,
        "model": info.model,
        "firmware": info.firmware,
        "users": state.users,
        "credentials": {
            kind: {"count": count.count, "capacity": count.capacity}
            for kind, count in state.credentials.items()
        },
        "temporary_passwords": state.temporary_passwords,
        "bluetooth_keys": state.bluetooth_keys,
    }


async def _get_lock_users(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Users with roles, validity and credential slots; the lock never sends secrets."""
    with translate_errors():
        return await entity.coordinator.client.list_users()


async def _set_lock_user(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """Add a user (no number) or change one; validity can be set or cleared (L-28)."""
    fields: dict[str, Any] = {
        key: call.data[key] for key in (ATTR_NAME, ATTR_ROLE) if key in call.data
    }
    fields |= _validity(dict(call.data))
    if call.data.get(ATTR_CLEAR_VALIDITY):
        fields |= {ATTR_VALID_FROM: None, ATTR_VALID_UNTIL: None}
    client = entity.coordinator.client
    with translate_errors():
        if (number := call.data.get(ATTR_USER_NUMBER)) is not None:
            return await client.update_user(number, **fields)
        return await client.add_user(**fields)


async def _clear_lock_user(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    with translate_errors():
        await entity.coordinator.client.delete_user(call.data[ATTR_USER_NUMBER])
    return None


async def _set_lock_password(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    """L-25 is checked by the lock; a refused password says which rule it broke."""
    with translate_errors():
        await entity.coordinator.client.set_password(
            call.data[ATTR_USER_NUMBER], call.data[ATTR_PASSWORD]
        )
    return None


@dataclass
class _EnrollmentWatch:
    """Final enrollment events seen since the request went out."""

    finished: dict[str, LockEvent]
    changed: asyncio.Event


async def _enroll_credential(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    """Start enrollment at the lock and return when the person has finished there."""
    coordinator = entity.coordinator
    watch = _EnrollmentWatch({}, asyncio.Event())

    @callback
    def _on_event(event: LockEvent) -> None:
        if event.type == "enrollment" and event.data["status"] in _ENROLLMENT_DONE:
            watch.finished[event.data["enrollment_id"]] = event
            watch.changed.set()

    # Listen before starting: a quick person may finish before the reply arrives.
    unsubscribe = coordinator.async_add_event_listener(_on_event)
    try:
        with translate_errors():
            started = await coordinator.client.start_enrollment(
                call.data[ATTR_USER_NUMBER], call.data[ATTR_CREDENTIAL_TYPE]
            )
        enrollment_id = started["enrollment_id"]
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
    result = watch.finished[enrollment_id].data
    if result["status"] != "completed":
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="enrollment_failed",
            translation_placeholders={
                "status": result["status"],
                "reason": str(result.get("reason") or ""),
            },
        )
    return {
        "enrollment_id": enrollment_id,
        "credential_id": result.get("credential_id"),
        "credential_type": result["credential_type"],
        "user": result["user"],
    }


async def _clear_lock_credential(
    entity: EzlockEntity, call: ServiceCall
) -> ServiceResponse:
    with translate_errors():
        await entity.coordinator.client.delete_credential(call.data[ATTR_CREDENTIAL_ID])
    return None


async def _set_duress(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """L-29: any credential can open the door and raise a silent duress alarm."""
    with translate_errors():
        await entity.coordinator.client.update_credential(
            call.data[ATTR_CREDENTIAL_ID], duress=call.data[ATTR_DURESS]
        )
    return None


async def _clear_lockout(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """L-42: end the security lockout now."""
    with translate_errors():
        await entity.coordinator.client.clear_lockout()
    return None


async def _get_events(entity: EzlockEntity, call: ServiceCall) -> ServiceResponse:
    """L-66: a page of the lock's history, oldest first."""
    with translate_errors():
        return await entity.coordinator.client.get_events(
            call.data.get(ATTR_SINCE), call.data[ATTR_LIMIT]
        )


@dataclass(frozen=True, kw_only=True)
class _Action:
    handler: Handler
    schema: VolDictType
    response: SupportsResponse = SupportsResponse.NONE
    admin_only: bool = False


ACTIONS: Final[dict[str, _Action]] = {
    "create_temporary_password": _Action(
        handler=_create_temporary_password,
        schema={
            vol.Required(ATTR_NAME): _NAME,
            vol.Optional(ATTR_VALID_FROM): cv.datetime,
            vol.Required(ATTR_VALID_UNTIL): cv.datetime,
            vol.Optional(ATTR_MAX_USES, default=1): vol.All(
                vol.Coerce(int), vol.Range(min=0, max=100)
            ),
        },
        response=SupportsResponse.OPTIONAL,
        admin_only=True,
    ),
    "list_temporary_passwords": _Action(
        handler=_list_temporary_passwords, schema={}, response=SupportsResponse.ONLY
    ),
    "revoke_temporary_password": _Action(
        handler=_revoke_temporary_password, schema={vol.Required(ATTR_ID): cv.string}
    ),
    "create_bluetooth_key": _Action(
        handler=_create_bluetooth_key,
        schema={
            vol.Required(ATTR_NAME): _NAME,
            vol.Optional(ATTR_VALID_FROM): cv.datetime,
            vol.Required(ATTR_VALID_UNTIL): cv.datetime,
        },
        response=SupportsResponse.OPTIONAL,
        admin_only=True,
    ),
    "list_bluetooth_keys": _Action(
        handler=_list_bluetooth_keys, schema={}, response=SupportsResponse.ONLY
    ),
    "revoke_bluetooth_key": _Action(
        handler=_revoke_bluetooth_key, schema={vol.Required(ATTR_ID): cv.string}
    ),
    "countdown_lock": _Action(
        handler=_countdown_lock,
        schema={vol.Required(ATTR_SECONDS): _SECONDS},
        response=SupportsResponse.OPTIONAL,
    ),
    "set_countdown_lock": _Action(
        handler=_set_countdown_lock,
        schema={
            vol.Required(ATTR_ENABLED): cv.boolean,
            vol.Optional(ATTR_SECONDS): _SECONDS,
        },
    ),
    "get_lock_info": _Action(
        handler=_get_lock_info, schema={}, response=SupportsResponse.ONLY
    ),
    "get_lock_users": _Action(
        handler=_get_lock_users, schema={}, response=SupportsResponse.ONLY
    ),
    "set_lock_user": _Action(
        handler=_set_lock_user,
        schema={
            vol.Optional(ATTR_USER_NUMBER): _USER_NUMBER,
            vol.Optional(ATTR_NAME): _NAME,
            vol.Optional(ATTR_ROLE): vol.In(["admin", "user"]),
            vol.Optional(ATTR_VALID_FROM): cv.datetime,
            vol.Optional(ATTR_VALID_UNTIL): cv.datetime,
            vol.Optional(ATTR_CLEAR_VALIDITY): cv.boolean,
        },
        response=SupportsResponse.OPTIONAL,
    ),
    "clear_lock_user": _Action(
        handler=_clear_lock_user, schema={vol.Required(ATTR_USER_NUMBER): _USER_NUMBER}
    ),
    "set_lock_password": _Action(
        handler=_set_lock_password,
        schema={
            vol.Required(ATTR_USER_NUMBER): _USER_NUMBER,
            vol.Required(ATTR_PASSWORD): cv.matches_regex(r"^\d{1,32}$"),
        },
        admin_only=True,
    ),
    "enroll_credential": _Action(
        handler=_enroll_credential,
        schema={
            vol.Required(ATTR_USER_NUMBER): _USER_NUMBER,
            vol.Required(ATTR_CREDENTIAL_TYPE): vol.In(list(BIOMETRIC_TYPES)),
        },
        response=SupportsResponse.OPTIONAL,
        admin_only=True,
    ),
    "clear_lock_credential": _Action(
        handler=_clear_lock_credential,
        schema={vol.Required(ATTR_CREDENTIAL_ID): cv.string},
    ),
    "set_duress": _Action(
        handler=_set_duress,
        schema={
            vol.Required(ATTR_CREDENTIAL_ID): cv.string,
            vol.Required(ATTR_DURESS): cv.boolean,
        },
        admin_only=True,
    ),
    "clear_lockout": _Action(handler=_clear_lockout, schema={}),
    "get_events": _Action(
        handler=_get_events,
        schema={
            vol.Optional(ATTR_SINCE): vol.All(vol.Coerce(int), vol.Range(min=0)),
            vol.Optional(ATTR_LIMIT, default=100): vol.All(
                vol.Coerce(int), vol.Range(min=1, max=1000)
            ),
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
