"""A row deleted on the integration page while the lock cannot be reached (issue #14).

The deletion cannot reach the lock: one warning, no repair (the lock refused nothing),
and the rows stay as they are until the lock answers again. Changes of other entries
are not the lock's business.
"""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ezlock.access_sync import SUBENTRY_PERSON
from custom_components.ezlock.const import DOMAIN, ISSUE_DELETE_REFUSED
from ezlock_edge.app import EdgeApp
from tests.support.waiting import eventually

from .common import paired_entry, setup_entry


async def test_a_row_deleted_while_the_lock_is_unreachable(
    hass: HomeAssistant, edge: EdgeApp, caplog: pytest.LogCaptureFixture
) -> None:
    """The delete fails as a connection failure: logged once, no repair issue."""
    entry = await paired_entry(hass, edge)
    await setup_entry(hass, entry)
    bob = await edge.core.create_user("Bob")
    await eventually(
        lambda: any(
            s.title == "Bob" and s.subentry_type == SUBENTRY_PERSON
            for s in entry.subentries.values()
        ),
        "Bob's row",
    )
    other = MockConfigEntry(domain="other_domain", title="Other")
    other.add_to_hass(hass)
    hass.config_entries.async_update_entry(other, title="Other, renamed")

    [row] = [s for s in entry.subentries.values() if s.title == "Bob"]
    await edge.stop()
    hass.config_entries.async_remove_subentry(entry, row.subentry_id)
    await eventually(
        lambda: any(
            "Could not delete Bob at the lock" in r.getMessage()
            and r.levelno == logging.WARNING
            for r in caplog.records
        ),
        "the warning",
    )
    await hass.async_block_till_done()
    issue = f"{ISSUE_DELETE_REFUSED}_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue) is None
    assert bob.number in entry.runtime_data.access.users  # not refreshed: unreachable
