"""Issue #11.2: the lock's own "require a PIN" (require_pin_for_remote) from Home Assistant.

When the lock requires an admin's PIN for remote operations, the lock entity asks for a
code (its ``code_format``) and sends it to the lock as ``X-Ezlock-PIN``; the lock checks
it (wrong ones count towards its lockout, L-42), not the integration. A missing or wrong
code is a translated error; locking needs none. The setting itself is switched by an
admin-only action that carries the PIN switching it off needs. Against the real edge
driver.
"""

from __future__ import annotations

from homeassistant.const import ATTR_CODE, ATTR_ENTITY_ID, SERVICE_LOCK, SERVICE_UNLOCK
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.ezlock.const import CONF_CODE_HASH, CONF_CODE_SALT, DOMAIN
from custom_components.ezlock.lock import PIN_FORMAT
from custom_components.ezlock.unlock_code import hash_code, new_salt
from ezlock_edge.app import EdgeApp
from ezlock_edge.core.models import VisitorKind
from tests.support.lock import ADMIN_PASSWORD
from tests.support.waiting import eventually

from .common import current, entity_id, paired_entry, setup_entry

WRONG = "135792"


async def _lock_service(
    hass: HomeAssistant, service: str, lock: str, **data: str
) -> None:
    await hass.services.async_call(
        "lock", service, {ATTR_ENTITY_ID: lock, **data}, blocking=True
    )


