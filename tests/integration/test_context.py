"""Issue #11.6: who did it, as Home Assistant's logbook tells it.

Only the state change a Home Assistant action caused carries that action's context (and
so its user); what happens at the lock afterwards carries a context of its own, even a
second later. Before, Home Assistant kept the last action's context on the lock entity
for five seconds: an unlock by password just after a user's action showed as that user's.
Against the real edge driver, with the recorder and the logbook as a person reads them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.recorder.core import Recorder
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON, SERVICE_UNLOCK
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.ezlock.const import DOMAIN, EVENT_ACCESS
from ezlock_edge.app import EdgeApp
from tests.support.lock import ADMIN_PASSWORD, sim_of
from tests.support.waiting import eventually

from .common import entity_id, paired_entry, setup_entry, state_of


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant (the logbook reads it), then ezlock."""


async def _logbook(
    hass: HomeAssistant, ws: WebSocketGenerator, *entities: str
) -> list[dict[str, Any]]:
    """Return the logbook's entries for ``entities``, as the frontend gets them."""
    await async_wait_recording_done(hass)
    client = await ws()
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": (dt_util.utcnow() - timedelta(hours=1)).isoformat(),
            "entity_ids": list(entities),
        }
    )
    reply = await client.receive_json()
    assert reply["success"], reply
    entries: list[dict[str, Any]] = reply["result"]
    return entries


async def test_a_change_at_the_lock_after_an_action_is_not_the_user_s(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    edge: EdgeApp,
) -> None:
    """Alice unlocks from Home Assistant; then, at once, the keypad locks and unlocks.

    Her unlock (the lock's movement and the access event) is hers; the keypad's lock
    and the password's unlock a second later are nobody's in Home Assistant, and so
    is an unlock just after a read-only action of hers on the lock.
    """
    assert await async_setup_component(hass, "logbook", {})
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    await edge.core.update_settings(remote_unlock_enabled=True)
    alice = MockUser(name="Alice", is_owner=True).add_to_hass(hass)
    lock = entity_id(hass, "lock", "lock")
    access = entity_id(hass, "event", "access")
    sim = sim_of(edge)
    bus: list[tuple[str, str | None]] = []
    hass.bus.async_listen(
        EVENT_ACCESS,
        lambda event: bus.append((event.data["type"], event.context.user_id)),
    )

    async def bolt(state: str) -> None:
        await eventually(lambda: state_of(hass, "lock", "lock").state == state, state)

    await hass.services.async_call(
        "lock",
        SERVICE_UNLOCK,
        {ATTR_ENTITY_ID: lock},
        blocking=True,
        context=Context(user_id=alice.id),
    )
    await bolt("unlocked")
    await sim.keypad(["confirm"])  # L-44: the keypad locks
    await bolt("locked")
    await sim.keypad([*ADMIN_PASSWORD, "confirm"])
    await bolt("unlocked")
    # A read-only action of Alice's on the lock, then the keypad locks at once.
    await hass.services.async_call(
        DOMAIN,
        "get_lock_info",
        {ATTR_ENTITY_ID: lock},
        blocking=True,
        return_response=True,
        context=Context(user_id=alice.id),
    )
    await sim.keypad(["confirm"])
    await bolt("locked")
    await eventually(lambda: len(bus) == 4, "four access lines")

    entries = await _logbook(hass, hass_ws_client, lock, access)
    lock_changes = [
        (entry["state"], entry.get("context_user_id"))
        for entry in entries
        if entry.get("entity_id") == lock and "state" in entry
    ]
    # Her unlock: the bolt's way there (however much of it the lock reported) is hers.
    hers = lock_changes[: lock_changes.index(("unlocked", alice.id)) + 1]
    assert {user for _, user in hers} == {alice.id}, lock_changes
    assert lock_changes[len(hers) :] and all(
        user is None for _, user in lock_changes[len(hers) :]
    ), lock_changes
    at_rest = [s for s, _ in lock_changes[len(hers) :] if s in {"locked", "unlocked"}]
    assert at_rest == ["locked", "unlocked", "locked"], lock_changes
    assert bus == [
        ("unlocked_remote", alice.id),
        ("locked_keypad", None),
        ("unlocked_password", None),
        ("locked_keypad", None),
    ]
    # The logbook's access lines say the same (logbook.py describes ezlock_access).
    lines = [
        (entry["message"], entry.get("context_user_id"))
        for entry in entries
        if entry.get("domain") == DOMAIN
    ]
    assert [user for _, user in lines] == [alice.id, None, None, None], lines


async def test_a_setting_changed_from_home_assistant_is_the_user_s(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    edge: EdgeApp,
) -> None:
    """The switch's own change is the user's; the same switch moved at the lock is not."""
    assert await async_setup_component(hass, "logbook", {})
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    alice = MockUser(name="Alice", is_owner=True).add_to_hass(hass)
    away = entity_id(hass, "switch", "away_mode")
    await hass.services.async_call(
        "switch",
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: away},
        blocking=True,
        context=Context(user_id=alice.id),
    )
    assert state_of(hass, "switch", "away_mode").state == "on"
    # L-47: an unlock from outside disarms away mode: the lock's doing, not Alice's.
    await sim_of(edge).keypad([*ADMIN_PASSWORD, "confirm"])
    await eventually(
        lambda: state_of(hass, "switch", "away_mode").state == "off", "disarmed"
    )
    entries = await _logbook(hass, hass_ws_client, away)
    changes = [
        (entry["state"], entry.get("context_user_id"))
        for entry in entries
        if "state" in entry
    ]
    assert changes[-2:] == [("on", alice.id), ("off", None)], changes


async def test_a_refused_unlock_is_the_user_s_and_the_next_attempt_at_the_lock_is_not(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    edge: EdgeApp,
) -> None:
    """Alice's unlock is refused (remote unlock off): that logbook line is hers.

    A wrong password at the keypad at once, and her second refusal (collapsed by the
    lock into one later summary, issue #11.4), are nobody's in Home Assistant.
    """
    assert await async_setup_component(hass, "logbook", {})
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    alice = MockUser(name="Alice", is_owner=True).add_to_hass(hass)
    lock = entity_id(hass, "lock", "lock")
    bus: list[tuple[str, str | None, str | None]] = []
    hass.bus.async_listen(
        EVENT_ACCESS,
        lambda event: bus.append(
            (event.data["type"], event.data.get("reason"), event.context.user_id)
        ),
    )

    async def unlock_as_alice() -> None:
        with pytest.raises(HomeAssistantError) as refused:
            await hass.services.async_call(
                "lock",
                SERVICE_UNLOCK,
                {ATTR_ENTITY_ID: lock},
                blocking=True,
                context=Context(user_id=alice.id),
            )
        assert refused.value.translation_key == "remote_unlock_disabled"

    await unlock_as_alice()
    await sim_of(edge).keypad([*"135792", "confirm"])
    await eventually(lambda: len(bus) == 2, "two access lines")
    await unlock_as_alice()  # the lock writes no event now (a repeat, collapsed)
    assert bus == [
        ("unlock_failed", "disabled", alice.id),
        ("unlock_failed", "no_match", None),
    ]
    entries = await _logbook(hass, hass_ws_client, lock)
    lines = [
        entry.get("context_user_id")
        for entry in entries
        if entry.get("domain") == DOMAIN
    ]
    assert lines == [alice.id, None]
