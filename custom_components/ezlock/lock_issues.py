"""The repair issues of one lock: per-entry ids, raised with the lock's name.

A hardware link down for longer than ``LINK_GRACE`` is one (``link_down_<link>``), gone
by itself once the link is back; an edge of another API version says which side to
update; the coordinator raises the others (fingerprint changed, factory reset).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
import functools
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later

from .client import EzlockIncompatibleError, Link, LockState
from .const import DOMAIN, ISSUE_EDGE_OUTDATED, ISSUE_INTEGRATION_OUTDATED, link_issue

# A hardware link down for longer than this is a repair issue (a cable to check), not a
# blip: the edge driver reopens a vanished port within seconds.
LINK_GRACE: Final = 60.0


def issue_id(kind: str, entry_id: str) -> str:
    """Repair issues are per lock."""
    return f"{kind}_{entry_id}"


def versions(err: EzlockIncompatibleError) -> dict[str, str]:
    """Return the placeholders of an API version mismatch."""
    return {"edge_version": str(err.api_version), "supported": str(err.supported)}


@callback
def async_raise_issue(
    hass: HomeAssistant,
    entry: ConfigEntry,
    kind: str,
    severity: ir.IssueSeverity,
    *,
    fixable: bool,
    placeholders: dict[str, str] | None = None,
) -> None:
    """Tell the person to act; re-pairing issues are fixed by a repair flow."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(kind, entry.entry_id),
        is_fixable=fixable,
        severity=severity,
        translation_key=kind,
        translation_placeholders={"title": entry.title} | (placeholders or {}),
        data={"entry_id": entry.entry_id},
    )


@callback
def async_raise_incompatible(
    hass: HomeAssistant, entry: ConfigEntry, err: EzlockIncompatibleError
) -> None:
    """Say which side to update (repair-issues: the person must act outside HA)."""
    async_raise_issue(
        hass,
        entry,
        ISSUE_EDGE_OUTDATED if err.edge_outdated else ISSUE_INTEGRATION_OUTDATED,
        ir.IssueSeverity.ERROR,
        fixable=False,
        placeholders=versions(err),
    )


class LinkIssues:
    """A repair issue for each hardware link down over ``LINK_GRACE``."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """No link seen down yet."""
        self._hass = hass
        self._entry = entry
        # Links seen down: the timer until their repair issue, None once it is raised.
        self._down: dict[Link, CALLBACK_TYPE | None] = {}
        self._devices: Mapping[str, str] | None = None  # as last followed

    @callback
    def async_follow(self, state: LockState) -> None:
        """Raise a repair issue for a link down over a minute; delete it once back.

        Every state push comes here; one whose links are as last followed changes
        nothing (a bolt's report, say), so the issues are not looked up again.
        """
        if state.devices == self._devices:
            return
        self._devices = state.devices
        for link in Link:
            if state.connected(link):
                if cancel := self._down.pop(link, None):
                    cancel()
                ir.async_delete_issue(
                    self._hass,
                    DOMAIN,
                    issue_id(link_issue(link), self._entry.entry_id),
                )
            elif link not in self._down:
                self._down[link] = async_call_later(
                    self._hass, LINK_GRACE, functools.partial(self._link_down, link)
                )

    @callback
    def _link_down(self, link: Link, _now: datetime) -> None:
        self._down[link] = None
        async_raise_issue(
            self._hass,
            self._entry,
            link_issue(link),
            ir.IssueSeverity.ERROR if link is Link.MCU else ir.IssueSeverity.WARNING,
            fixable=False,
        )

    @callback
    def async_stop(self) -> None:
        """Stop the timers (the entry unloads); raised issues stay."""
        for cancel in self._down.values():
            if cancel is not None:
                cancel()
        self._down.clear()
