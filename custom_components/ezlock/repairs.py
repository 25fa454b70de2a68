"""Repair flows: pairing again, and the modules' templates against the credentials.

A changed certificate or a factory reset is fixed by pairing again. A module holding
templates no credential owns is fixed by deleting them at the module; a module that lost
credentials' templates by deleting those credentials (they open nothing until enrolled
again). Each fix is confirmed first, with what is read from the lock at that moment, and
only Home Assistant admins reach repair flows at all (the repairs views require one).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio as vol

from .client import (
    Credential,
    CredentialType,
    EzlockApiError,
    EzlockClient,
    EzlockError,
    ModuleTemplates,
)
from .const import ISSUE_MISSING_TEMPLATES, ISSUE_UNKNOWN_TEMPLATES
from .coordinator import EzlockCoordinator
from .module_templates import FIX, people

# Refusals of the lock a template fix flow names (each flow adds its own); any other is
# "refused".
_PIN_ERRORS = frozenset({"pin_required", "invalid_pin", "locked_out", "forbidden"})
CONF_PIN = "pin"
"""A lock admin's keypad password, asked when the lock requires one for remote changes."""
_PIN_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_PIN): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
    }
)


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


class _TemplatesFlow(RepairsFlow):
    """Read one module when the flow opens; the person confirms what was read."""

    _module: ModuleTemplates
    """The module as read when the flow opened: what the person confirms."""
    _errors: frozenset[str] = _PIN_ERRORS
    """The lock's refusals the form names."""

    def __init__(self, entry_id: str, kind: CredentialType) -> None:
        """Fix ``kind``'s module of the lock of ``entry_id``."""
        self._entry_id = entry_id
        self._kind = kind
        self._title = ""

    @abstractmethod
    def _wanted(self, module: ModuleTemplates) -> bool:
        """Return whether the module, as read, still has what this flow fixes."""

    @abstractmethod
    def _placeholders(self) -> dict[str, str]:
        """Return what the confirmation names, besides the lock's title."""

    @abstractmethod
    async def _fix(
        self, coordinator: EzlockCoordinator, client: EzlockClient
    ) -> RepairsFlowResult:
        """Do what the person confirmed with ``client``; return how the flow ends."""

    def _coordinator(self) -> EzlockCoordinator | None:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return None
        coordinator: EzlockCoordinator = entry.runtime_data
        self._title = entry.title
        return coordinator

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Read the module now: the confirmation shows what is there at this moment."""
        if (coordinator := self._coordinator()) is None:
            return self.async_abort(reason="not_loaded")
        try:
            module = await coordinator.templates.async_read(self._kind)
        except EzlockError:
            return self.async_abort(reason="cannot_connect")
        if module is None:
            return self.async_abort(reason="module_unavailable")
        if not self._wanted(module):
            return self.async_abort(reason="resolved")
        self._module = module
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Say what goes; do it once the person confirms (again after an error).

        A lock that requires an admin's PIN for remote changes (Matter's
        RequirePINforRemoteOperation) gets one typed here; it is sent, never kept.
        """
        if (coordinator := self._coordinator()) is None:
            return self.async_abort(reason="not_loaded")
        errors: dict[str, str] = {}
        if user_input is not None:
            client = coordinator.client.with_pin(user_input.get(CONF_PIN))
            try:
                return await self._fix(coordinator, client)
            except EzlockApiError as err:
                errors["base"] = err.code if err.code in self._errors else "refused"
            except EzlockError:
                errors["base"] = "cannot_connect"
        pin = coordinator.data.require_pin_for_remote or errors.get("base") in {
            "pin_required",
            "invalid_pin",
        }
        return self.async_show_form(
            step_id="confirm",
            data_schema=_PIN_SCHEMA if pin else vol.Schema({}),
            errors=errors,
            description_placeholders={"title": self._title} | self._placeholders(),
        )


class UnknownTemplatesFlow(_TemplatesFlow):
    """Delete the templates no credential owns from the module, once confirmed."""

    _errors = _PIN_ERRORS | {"enrollment_busy", "module_unavailable", "template_in_use"}

    def _wanted(self, module: ModuleTemplates) -> bool:
        return bool(module.unknown_slots)

    def _placeholders(self) -> dict[str, str]:
        return {"slots": ", ".join(map(str, self._module.unknown_slots))}

    async def _fix(
        self, coordinator: EzlockCoordinator, client: EzlockClient
    ) -> RepairsFlowResult:
        """Delete exactly the templates the person was shown."""
        module = await client.delete_templates(self._kind, self._module.unknown_slots)
        coordinator.templates.apply(module)
        return self.async_create_entry(data={})


class MissingTemplatesFlow(_TemplatesFlow):
    """Delete the credentials whose template the module lost, once confirmed."""

    def _wanted(self, module: ModuleTemplates) -> bool:
        return bool(module.missing)

    def _placeholders(self) -> dict[str, str]:
        return {"people": people(self._module)}

    async def _fix(
        self, coordinator: EzlockCoordinator, client: EzlockClient
    ) -> RepairsFlowResult:
        """Delete the credentials; the last admin's only one stays (L-27), and is named."""
        kept = [c for c in self._module.missing if not await _deleted(client, c)]
        await coordinator.templates.async_refresh()
        if kept:
            return self.async_abort(
                reason="last_admin",
                description_placeholders={
                    "name": ", ".join(c.user.name for c in kept if c.user is not None)
                },
            )
        return self.async_create_entry(data={})


async def _deleted(client: EzlockClient, credential: Credential) -> bool:
    """Delete a credential; False if the lock keeps it (the last admin's, L-27)."""
    try:
        await client.delete_credential(credential.id)
    except EzlockApiError as err:
        if err.code == "last_admin":
            return False
        if err.code != "credential_not_found":  # already gone is what was wanted
            raise
    return True


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Fix a module's templates as its issue says; any other issue by pairing again."""
    data = data or {}
    entry_id = str(data.get("entry_id"))
    fix = data.get(FIX)
    if fix == ISSUE_UNKNOWN_TEMPLATES:
        return UnknownTemplatesFlow(
            entry_id, CredentialType(str(data["credential_type"]))
        )
    if fix == ISSUE_MISSING_TEMPLATES:
        return MissingTemplatesFlow(
            entry_id, CredentialType(str(data["credential_type"]))
        )
    return RepairFlow(entry_id)