async def test_the_code_is_the_locks_pin_when_the_lock_requires_one(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """The options' own code gives way to the lock's PIN, and back when it is off."""
    entry = await paired_entry(hass, edge)
    salt = new_salt()
    hass.config_entries.async_update_entry(
        entry, options={CONF_CODE_HASH: hash_code("2468", salt), CONF_CODE_SALT: salt}
    )
    await edge.core.update_settings(remote_unlock_enabled=True)
    await setup_entry(hass, entry)
    lock = entity_id(hass, "lock", "lock")
    assert current(hass, lock).attributes["code_format"] == r"^(\d{4,10})?$"

    await edge.core.update_settings(require_pin_for_remote=True)
    await eventually(
        lambda: current(hass, lock).attributes.get("code_format") == PIN_FORMAT,
        "the lock's PIN asked for",
    )
    for data, reason in (({}, "pin_required"), ({ATTR_CODE: WRONG}, "invalid_pin")):
        with pytest.raises(HomeAssistantError) as refused:
            await _lock_service(hass, SERVICE_UNLOCK, lock, **data)
        assert refused.value.translation_key == reason
    # The options' own code is not asked for, and too short for a lock admin's PIN.
    with pytest.raises(ServiceValidationError) as malformed:
        await _lock_service(hass, SERVICE_UNLOCK, lock, code="2468")
    assert malformed.value.translation_key == "add_default_code"
    assert current(hass, lock).state == "locked"
    failed = [
        e
        for e in edge.core.events.query(since=0, limit=1000)
        if e.type == "unlock_failed"
    ]
    assert [e.data.get("reason") for e in failed][-1] == "wrong_pin"

    await _lock_service(hass, SERVICE_UNLOCK, lock, code=ADMIN_PASSWORD)
    await eventually(lambda: current(hass, lock).state == "unlocked", "the unlock")
    await _lock_service(hass, SERVICE_LOCK, lock)  # locking needs no PIN
    await eventually(lambda: current(hass, lock).state == "locked", "the lock")

    await edge.core.update_settings(require_pin_for_remote=False)
    await eventually(
        lambda: current(hass, lock).attributes.get("code_format") == r"^(\d{4,10})?$",
        "the options' code asked for again",
    )
    with pytest.raises(ServiceValidationError) as wrong:
        await _lock_service(hass, SERVICE_UNLOCK, lock, code=ADMIN_PASSWORD)
    assert wrong.value.translation_key == "wrong_unlock_code"


async def test_actions_carry_the_pin_and_settings_entities_are_refused(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Every action that changes the lock takes an optional ``pin``; an entity cannot.

    The lock asks its PIN for every admin change: an action without one is refused
    with the translated ``pin_required`` and changes nothing, with a lock admin's
    password it goes through. A switch has no way to ask for a code: refused too.
    """
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    await edge.core.update_settings(require_pin_for_remote=True)
    lock = entity_id(hass, "lock", "lock")
    await eventually(
        lambda: current(hass, lock).attributes.get("code_format") == PIN_FORMAT,
        "the lock requires its PIN",
    )
    guest = {"name": "Guest", "valid_until": "2099-01-01T00:00:00+00:00"}
    for data, reason in (({}, "pin_required"), ({"pin": WRONG}, "invalid_pin")):
        with pytest.raises(HomeAssistantError) as refused:
            await hass.services.async_call(
                DOMAIN,
                "create_temporary_password",
                {ATTR_ENTITY_ID: lock, **guest, **data},
                blocking=True,
                return_response=True,
            )
        assert refused.value.translation_key == reason
    assert await edge.core.list_visitors(VisitorKind.TEMPORARY_PASSWORD) == []
    with pytest.raises(vol.Invalid):  # a PIN is a password's 6-10 digits
        await hass.services.async_call(
            DOMAIN,
            "clear_lockout",
            {ATTR_ENTITY_ID: lock, "pin": "12ab"},
            blocking=True,
        )

    created = await hass.services.async_call(
        DOMAIN,
        "create_temporary_password",
        {ATTR_ENTITY_ID: lock, **guest, "pin": ADMIN_PASSWORD},
        blocking=True,
        return_response=True,
    )
    assert created is not None
    visitors = await edge.core.list_visitors(VisitorKind.TEMPORARY_PASSWORD)
    assert [visitor.name for visitor in visitors] == ["Guest"]
    await hass.services.async_call(
        DOMAIN,
        "set_countdown_lock",
        {ATTR_ENTITY_ID: lock, "enabled": True, "pin": ADMIN_PASSWORD},
        blocking=True,
    )
    assert edge.core.get_settings().countdown_lock_enabled

    with pytest.raises(HomeAssistantError) as refused:
        await hass.services.async_call(
            "switch",
            "turn_on",
            {ATTR_ENTITY_ID: entity_id(hass, "switch", "away_mode")},
            blocking=True,
        )
    assert refused.value.translation_key == "pin_required"
    assert not edge.core.get_settings().away_mode


async def test_an_admin_action_switches_the_remote_pin_on_and_off(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """``set_remote_pin_required``: on, off only with a lock admin's PIN, admins only.

    A switch could not carry the PIN that switching it off needs, so it is an action.
    Off without the PIN or with a wrong one is refused, translated, and counted by the
    lock (L-42); a Home Assistant user who is no admin is refused either way.
    """
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    lock = entity_id(hass, "lock", "lock")

    async def switch(
        context: Context | None = None, *, enabled: bool, pin: str | None = None
    ) -> None:
        data = {"enabled": enabled} | ({} if pin is None else {"pin": pin})
        await hass.services.async_call(
            DOMAIN,
            "set_remote_pin_required",
            {ATTR_ENTITY_ID: lock, **data},
            blocking=True,
            context=context,
        )

    housemate = MockUser(name="Housemate").add_to_hass(hass)
    housemate.mock_policy({"entities": True})
    with pytest.raises(Unauthorized):
        await switch(Context(user_id=housemate.id), enabled=True)
    assert not edge.core.get_settings().require_pin_for_remote

    await switch(enabled=True)
    assert edge.core.get_settings().require_pin_for_remote
    await eventually(
        lambda: current(hass, lock).attributes.get("code_format") == PIN_FORMAT,
        "the lock entity asking for the lock's PIN",
    )
    since = edge.core.events.last_seq
    for pin, reason in ((None, "pin_required"), (WRONG, "invalid_pin")):
        with pytest.raises(HomeAssistantError) as refused:
            await switch(enabled=False, pin=pin)
        assert refused.value.translation_key == reason
        assert refused.value.translation_domain == DOMAIN
        assert "PIN of a lock administrator" in str(refused.value) or (
            "administrator's PIN" in str(refused.value)
        )  # the translated message, not its key
        assert edge.core.get_settings().require_pin_for_remote
    with pytest.raises(Unauthorized):
        await switch(Context(user_id=housemate.id), enabled=False, pin=ADMIN_PASSWORD)
    failed = [
        e.type for e in edge.core.events.query(since=since) if e.type.endswith("failed")
    ]
    assert failed == ["remote_pin_failed"]  # the wrong PIN, counted by the lock

    await switch(enabled=False, pin=ADMIN_PASSWORD)
    assert not edge.core.get_settings().require_pin_for_remote
    await eventually(
        lambda: current(hass, lock).attributes.get("code_format") != PIN_FORMAT,
        "the lock entity no longer asking for the lock's PIN",
    )
