"""A visitor's subentry flow: a visitor code or a Bluetooth key, shown once; revoke.

One concept with a kind (``VisitorKind``): a code counts its uses, a Bluetooth key
(L-31) has dates and a schedule only. The secret is shown once, in the flow, and never
reaches the subentry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import SubentryFlowResult
from homeassistant.util import dt as dt_util
import probatio as vol

from .access_sync import SUBENTRY_BLUETOOTH_KEY, SUBENTRY_VISITOR_CODE
from .client import EzlockApiError, EzlockError, VisitorCredential, VisitorKind
from .forms import (
    CODE_SELECTOR,
    DATETIME_SELECTOR,
    FIELD_CODE,
    FIELD_MAX_USES,
    FIELD_NAME,
    FIELD_SCHEDULE,
    FIELD_USES,
    FIELD_VALID_FROM,
    FIELD_VALID_UNTIL,
    MAX_USES_SELECTOR,
    NAME_SELECTOR,
    USES_COUNT,
    USES_ONE,
    USES_SELECTOR,
    USES_UNLIMITED,
    ScheduleError,
    grouped,
    schedule_from_form,
    schedule_selector,
    time_from_form,
    time_to_form,
)
from .subentry_flow import AccessFlow, form_errors


class VisitorFlow(AccessFlow):
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
                    errors = form_errors(err, FIELD_CODE)
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
