"""Entities of the lock: their shape (snapshot) and their states, driven from the lock."""

from __future__ import annotations

from collections.abc import Iterator
import random
from unittest.mock import PropertyMock, patch

from homeassistant.components.number import ATTR_VALUE
from homeassistant.components.number.const import SERVICE_SET_VALUE
from homeassistant.components.select import ATTR_OPTION, SERVICE_SELECT_OPTION
from homeassistant.const import (
    ATTR_CODE,
    ATTR_ENTITY_ID,
    SERVICE_LOCK,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    SERVICE_UNLOCK,
    STATE_OFF,
    STATE_ON,
    Platform,
)
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockUser, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.ezlock import PLATFORMS
from custom_components.ezlock.const import CONF_CODE_HASH, CONF_CODE_SALT, DOMAIN
from custom_components.ezlock.unlock_code import hash_code, new_salt
from ezlock_edge.app import EdgeApp
from tests.support.lock import sim_of
from tests.support.waiting import eventually

from .common import current, entity_id, fired, paired_entry, setup_entry, state_of


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Enable the entities that start disabled, so the snapshot shows them all."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", PLATFORMS)
async def test_entities_snapshot(
    hass: HomeAssistant,
    edge: EdgeApp,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Names, categories, device classes, icons and first states, per platform."""
    entry = await paired_entry(hass, edge)
    # Camera and image proxy URLs carry a random access token: make it the same.
    with (
        patch("custom_components.ezlock.PLATFORMS", [platform]),
        patch("homeassistant.components.camera._RND", random.Random(0)),
        patch("homeassistant.components.image._RND", random.Random(0)),
    ):
        await setup_entry(hass, entry)
        await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_noisy_entities_disabled_by_default(
    hass: HomeAssistant, edge: EdgeApp, entity_registry: er.EntityRegistry
) -> None:
    """Wi-Fi signal, Bluetooth, pairing window and the like start disabled."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    disabled = {
        reg.unique_id.split("-", 2)[-1]
        for reg in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if reg.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    }
    assert (
        disabled
        == {
            "wifi_signal",
            "low_battery",  # the battery level sensor is the one the maintenance summary counts
            "bluetooth_key_count",
            "bluetooth",
            "pairing",
            "wifi_enabled",
        }
    )


async def _call(
    hass: HomeAssistant, domain: str, service: str, target: str, **data: object
) -> None:
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: target, **data}, blocking=True
    )


