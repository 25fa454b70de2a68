"""A person's subentry flow: add one, or manage one from their row's menu.

The menu: details (name, role, validity, weekly schedule), password, enroll a finger /
face / palm (enrollment_flow.py), credentials (remove, duress), delete. A password is
only ever sent, never shown or kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.config_entries import SubentryFlowResult
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import probatio as vol

from .access_sync import person_unique_id
from .client import EzlockError, Role, User
from .enrollment_flow import EnrollmentSteps
from .forms import (
    DATETIME_SELECTOR,
    FIELD_ACTION,
    FIELD_CREDENTIAL,
    FIELD_NAME,
    FIELD_PASSWORD,
    FIELD_ROLE,
    FIELD_SCHEDULE,
    FIELD_VALID_FROM,
    FIELD_VALID_UNTIL,
    NAME_SELECTOR,
    ROLE_SELECTOR,
    SECRET_SELECTOR,
    ScheduleError,
    Words,
    schedule_from_form,
    schedule_selector,
    schedule_to_form,
    time_from_form,
    time_to_form,
)
from .subentry_flow import form_errors

FIELD_REPEAT: Final = "password_repeat"


def _person_schema(words: Words) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(FIELD_NAME): NAME_SELECTOR,
            vol.Required(FIELD_ROLE, default=Role.USER.value): ROLE_SELECTOR,
            vol.Optional(FIELD_VALID_FROM): DATETIME_SELECTOR,
            vol.Optional(FIELD_VALID_UNTIL): DATETIME_SELECTOR,
            vol.Optional(FIELD_SCHEDULE): schedule_selector(words),
        }
    )


PASSWORD_SCHEMA: Final = vol.Schema(
    {
        vol.Required(FIELD_PASSWORD): SECRET_SELECTOR,
        vol.Required(FIELD_REPEAT): SECRET_SELECTOR,
    }
)
ACTIONS: Final = ("remove", "mark_duress", "unmark_duress")


class PersonFlow(EnrollmentSteps):
    """Add a person, or manage one: details, password, enrollment, credentials."""

    def __init__(self) -> None:
        """Nothing is known before the first step."""
        super().__init__()
        self._number = 0

    @property
    def _user(self) -> User:
        return self._access.users[self._number]

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Name, role, optional validity and weekly schedule of a new person."""
        if (ask := self._pin_first("user")) is not None:
            return ask
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                fields = _person_fields(user_input)
            except ScheduleError:
                errors[FIELD_SCHEDULE] = "schedule_window"
            else:
                self._holding()
                try:
                    user = await self._client.add_user(**fields)
                    await self._access.async_refresh()
                except EzlockError as err:
                    self._not_holding()
                    errors = form_errors(err)
                else:
                    self._number = user.number
                    return await self.async_step_person()
        await self._async_load_words()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _person_schema(self._words()), user_input or {}
            ),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Open a person's menu."""
        if (ask := self._pin_first("reconfigure")) is not None:
            return ask
        self._number = int(self._get_reconfigure_subentry().data["number"])
        try:
            await self._access.async_refresh()
        except EzlockError:
            return self.async_abort(reason="cannot_connect")
        if self._number not in self._access.users:
            return self.async_abort(reason="person_gone")
        return await self.async_step_person()

    async def async_step_person(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show the person's menu, with who they are and what opens for them."""
        await self._async_load_words()
        options = ["details", "password", "enroll", "credentials"]
        if self.source != "user":
            options.append("delete")
        options.append("done")
        return self.async_show_menu(
            step_id="person",
            menu_options=options,
            description_placeholders={
                "name": self._user.name,
                "summary": self._words().person(self._user),
            },
        )

    async def async_step_done(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Finish: a new person's row appears; a managed one's name is updated."""
        user = self._user
        if self.source == "user":
            return self.async_create_entry(
                title=user.name,
                data={"number": user.number},
                unique_id=person_unique_id(user.number),
            )
        return self.async_update_and_abort(
            self._get_entry(), self._get_reconfigure_subentry(), title=user.name
        )

    async def async_step_details(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Rename, change the role (the last admin stays, L-27), validity, schedule."""
        errors: dict[str, str] = {}
        user = self._user
        if user_input is not None:
            try:
                fields = _person_fields(user_input)
            except ScheduleError:
                errors[FIELD_SCHEDULE] = "schedule_window"
            else:
                try:
                    await self._client.update_user(user.number, **fields)
                    await self._access.async_refresh()
                except EzlockError as err:
                    errors = form_errors(err)
                else:
                    return await self.async_step_person()
        current = {
            FIELD_NAME: user.name,
            FIELD_ROLE: user.role.value,
            FIELD_VALID_FROM: time_to_form(user.valid_from),
            FIELD_VALID_UNTIL: time_to_form(user.valid_until),
            FIELD_SCHEDULE: schedule_to_form(user.schedule),
        }
        await self._async_load_words()
        return self.async_show_form(
            step_id="details",
            data_schema=self.add_suggested_values_to_schema(
                _person_schema(self._words()), user_input or current
            ),
            errors=errors,
            description_placeholders={"name": user.name},
        )

    async def async_step_password(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Set or replace the password (L-25); it is sent, never shown again."""
        errors: dict[str, str] = {}
        if user_input is not None:
            password = str(user_input[FIELD_PASSWORD]).strip()
            if password != str(user_input[FIELD_REPEAT]).strip():
                errors[FIELD_REPEAT] = "password_mismatch"
            else:
                try:
                    await self._client.set_password(self._number, password)
                    await self._access.async_refresh()
                except EzlockError as err:
                    errors = form_errors(err, FIELD_PASSWORD)
                else:
                    return await self.async_step_person()
        return self.async_show_form(
            step_id="password",
            data_schema=PASSWORD_SCHEMA,
            errors=errors,
            description_placeholders={"name": self._user.name},
        )

    # credentials

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Remove a credential, or mark / unmark it as the duress one (L-29)."""
        errors: dict[str, str] = {}
        user = self._user
        if not user.credentials:
            return await self._async_back_with("no_credentials")
        if user_input is not None:
            credential_id, action = (
                user_input[FIELD_CREDENTIAL],
                user_input[FIELD_ACTION],
            )
            try:
                if action == "remove":
                    await self._client.delete_credential(credential_id)
                else:
                    await self._client.update_credential(
                        credential_id, duress=action == "mark_duress"
                    )
                await self._access.async_refresh()
            except EzlockError as err:
                errors = form_errors(err)
            else:
                return await self.async_step_person()
        await self._async_load_words()
        words = self._words()

        choices = [
            SelectOptionDict(
                value=credential.id,
                label=words.option("credential_type", credential.type.value)
                + (f" #{credential.slot}" if credential.slot is not None else "")
                + (
                    f" ({words.option('summary', 'duress')})"
                    if credential.duress
                    else ""
                ),
            )
            for credential in user.credentials
        ]
        schema = vol.Schema(
            {
                vol.Required(FIELD_CREDENTIAL): SelectSelector(
                    SelectSelectorConfig(options=choices, mode=SelectSelectorMode.LIST)
                ),
                vol.Required(FIELD_ACTION, default="remove"): SelectSelector(
                    SelectSelectorConfig(
                        options=list(ACTIONS),
                        translation_key="credential_action",
                        mode=SelectSelectorMode.LIST,
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="credentials",
            data_schema=schema,
            errors=errors,
            description_placeholders={"name": user.name},
        )

    async def _async_back_with(self, reason: str) -> SubentryFlowResult:
        """Say there is nothing to manage here, and offer the menu again."""
        await self._async_load_words()
        return self.async_show_form(
            step_id="nothing",
            description_placeholders={
                "name": self._user.name,
                "reason": self._words().option("summary", reason),
            },
        )

    async def async_step_nothing(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Back to the menu."""
        return await self.async_step_person()

    async def async_step_delete(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Delete the person, their credentials and templates (not the last admin)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                await self._client.delete_user(self._number)
            except EzlockError as err:
                errors = form_errors(err)
            else:
                subentry = self._get_reconfigure_subentry()
                self._access.forget(subentry.subentry_id)
                self.hass.config_entries.async_remove_subentry(
                    self._get_entry(), subentry.subentry_id
                )
                return self.async_abort(reason="person_deleted")
        return self.async_show_form(
            step_id="delete",
            errors=errors,
            description_placeholders={"name": self._user.name},
        )


def _person_fields(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Turn the person form into the client's arguments; absent bounds clear."""
    return {
        "name": str(user_input[FIELD_NAME]).strip(),
        "role": Role(user_input[FIELD_ROLE]),
        "valid_from": time_from_form(user_input.get(FIELD_VALID_FROM)),
        "valid_until": time_from_form(user_input.get(FIELD_VALID_UNTIL)),
        "schedule": schedule_from_form(user_input.get(FIELD_SCHEDULE)),
    }
