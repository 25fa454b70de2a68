"""The lock's biometric modules against its credentials, as repair issues.

A module that was set up on another host holds templates no credential of the lock
owns; a module emptied or swapped elsewhere lost templates the lock's credentials need
(the edge driver's template check: ``GET /templates``, the ``templates_mismatch`` event
at its start). Each is one repair issue per module, and both are fixable in Home
Assistant (repairs.py): delete the unknown templates at the module, or delete the
credentials whose template is gone. An issue goes away as soon as the lock reads clean:
the modules are read again at setup, after a reconnection, after a templates event and,
while an issue is open, after any change of credentials (an enrollment may adopt an
unknown template; a deleted credential needs its template no more).
"""

from __future__ import annotations

from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .client import (
    CredentialEvent,
    CredentialType,
    EzlockClient,
    EzlockError,
    LockEvent,
    ModuleTemplates,
    TemplatesDeletedEvent,
    TemplatesMismatchEvent,
)
from .const import (
    DOMAIN,
    ISSUE_MISSING_TEMPLATES,
    ISSUE_UNKNOWN_TEMPLATES,
    LOGGER,
    TEMPLATE_ISSUES,
)
from .rerun import Rerun

FIX: Final = "fix"
"""The issue data key that names what its fix flow does (repairs.py)."""


def people(module: ModuleTemplates) -> str:
    """Name whose credentials a module lost, as the issue and its fix flow say it."""
    names = sorted({c.user.name for c in module.missing if c.user is not None})
    return ", ".join(names)


class ModuleTemplateCheck:
    """Keeps one repair issue per module and problem in step with the lock."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, client: EzlockClient
    ) -> None:
        """Nothing is read before :meth:`async_refresh`."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._open: set[str] = set()  # issue ids raised and not deleted since
        self._read = Rerun(
            hass, entry, self.async_refresh, f"{DOMAIN} module templates"
        )

    async def async_refresh(self) -> None:
        """Read the modules now; raise or delete their issues. Never raises.

        A client without the admin role, or an edge driver from before the route,
        gets an API error: nothing is known, so nothing changes.
        """
        try:
            modules = await self._client.get_templates()
        except EzlockError as err:
            LOGGER.debug("Could not read the modules' templates: %s", err)
            return
        for module in modules:
            self.apply(module)

    async def async_read(self, kind: CredentialType) -> ModuleTemplates | None:
        """Read the modules now (their issues follow); return ``kind``'s if it answered."""
        modules = await self._client.get_templates()
        for module in modules:
            self.apply(module)
        return next(
            (m for m in modules if m.credential_type is kind and m.readable), None
        )

    @callback
    def apply(self, module: ModuleTemplates) -> None:
        """Raise or delete a module's issues after it was read."""
        if not module.readable:
            return  # the module did not answer: what was said stays said
        kind = module.credential_type
        title = self._entry.title
        self._set(
            ISSUE_UNKNOWN_TEMPLATES,
            kind,
            bool(module.unknown_slots),
            {"title": title, "slots": ", ".join(map(str, module.unknown_slots))},
        )
        self._set(
            ISSUE_MISSING_TEMPLATES,
            kind,
            bool(module.missing),
            {"title": title, "people": people(module)},
        )

    @callback
    def _set(
        self,
        problem: str,
        kind: CredentialType,
        present: bool,
        placeholders: dict[str, str],
    ) -> None:
        key = TEMPLATE_ISSUES[(problem, kind)]
        issue = f"{key}_{self._entry.entry_id}"
        if not present:
            self._open.discard(issue)
            ir.async_delete_issue(self._hass, DOMAIN, issue)
            return
        self._open.add(issue)
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue,
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=key,
            translation_placeholders=placeholders,
            data={
                "entry_id": self._entry.entry_id,
                FIX: problem,
                "credential_type": kind.value,
            },
        )

    @callback
    def on_event(self, event: LockEvent) -> None:
        """Read again after a templates event, or a credential change while one is open."""
        if isinstance(event, TemplatesMismatchEvent | TemplatesDeletedEvent) or (
            self._open
            and (isinstance(event, CredentialEvent) or event.type == "user_deleted")
        ):
            self._read.request()

    @callback
    def on_reconnected(self) -> None:
        """Read again: the edge driver may have restarted with other modules."""
        self._read.request()
