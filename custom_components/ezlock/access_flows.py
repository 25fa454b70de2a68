"""Managing who can open the door from the integration page, in Home Assistant's own UI.

Each person and each visitor code or Bluetooth key is a config subentry of the lock:
"Add person" / "Add visitor code" create one, the row's reconfigure opens its menu
(details, password, enroll a finger / face / palm with live progress, credentials,
delete), and the row's delete removes it at the lock (access_sync.py). Home Assistant
lets only administrators open these flows. Secrets never reach the subentry: a visitor
code is shown once, in the flow, and a password is only ever sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
from datetime import timedelta
import re
from typing import Any, Final, cast

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.util import dt as dt_util
import probatio as vol

from .access_sync import (
    SUBENTRY_BLUETOOTH_KEY,
    SUBENTRY_PERSON,
    SUBENTRY_VISITOR_CODE,
    AccessSync,
    person_unique_id,
)
from .client import (
    PASSWORD_PATTERN,
    CredentialType,
    EnrollmentEvent,
    EzlockApiError,
    EzlockClient,
    EzlockError,
    LockEvent,
    Role,
    User,
    VisitorCredential,
    VisitorKind,
)
from .coordinator import EzlockConfigEntry, EzlockCoordinator
from .forms import (
    BIOMETRIC_SELECTOR,
    CODE_SELECTOR,
    DATETIME_SELECTOR,
    FIELD_ACTION,
    FIELD_CODE,
    FIELD_CREDENTIAL,
    FIELD_MAX_USES,
    FIELD_NAME,
    FIELD_PASSWORD,
    FIELD_ROLE,
    FIELD_SCHEDULE,
    FIELD_TYPE,
    FIELD_USES,
    FIELD_VALID_FROM,
    FIELD_VALID_UNTIL,
    MAX_USES_SELECTOR,
    NAME_SELECTOR,
    ROLE_SELECTOR,
    SECRET_SELECTOR,
    USES_COUNT,
    USES_ONE,
    USES_SELECTOR,
    USES_UNLIMITED,
    ScheduleError,
    Words,
    async_load_words,
    async_user_language,
    grouped,
    schedule_from_form,
    schedule_selector,
    schedule_to_form,
    time_from_form,
    time_to_form,
)

FIELD_REPEAT: Final = "password_repeat"
FIELD_PIN: Final = "pin"
# Longer than any enrollment the lock runs (it times out each capture by itself).
ENROLLMENT_WAIT: Final = 300.0
FIRST_PROMPT_WAIT: Final = 5.0


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
ENROLL_SCHEMA: Final = vol.Schema(
    {
        vol.Required(
            FIELD_TYPE, default=CredentialType.FINGERPRINT.value
        ): BIOMETRIC_SELECTOR
    }
)
ACTIONS: Final = ("remove", "mark_duress", "unmark_duress")
PIN_SCHEMA: Final = vol.Schema({vol.Required(FIELD_PIN): SECRET_SELECTOR})

# Refusals of the lock that the forms show next to the field they concern.
_FIELD_ERRORS: Final = {
    "invalid_validity": FIELD_VALID_UNTIL,
    "duplicate_credential": FIELD_PASSWORD,
}


def _errors(err: EzlockError, field: str = "base") -> dict[str, str]:
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


class _AccessFlow(ConfigSubentryFlow):
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


class PersonFlow(_AccessFlow):
    """Add a person, or manage one: details, password, enrollment, credentials."""

    def __init__(self) -> None:
        """Nothing is known before the first step."""
        self._number = 0
        self._enrollment_id: str | None = None
        self._enroll_task: asyncio.Task[None] | None = None
        self._outcome: EnrollmentEvent | None = None
        self._progress: EnrollmentEvent | None = None
        self._early: list[EnrollmentEvent] = []  # arrived before the start's reply
        self._steps = 0
        self._heard = asyncio.Event()  # the lock said what it asks first
        self._unlisten: Any = None

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
                    errors = _errors(err)
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
                    errors = _errors(err)
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
                    errors = _errors(err, FIELD_PASSWORD)
                else:
                    return await self.async_step_person()
        return self.async_show_form(
            step_id="password",
            data_schema=PASSWORD_SCHEMA,
            errors=errors,
            description_placeholders={"name": self._user.name},
        )

    # enrollment with live progress

    async def async_step_enroll(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose finger, face or palm; the person then presents it at the lock."""
        errors: dict[str, str] = {}
        if user_input is not None:
            kind = CredentialType(user_input[FIELD_TYPE])
            self._outcome = self._progress = None
            self._early = []
            self._heard.clear()
            done: asyncio.Future[None] = self.hass.loop.create_future()
            self._unlisten = self._coordinator.async_add_event_listener(
                lambda event: self._on_event(event, done)
            )
            try:
                enrollment = await self._client.start_enrollment(self._number, kind)
            except EzlockError as err:
                self._stop_listening()
                errors = _errors(err)
            else:
                self._enrollment_id = enrollment.enrollment_id
                self._steps = enrollment.steps
                self._enroll_task = self.hass.async_create_task(
                    self._async_wait(done), eager_start=False
                )
                early, self._early = self._early, []
                for event in early:
                    self._on_event(event, done)
                # The dialog's first view already says what the lock asks: its
                # ``started`` event follows the reply within moments.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(FIRST_PROMPT_WAIT):
                        await self._heard.wait()
                return await self.async_step_enrolling()
        return self.async_show_form(
            step_id="enroll",
            data_schema=ENROLL_SCHEMA,
            errors=errors,
            description_placeholders={"name": self._user.name},
        )

    async def _async_wait(self, done: asyncio.Future[None]) -> None:
        try:
            async with asyncio.timeout(ENROLLMENT_WAIT):
                await done
        except TimeoutError:
            return

    @callback
    def _on_event(self, event: LockEvent, done: asyncio.Future[None]) -> None:
        """Follow the lock's enrollment events: show the prompt, end on the outcome."""
        if not isinstance(event, EnrollmentEvent):
            return
        if self._enrollment_id is None:
            self._early.append(event)  # the WebSocket can beat the REST reply
            return
        if event.enrollment_id != self._enrollment_id:
            return
        if event.status.finished:
            self._outcome = event
            self._stop_listening()
            if not done.done():
                done.set_result(None)
            return
        self._progress = event
        self._heard.set()
        self.async_update_progress(event.step / max(event.steps, 1))
        self.async_notify_flow_changed()

    def _stop_listening(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None

    async def async_step_enrolling(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Say what the lock asks now (present the finger again, turn left ...)."""
        task = self._enroll_task
        if task is not None and not task.done():
            await self._async_load_words()
            progress = self._progress
            prompt = progress.prompt if progress is not None else None
            return self.async_show_progress(
                step_id="enrolling",
                progress_action="enroll",
                progress_task=task,
                description_placeholders={
                    "name": self._user.name,
                    "prompt": self._words().option(
                        "enrollment_prompt", prompt or "present"
                    ),
                    "step": str(progress.step if progress else 0),
                    "steps": str(progress.steps if progress else self._steps),
                },
            )
        self._enroll_task = None
        return self.async_show_progress_done(next_step_id="enrolled")

    async def async_step_enrolled(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Say how it ended: done, duplicate finger (L-24), limit (L-23), timed out."""
        if user_input is not None:
            return await self.async_step_person()
        outcome = self._outcome
        result = "lost"
        if outcome is not None:
            result = outcome.status.value
            if outcome.reason in {
                "duplicate",
                "capacity_full",
                "user_credential_limit",
            }:
                result = outcome.reason
        self._enrollment_id = None
        with contextlib.suppress(EzlockError):
            await self._access.async_refresh()
        await self._async_load_words()
        return self.async_show_form(
            step_id="enrolled",
            description_placeholders={
                "name": self._user.name,
                "result": self._words().option("enrollment_result", result),
            },
        )

    @callback
    def async_remove(self) -> None:
        """Cancel a running enrollment at the lock when the dialog is closed."""
        super().async_remove()
        self._stop_listening()
        enrollment_id, self._enrollment_id = self._enrollment_id, None
        if self._enroll_task is not None and not self._enroll_task.done():
            self._enroll_task.cancel()
            if enrollment_id is not None:
                self.hass.async_create_task(self._async_cancel(enrollment_id))

    async def _async_cancel(self, enrollment_id: str) -> None:
        try:
            await self._client.cancel_enrollment(enrollment_id)
        except EzlockError:
            return  # it ended by itself meanwhile

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
                errors = _errors(err)
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
                errors = _errors(err)
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


class VisitorFlow(_AccessFlow):
    """Give a visitor a code (or a Bluetooth key), shown once; revoke it later."""

    kind: VisitorKind = VisitorKind.TEMPORARY_PASSWORD
    subentry_type: str = SUBENTRY_VISITOR_CODE

    def __init__(self) -> None:
        """Nothing is created before the first step."""
        self._created: VisitorCredential | None = None

    def _schema(self) -> vol.Schema:
        fields: dict[Any, Any] = {
            vol.Required(FIELD_NAME): NAME_SELECTOR,
            vol.Required(FIELD_VALID_FROM): DATETIME_SELECTOR,
            vol.Required(FIELD_VALID_UNTIL): DATETIME_SELECTOR,
            vol.Optional(FIELD_SCHEDULE): schedule_selector(self._words()),
        }
        if self.kind.counts_uses:
            fields[vol.Required(FIELD_USES, default=USES_ONE)] = USES_SELECTOR
            fields[vol.Optional(FIELD_MAX_USES)] = MAX_USES_SELECTOR
            fields[vol.Optional(FIELD_CODE)] = CODE_SELECTOR
        return vol.Schema(fields)

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Name, from, until, weekly schedule, uses (one unless chosen), the code."""
        if (ask := self._pin_first("user")) is not None:
            return ask
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                fields = self._fields(user_input)
            except ScheduleError:
                errors[FIELD_SCHEDULE] = "schedule_window"
            except _MissingUsesError:
                errors[FIELD_MAX_USES] = "uses_required"
            else:
                self._holding()
                try:
                    self._created = await self._client.create_visitor(
                        self.kind, **fields
                    )
                    await self._access.async_refresh()
                except EzlockError as err:
                    self._not_holding()
                    errors = _errors(err, FIELD_CODE)
                else:
                    return await self.async_step_secret()
        await self._async_load_words()
        now = dt_util.now().replace(second=0, microsecond=0)
        suggested = user_input or {
            FIELD_VALID_FROM: time_to_form(now),
            FIELD_VALID_UNTIL: time_to_form(now + timedelta(days=1)),
        }
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(self._schema(), suggested),
            errors=errors,
        )

    def _fields(self, user_input: Mapping[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "name": str(user_input[FIELD_NAME]).strip(),
            "valid_from": time_from_form(user_input[FIELD_VALID_FROM]),
            "valid_until": time_from_form(user_input[FIELD_VALID_UNTIL]),
            "schedule": schedule_from_form(user_input.get(FIELD_SCHEDULE)),
        }
        if self.kind.counts_uses:
            uses = user_input.get(FIELD_USES, USES_ONE)
            if uses == USES_UNLIMITED:
                fields["max_uses"] = None
            elif uses == USES_COUNT:
                if user_input.get(FIELD_MAX_USES) is None:
                    raise _MissingUsesError
                fields["max_uses"] = int(user_input[FIELD_MAX_USES])
            else:
                fields["max_uses"] = 1
            if code := str(user_input.get(FIELD_CODE) or "").strip():
                fields["code"] = code
        return fields

    async def async_step_secret(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show the code once, large and grouped to read out; then only its status."""
        created = self._created
        assert created is not None  # noqa: S101 -- set by the step before
        if user_input is not None:
            return self.async_create_entry(
                title=created.name, data={"id": created.id}, unique_id=created.id
            )
        return self.async_show_form(
            step_id="secret",
            description_placeholders={
                "name": created.name,
                "code": grouped(created.secret or ""),
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Open a visitor's menu."""
        if (ask := self._pin_first("visitor")) is not None:
            return ask
        return await self.async_step_visitor()

    async def async_step_visitor(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show a visitor's status and remaining uses, with the way to revoke it.

        One that ended (revoked, used up, expired) never opens again: it can only be
        deleted from the list.
        """
        visitor_id = str(self._get_reconfigure_subentry().data["id"])
        try:
            await self._access.async_refresh()
        except EzlockError:
            return self.async_abort(reason="cannot_connect")
        visitor = self._access.visitors.get(visitor_id)
        if visitor is None:
            return self.async_abort(reason="visitor_gone")
        await self._async_load_words()
        return self.async_show_menu(
            step_id="visitor",
            menu_options=["delete" if visitor.status.ended else "revoke", "keep"],
            description_placeholders={
                "name": visitor.name,
                "summary": self._words().visitor(visitor),
            },
        )

    async def async_step_keep(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Leave the visitor as it is."""
        return self.async_abort(reason="visitor_kept")

    async def async_step_revoke(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Revoke at once: it no longer opens the door, and its row says ``revoked``."""
        visitor_id = str(self._get_reconfigure_subentry().data["id"])
        try:
            await self._client.revoke_visitor(self.kind, visitor_id)
            await self._access.async_refresh()
        except EzlockError as err:
            return self._visitor_failed(err)
        return self.async_abort(reason="visitor_revoked")

    async def async_step_delete(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Forget one that ended: the lock and the integration page drop it."""
        subentry = self._get_reconfigure_subentry()
        try:
            await self._client.delete_visitor(self.kind, str(subentry.data["id"]))
        except EzlockError as err:
            return self._visitor_failed(err)
        self._access.forget(subentry.subentry_id)
        self.hass.config_entries.async_remove_subentry(
            self._get_entry(), subentry.subentry_id
        )
        return self.async_abort(reason="visitor_deleted")

    def _visitor_failed(self, err: EzlockError) -> SubentryFlowResult:
        if not isinstance(err, EzlockApiError):
            return self.async_abort(reason="cannot_connect")
        if err.code in {"pin_required", "invalid_pin", "locked_out"}:
            return self.async_abort(reason=err.code)
        return self.async_abort(reason="visitor_gone")


class BluetoothKeyFlow(VisitorFlow):
    """A visitor's Bluetooth key (L-31): dates and schedule, no use count."""

    kind = VisitorKind.BLUETOOTH_KEY
    subentry_type = SUBENTRY_BLUETOOTH_KEY


class _MissingUsesError(ValueError):
    """A number of uses was chosen but not given."""


SUBENTRY_FLOWS: Final[dict[str, type[ConfigSubentryFlow]]] = {
    SUBENTRY_PERSON: PersonFlow,
    SUBENTRY_VISITOR_CODE: VisitorFlow,
    SUBENTRY_BLUETOOTH_KEY: BluetoothKeyFlow,
}