async def test_remote_unlock_follows_the_setting(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """L-43: unlocking from Home Assistant works only with Remote unlock on."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    lock = entity_id(hass, "lock", "lock")
    access = fired(hass, "access")

    with pytest.raises(HomeAssistantError) as refused:
        await _call(hass, "lock", SERVICE_UNLOCK, lock)
    assert refused.value.translation_key == "remote_unlock_disabled"

    await _call(
        hass,
        "switch",
        SERVICE_TURN_ON,
        entity_id(hass, "switch", "remote_unlock_enabled"),
    )
    assert state_of(hass, "switch", "remote_unlock_enabled").state == STATE_ON
    assert edge.core.get_settings().remote_unlock_enabled

    await _call(hass, "lock", SERVICE_UNLOCK, lock)
    await eventually(lambda: current(hass, lock).state == "unlocked", "the unlock")
    await _call(hass, "lock", SERVICE_LOCK, lock)
    await eventually(lambda: current(hass, lock).state == "locked", "the lock")
    await eventually(lambda: len(access) >= 3, "the three access events")
    assert [s.attributes["event_type"] for s in access] == [
        "unlock_failed",
        "unlocked_remote",
        "locked_remote",
    ]
    assert access[0].attributes["method"] == "remote"
    assert access[0].attributes["reason"] == "disabled"


async def test_unlock_code_from_options(hass: HomeAssistant, edge: EdgeApp) -> None:
    """With a code configured, unlocking needs it; locking does not."""
    entry = await paired_entry(hass, edge)
    salt = new_salt()
    hass.config_entries.async_update_entry(
        entry,
        options={CONF_CODE_HASH: hash_code("2468", salt), CONF_CODE_SALT: salt},
    )
    await edge.core.update_settings(remote_unlock_enabled=True)
    await setup_entry(hass, entry)
    lock = entity_id(hass, "lock", "lock")
    assert current(hass, lock).attributes["code_format"] == r"^(\d{4,10})?$"

    for code in ({}, {ATTR_CODE: "1357"}):
        with pytest.raises(ServiceValidationError) as refused:
            await _call(hass, "lock", SERVICE_UNLOCK, lock, **code)
        assert refused.value.translation_key == "wrong_unlock_code"

    await _call(hass, "lock", SERVICE_UNLOCK, lock, code="2468")
    await eventually(lambda: current(hass, lock).state == "unlocked", "the unlock")
    await _call(hass, "lock", SERVICE_LOCK, lock)
    await eventually(lambda: current(hass, lock).state == "locked", "the lock")


async def test_jammed_bolt(hass: HomeAssistant, edge: EdgeApp) -> None:
    """L-67: a stuck bolt shows as jammed and raises the jammed alarm."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    alarms = fired(hass, "alarm")
    await sim_of(edge).mechanical_key("unlock")  # a thrown bolt has nowhere to stick
    await eventually(
        lambda: state_of(hass, "lock", "lock").state == "unlocked", "the unlocked bolt"
    )
    await sim_of(edge).jam()
    await _call(hass, "lock", SERVICE_LOCK, entity_id(hass, "lock", "lock"))
    await eventually(
        lambda: state_of(hass, "lock", "lock").state == "jammed", "the jammed bolt"
    )
    await eventually(lambda: bool(alarms), "the jammed alarm")
    assert alarms[0].attributes["event_type"] == "jammed"


async def test_settings_entities_write(hass: HomeAssistant, edge: EdgeApp) -> None:
    """Switches, the countdown delay and the door direction change the lock's settings."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    for key in ("lockout_protection", "countdown_lock_enabled", "away_mode"):
        switch = entity_id(hass, "switch", key)
        before = current(hass, switch).state
        service = SERVICE_TURN_OFF if before == STATE_ON else SERVICE_TURN_ON
        await _call(hass, "switch", service, switch)
        expected = before != STATE_ON
        assert getattr(edge.core.get_settings(), key) is expected
        assert current(hass, switch).state == (STATE_ON if expected else STATE_OFF)

    await _call(
        hass,
        "number",
        SERVICE_SET_VALUE,
        entity_id(hass, "number", "countdown_lock_seconds"),
        **{ATTR_VALUE: 45},
    )
    assert edge.core.get_settings().countdown_lock_seconds == 45
    assert state_of(hass, "number", "countdown_lock_seconds").state == "45"

    direction = entity_id(hass, "select", "door_direction")
    other = "left" if current(hass, direction).state == "right" else "right"
    await _call(
        hass, "select", SERVICE_SELECT_OPTION, direction, **{ATTR_OPTION: other}
    )
    assert current(hass, direction).state == other


async def test_door_tamper_power(hass: HomeAssistant, edge: EdgeApp) -> None:
    """L-02, L-05, L-08: door, tamper and emergency power from the hardware."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    sim = sim_of(edge)
    alarms = fired(hass, "alarm")

    await sim.door("open")
    await eventually(
        lambda: state_of(hass, "binary_sensor", "door").state == STATE_ON, "door open"
    )
    await sim.door("closed")
    await eventually(
        lambda: state_of(hass, "binary_sensor", "door").state == STATE_OFF,
        "door closed",
    )

    await sim.tamper()
    await eventually(
        lambda: state_of(hass, "binary_sensor", "tamper").state == STATE_ON, "tamper"
    )
    await eventually(lambda: bool(alarms), "the tamper alarm")
    assert alarms[0].attributes["event_type"] == "tamper"

    await sim.emergency_power(True)
    await eventually(
        lambda: state_of(hass, "sensor", "power_source").state == "emergency",
        "emergency power",
    )
    assert state_of(hass, "binary_sensor", "emergency_power").state == STATE_ON


async def test_low_battery_is_news_not_a_repair(
    hass: HomeAssistant, edge: EdgeApp, issue_registry: ir.IssueRegistry
) -> None:
    """L-62: a low battery fires the low_battery alarm and turns the sensor on.

    It raises no repair issue: nothing in Home Assistant can fix a battery
    (quality scale rule repair-issues), so it is an event to notify on.
    """
    entry = await paired_entry(hass, edge)
    er.async_get(hass).async_get_or_create(  # the owner enabled it
        "binary_sensor",
        DOMAIN,
        f"{edge.core.info.serial}-low_battery",
        config_entry=entry,
    )
    await setup_entry(hass, entry)
    alarms = fired(hass, "alarm")

    await sim_of(edge).battery(8)
    await eventually(lambda: bool(alarms), "the low battery alarm")
    assert alarms[0].attributes["event_type"] == "low_battery"
    await eventually(lambda: state_of(hass, "sensor", "battery").state == "8", "8 %")
    assert state_of(hass, "binary_sensor", "low_battery").state == STATE_ON
    assert not [
        issue
        for (domain, _), issue in issue_registry.issues.items()
        if domain == DOMAIN
    ]

    await sim_of(edge).battery(80)
    await eventually(lambda: state_of(hass, "sensor", "battery").state == "80", "80 %")
    assert state_of(hass, "binary_sensor", "low_battery").state == STATE_OFF


async def test_lock_offline(hass: HomeAssistant, edge: EdgeApp) -> None:
    """The MCU's cable is pulled: locking fails with a translated "offline" error."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    await sim_of(edge).unplug("mcu")
    with pytest.raises(HomeAssistantError) as offline:
        await _call(hass, "lock", SERVICE_LOCK, entity_id(hass, "lock", "lock"))
    assert offline.value.translation_key == "lock_offline"
    await sim_of(edge).replug("mcu")


async def test_door_opening_settings_need_an_admin(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Issue #11.7: remote unlock and lockout protection are an administrator's."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    user = MockUser(name="Housemate").add_to_hass(hass)
    user.mock_policy({"entities": True})  # may use every entity, but is no admin
    context = Context(user_id=user.id)
    for key in ("remote_unlock_enabled", "lockout_protection"):
        for service in (SERVICE_TURN_ON, SERVICE_TURN_OFF):
            with pytest.raises(Unauthorized):
                await hass.services.async_call(
                    "switch",
                    service,
                    {"entity_id": entity_id(hass, "switch", key)},
                    blocking=True,
                    context=context,
                )
    settings = edge.core.get_settings()
    assert (settings.remote_unlock_enabled, settings.lockout_protection) == (
        False,
        True,
    )
    # A setting that does not open the door is anyone's.
    await hass.services.async_call(
        "switch",
        SERVICE_TURN_ON,
        {"entity_id": entity_id(hass, "switch", "countdown_lock_enabled")},
        blocking=True,
        context=context,
    )
    assert edge.core.get_settings().countdown_lock_enabled
