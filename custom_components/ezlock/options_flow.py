"""The lock's options: who can open the door at a glance, and the optional unlock code.

A menu: ``overview`` (read only, a menu itself whose one choice leads back: every person,
visitor code and Bluetooth key, read from the lock now) and ``unlock_code`` (whether Home Assistant asks for a code before
unlocking; only a salted hash of it is kept).
"""

from __future__ import annotations

import re
from typing import Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_CODE
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio as vol

from .client import EzlockError
from .const import CONF_CODE_HASH, CONF_CODE_SALT, CONF_REQUIRE_CODE
from .coordinator import EzlockConfigEntry
from .forms import Words, async_load_words, async_user_language
from .unlock_code import CODE_PATTERN, hash_code, new_salt

# The lock's window lasts 3 minutes; give the person a little longer to reach the panel.


class EzlockOptionsFlow(OptionsFlowWithReload):
    """Who can open the door at a glance; whether Home Assistant asks for a code."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the overview of who can open the door, or the unlock code."""
        return self.async_show_menu(
            step_id="init",
            menu_options=["overview", "unlock_code"],
        )

    async def async_step_overview(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show every person, visitor code and Bluetooth key of the lock on one screen.

        Read from the lock now; each row of the integration page manages one of them.
        Read only, so a menu (as Home Assistant shows information) with no Submit: its
        one choice leads back to the options.
        """
        entry: EzlockConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        access = entry.runtime_data.access
        try:
            await access.async_refresh()
        except EzlockError:
            return self.async_abort(reason="cannot_connect")
        language = await async_load_words(
            self.hass, await async_user_language(self.hass)
        )
        words = Words(self.hass, language)
        return self.async_show_menu(
            step_id="overview",
            menu_options=["init"],
            description_placeholders={
                "people": words.people_table(access.users.values()),
                "visitors": words.visitors_table(access.visitors.values()),
            },
        )

    async def async_step_unlock_code(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Keep only a salted hash of the code."""
        errors: dict[str, str] = {}
        options = self.config_entry.options
        if user_input is not None:
            code: str = user_input.get(CONF_CODE, "")
            if not user_input[CONF_REQUIRE_CODE]:
                return self.async_create_entry(data={})
            if code and not re.fullmatch(CODE_PATTERN, code):
                errors[CONF_CODE] = "invalid_code_format"
            elif code:
                salt = new_salt()
                hashed = await self.hass.async_add_executor_job(hash_code, code, salt)
                return self.async_create_entry(
                    data={CONF_CODE_HASH: hashed, CONF_CODE_SALT: salt}
                )
            elif CONF_CODE_HASH in options:
                return self.async_create_entry(data=dict(options))
            else:
                errors[CONF_CODE] = "code_required"
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_REQUIRE_CODE, default=CONF_CODE_HASH in options
                ): cv.boolean,
                vol.Optional(CONF_CODE): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
            }
        )
        return self.async_show_form(
            step_id="unlock_code", data_schema=schema, errors=errors
        )
