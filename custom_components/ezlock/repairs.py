"""Repair flows: a changed certificate or a factory reset is fixed by pairing again."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.core import HomeAssistant


class RepairFlow(RepairsFlow):
    """Confirm, then start the entry's re-pairing (reauthentication) flow."""

    def __init__(self, entry_id: str) -> None:
        """Remember which lock needs pairing again."""
        self._entry_id = entry_id

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Explain what happened."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Start re-pairing once the person confirms."""
        if user_input is not None:
            if entry := self.hass.config_entries.async_get_entry(self._entry_id):
                entry.async_start_reauth(self.hass)
            return self.async_create_entry(data={})
        return self.async_show_form(step_id="confirm")


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Every fixable ezlock issue is fixed by pairing the lock again."""
    return RepairFlow(str((data or {}).get("entry_id")))
