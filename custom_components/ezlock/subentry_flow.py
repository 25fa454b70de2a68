"""What every access subentry flow shares: the lock, its client, its words, the PIN.

The person, visitor code and Bluetooth key flows (person_flow.py, visitor_flow.py)
build on ``AccessFlow``; ``form_errors`` turns a refusal of the lock into the form
error their dialogs show.
"""

from __future__ import annotations

import re
from typing import Any, Final, cast

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.core import callback
import probatio as vol

from .access_sync import AccessSync
from .client import PASSWORD_PATTERN, EzlockApiError, EzlockClient, EzlockError
from .coordinator import EzlockConfigEntry, EzlockCoordinator
from .forms import (
    FIELD_PASSWORD,
    FIELD_VALID_UNTIL,
    SECRET_SELECTOR,
    Words,
    async_load_words,
    async_user_language,
)

FIELD_PIN: Final = "pin"
PIN_SCHEMA: Final = vol.Schema({vol.Required(FIELD_PIN): SECRET_SELECTOR})

# Refusals of the lock that the forms show next to the field they concern.
_FIELD_ERRORS: Final = {
    "invalid_validity": FIELD_VALID_UNTIL,
    "duplicate_credential": FIELD_PASSWORD,
}


def form_errors(err: EzlockError, field: str = "base") -> dict[str, str]:
    """Map a refusal of the lock to a form error; L-25 names the broken rule."""
    if not isinstance(err, EzlockApiError):
        return {"base": "cannot_connect"}
    if err.code == "password_policy":
        rule = next(iter(err.fields.values()), "length")
        return {field: f"password_{rule}"}
    if err.code == "duplicate_credential":
        return {field: "password_taken"}
    if err.code in _FIELD_ERRORS:
        return {_FIELD_ERRORS[err.code]: err.code}
    known = {
        "last_admin",
        "capacity_full",
        "user_credential_limit",
        "enrollment_busy",
        "admin_required",
        "invalid_request",
        "user_not_found",
        "credential_not_found",
        "pin_required",
        "invalid_pin",
        "locked_out",
    }
    return {"base": err.code if err.code in known else "refused"}


class AccessFlow(ConfigSubentryFlow):
    """What the people and visitor flows share: the lock, its client, its words.

    A lock that requires an admin's PIN for remote changes (``require_pin_for_remote``)
    gets one asked first; every request of the flow then sends it (``X-Ezlock-PIN``),
    and the lock checks it (a wrong one counts towards its lockout, L-42).
    """

    _pin: str | None = None
    _after_pin: str = "user"
    _language: str | None = None

    @property
    def _coordinator(self) -> EzlockCoordinator:
        return cast("EzlockConfigEntry", self._get_entry()).runtime_data

    @property
    def _client(self) -> EzlockClient:
        return self._coordinator.client.with_pin(self._pin)

    def _pin_first(self, step: str) -> SubentryFlowResult | None:
        """Ask for the lock admin's PIN before ``step`` when the lock requires one."""
        if self._pin is not None or not self._coordinator.data.require_pin_for_remote:
            return None
        self._after_pin = step
        return self.async_show_form(step_id="pin", data_schema=PIN_SCHEMA)

    async def async_step_pin(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Take a lock admin's password (6-10 digits) as the PIN, then go on."""
        errors: dict[str, str] = {}
        if user_input is not None:
            pin = str(user_input[FIELD_PIN]).strip()
            if re.fullmatch(PASSWORD_PATTERN, pin):
                self._pin = pin
                step = getattr(self, f"async_step_{self._after_pin}")
                return cast("SubentryFlowResult", await step())
            errors[FIELD_PIN] = "pin_format"
        return self.async_show_form(
            step_id="pin", data_schema=PIN_SCHEMA, errors=errors
        )

    @property
    def _access(self) -> AccessSync:
        return self._coordinator.access

    def _words(self) -> Words:
        return Words(self.hass, self._language)

    async def _async_load_words(self) -> None:
        """Load the words in the language of the person in this dialog.

        A step run without their request (an enrollment's progress) keeps the one
        their last step found.
        """
        self._language = await async_load_words(
            self.hass, await async_user_language(self.hass) or self._language
        )

    def _holding(self) -> None:
        """Keep the sync from adding this flow's subentry before the flow does."""
        if not getattr(self, "_held", False):
            self._held = True
            self._access.begin_hold()

    def _not_holding(self) -> None:
        """Nothing was created after all: let the sync add what it finds."""
        if getattr(self, "_held", False):
            self._held = False
            self._access.end_hold()

    @callback
    def async_remove(self) -> None:
        """Let the sync catch up once the flow ended or its dialog was closed."""
        if getattr(self, "_held", False):
            self._held = False
            self._access.end_hold()
