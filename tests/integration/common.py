"""Helpers that act on the simulated lock the way a person would, and wait for results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_TOKEN,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import (
    EventStateChangedData,
    async_track_state_change_event,
)
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ezlock.client import EzlockClient
from custom_components.ezlock.const import CONF_CLIENT_ID, CONF_FINGERPRINT, DOMAIN
from tests.support.lock import (
    create_first_admin,
    open_pairing,
    sim_of,
    verification_code,
)
from tests.support.waiting import eventually

if TYPE_CHECKING:
    from ezlock_edge.app import EdgeApp, EdgeOptions

SERIAL: Final = "EZL-7Q2K9D"
MOTOR_TRAVEL: Final = 0.02


async def start_edge(options: EdgeOptions) -> EdgeApp:
    """Start an edge driver and create the lock's first admin at its keypad (L-26)."""
    from ezlock_edge.app import EdgeApp

    app = EdgeApp(options)
    await app.start()
    if not app.core.state.admin_exists:
        await create_first_admin(sim_of(app))
    return app


async def paired_entry(hass: HomeAssistant, edge: EdgeApp) -> MockConfigEntry:
    """Pair like the config flow does and return the entry it would create."""
    await open_pairing(edge)
    client = EzlockClient(
        async_get_clientsession(hass),
        "127.0.0.1",
        edge.port,
        fingerprint=edge.tls_fingerprint,
    )
    result = await client.pair("Home Assistant", await verification_code(edge))
    info = edge.core.info
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"{info.model} {info.serial}",
        unique_id=info.serial,
        data={
            CONF_HOST: "127.0.0.1",
            CONF_PORT: edge.port,
            CONF_FINGERPRINT: edge.tls_fingerprint,
            CONF_TOKEN: result.token,
            CONF_CLIENT_ID: result.client_id,
        },
    )
    entry.add_to_hass(hass)
    return entry


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up and wait until its push connection streams."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await eventually(
        lambda: (
            entry.runtime_data.last_update_success and entry.runtime_data._streaming
        ),
        "the push connection",
    )


def entity_id(hass: HomeAssistant, platform: str, key: str) -> str:
    """Return the entity id of the lock's entity ``key`` on ``platform``."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{SERIAL}-{key}")
    assert found is not None, f"no {platform} entity {key}"
    return found


def state_of(hass: HomeAssistant, platform: str, key: str) -> State:
    """Return the current state of the lock's entity ``key``."""
    return current(hass, entity_id(hass, platform, key))


def current(hass: HomeAssistant, entity: str) -> State:
    """Return the current state of ``entity``, which must exist."""
    state = hass.states.get(entity)
    assert state is not None, f"no state for {entity}"
    return state


def fired(hass: HomeAssistant, key: str) -> list[State]:
    """Record every event the event entity ``key`` fires from now on.

    An event entity's state is the time of its last event, so a new time is a new
    event; going unavailable and being restored with the same time is not.
    """
    seen: list[State] = []
    target = entity_id(hass, "event", key)
    last = hass.states.get(target)
    last_time = [last.state if last else None]

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if (
            new is not None
            and new.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)
            and new.state != last_time[0]
        ):
            last_time[0] = new.state
            seen.append(new)

    async_track_state_change_event(hass, [target], _changed)
    return seen
