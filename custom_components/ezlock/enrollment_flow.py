"""Enrolling a person's finger, face or palm from their subentry flow, live.

The lock runs the enrollment (it times out each capture by itself); the flow starts
it, shows what the lock asks now from its ``enrollment`` events, says how it ended,
and cancels it at the lock when the dialog is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import SubentryFlowResult
from homeassistant.core import callback
import probatio as vol

from .client import CredentialType, EnrollmentEvent, EzlockError, LockEvent
from .forms import BIOMETRIC_SELECTOR, FIELD_TYPE
from .subentry_flow import AccessFlow, form_errors

if TYPE_CHECKING:
    from .client import User

# Longer than any enrollment the lock runs (it times out each capture by itself).
ENROLLMENT_WAIT: Final = 300.0
FIRST_PROMPT_WAIT: Final = 5.0

ENROLL_SCHEMA: Final = vol.Schema(
    {
        vol.Required(
            FIELD_TYPE, default=CredentialType.FINGERPRINT.value
        ): BIOMETRIC_SELECTOR
    }
)


class EnrollmentSteps(AccessFlow):
    """The steps ``enroll`` -> ``enrolling`` (progress) -> ``enrolled`` of a person.

    The person flow (person_flow.py) gives the person (``_number``, ``_user``) and
    the menu the steps go back to (``async_step_person``).
    """

    _number: int

    if TYPE_CHECKING:

        @property
        def _user(self) -> User: ...

        async def async_step_person(
            self, user_input: dict[str, Any] | None = None
        ) -> SubentryFlowResult:
            """Show the person's menu, where each step ends."""

    def __init__(self) -> None:
        """No enrollment runs before the step that starts one."""
        self._enrollment_id: str | None = None
        self._enroll_task: asyncio.Task[None] | None = None
        self._outcome: EnrollmentEvent | None = None
        self._progress: EnrollmentEvent | None = None
        self._early: list[EnrollmentEvent] = []  # arrived before the start's reply
        self._steps = 0
        self._heard = asyncio.Event()  # the lock said what it asks first
        self._unlisten: Any = None

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
                errors = form_errors(err)
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
        task = self._enroll_task  # runs only once the lock gave the enrollment's id
        if task is not None and not task.done() and enrollment_id is not None:
            task.cancel()
            self.hass.async_create_task(self._async_cancel(enrollment_id))

    async def _async_cancel(self, enrollment_id: str) -> None:
        try:
            await self._client.cancel_enrollment(enrollment_id)
        except EzlockError:
            return  # it ended by itself meanwhile
