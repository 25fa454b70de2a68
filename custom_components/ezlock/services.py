"""Actions on an ezlock lock entity: visitors, countdown, users, credentials, history.

Registered once in ``async_setup`` as entity services of the ``lock`` domain, named like
Home Assistant's Matter and Z-Wave lock actions. Every action that changes who can open
the door (visitor codes and keys created or revoked, users, passwords, biometric
enrollment, credentials deleted, the duress flag, the lockout cleared, the lock's remote
PIN switched on or off) needs a Home Assistant administrator (issue #11.7); operating the lock and reading stay open to all
users, as in Home Assistant core. Codes and keys come back once, in the response of the
action that created them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from homeassistant.components.lock.const import DOMAIN as LOCK_DOMAIN
from homeassistant.core import HomeAssistant, SupportsResponse, callback
from homeassistant.helpers import config_validation as cv, service
from homeassistant.helpers.typing import VolDictType
import probatio as vol

from .client import (
    COUNTDOWN_SECONDS,
    EVENTS_PAGE,
    NAME_LENGTH,
    PASSWORD_PATTERN,
    USER_NUMBER,
    VISITOR_USES,
    Limit,
    Role,
    VisitorKind,
)
from .const import BIOMETRIC_TYPES, DOMAIN
from .service_handlers import (
    ATTR_BEFORE,
    ATTR_CLEAR_VALIDITY,
    ATTR_CREDENTIAL_ID,
    ATTR_CREDENTIAL_TYPE,
    ATTR_DURESS,
    ATTR_ENABLED,
    ATTR_ID,
    ATTR_LIMIT,
    ATTR_MAX_USES,
    ATTR_NAME,
    ATTR_NEWEST_FIRST,
    ATTR_PASSWORD,
    ATTR_PIN,
    ATTR_ROLE,
    ATTR_SECONDS,
    ATTR_SINCE,
    ATTR_USER_NUMBER,
    ATTR_VALID_FROM,
    ATTR_VALID_UNTIL,
    DEFAULT_USES,
    UNLIMITED_USES,
    Handler,
    clear_lock_credential,
    clear_lock_user,
    clear_lockout,
    countdown_lock,
    create_visitor,
    enroll_credential,
    get_events,
    get_lock_info,
    get_lock_users,
    list_visitors,
    revoke_visitor,
    set_countdown_lock,
    set_duress,
    set_lock_password,
    set_lock_user,
    set_remote_pin_required,
)


def _bounded(limit: Limit) -> vol.All[int]:
    return vol.All(vol.Coerce(int), vol.Range(min=limit.minimum, max=limit.maximum))


_NAME = vol.All(cv.string, vol.Length(min=NAME_LENGTH.minimum, max=NAME_LENGTH.maximum))
_USER_NUMBER = _bounded(USER_NUMBER)
_SECONDS = _bounded(COUNTDOWN_SECONDS)
_PIN = cv.matches_regex(PASSWORD_PATTERN)


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
            handler=create_visitor(kind),
            schema=_with_pin(_visitor_schema(kind)),
            response=SupportsResponse.OPTIONAL,
            admin_only=True,
        ),
        f"list_{kind.collection}": _Action(
            handler=list_visitors(kind), schema={}, response=SupportsResponse.ONLY
        ),
        f"revoke_{kind.value}": _Action(
            handler=revoke_visitor(kind),
            schema=_with_pin({vol.Required(ATTR_ID): cv.string}),
            admin_only=True,
        ),
    }


ACTIONS: Final[dict[str, _Action]] = {
    **_visitor_actions(VisitorKind.TEMPORARY_PASSWORD),
    **_visitor_actions(VisitorKind.BLUETOOTH_KEY),
    "countdown_lock": _Action(
        handler=countdown_lock,
        schema={vol.Required(ATTR_SECONDS): _SECONDS},
        response=SupportsResponse.OPTIONAL,
    ),
    "set_countdown_lock": _Action(
        handler=set_countdown_lock,
        schema=_with_pin(
            {
                vol.Required(ATTR_ENABLED): cv.boolean,
                vol.Optional(ATTR_SECONDS): _SECONDS,
            }
        ),
    ),
    "set_remote_pin_required": _Action(
        handler=set_remote_pin_required,
        schema=_with_pin({vol.Required(ATTR_ENABLED): cv.boolean}),
        admin_only=True,
    ),
    "get_lock_info": _Action(
        handler=get_lock_info, schema={}, response=SupportsResponse.ONLY
    ),
    "get_lock_users": _Action(
        handler=get_lock_users, schema={}, response=SupportsResponse.ONLY
    ),
    "set_lock_user": _Action(
        handler=set_lock_user,
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
        handler=clear_lock_user,
        schema=_with_pin({vol.Required(ATTR_USER_NUMBER): _USER_NUMBER}),
        admin_only=True,
    ),
    "set_lock_password": _Action(
        handler=set_lock_password,
        schema=_with_pin(
            {
                vol.Required(ATTR_USER_NUMBER): _USER_NUMBER,
                vol.Required(ATTR_PASSWORD): cv.matches_regex(PASSWORD_PATTERN),
            }
        ),
        admin_only=True,
    ),
    "enroll_credential": _Action(
        handler=enroll_credential,
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
        handler=clear_lock_credential,
        schema=_with_pin({vol.Required(ATTR_CREDENTIAL_ID): cv.string}),
        admin_only=True,
    ),
    "set_duress": _Action(
        handler=set_duress,
        schema=_with_pin(
            {
                vol.Required(ATTR_CREDENTIAL_ID): cv.string,
                vol.Required(ATTR_DURESS): cv.boolean,
            }
        ),
        admin_only=True,
    ),
    "clear_lockout": _Action(
        handler=clear_lockout, schema=_with_pin({}), admin_only=True
    ),
    "get_events": _Action(
        handler=get_events,
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
