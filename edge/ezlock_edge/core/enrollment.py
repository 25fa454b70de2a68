"""Enrolling a finger, face or palm at the lock (L-09 to L-11, L-22 to L-24).

One enrollment at a time: the person stands at the lock, the voice tells them what to
do (place the finger again, raise the head ...), and the module reports each capture.
Only the slot the template went into is stored (L-32).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging
from typing import Any

from ezlock_edge.tasks import BackgroundTasks
from ezlock_edge.vocabulary.errors import (
    CapacityFull,
    DeviceError,
    DeviceTimeout,
    DuplicateTemplate,
)
from ezlock_edge.vocabulary.mcu import Prompt

from .device_contract import LockHardware
from .directory import Directory
from .errors import EnrollmentBusyError, EnrollmentNotFoundError, InvalidRequestError
from .events import EventLog
from .models import Credential, CredentialType, Enrollment, User
from .secrets import random_id

_LOGGER = logging.getLogger(__name__)

FINGER_CAPTURES = 4
FACE_POSES = (
    Prompt.LOOK_STRAIGHT,
    Prompt.RAISE_HEAD,
    Prompt.LOWER_HEAD,
    Prompt.TURN_LEFT,
    Prompt.TURN_RIGHT,
)  # L-10
PALM_CAPTURES = 3
STEPS = {
    CredentialType.FINGERPRINT: FINGER_CAPTURES,
    CredentialType.FACE: len(FACE_POSES),
    CredentialType.PALM: PALM_CAPTURES,
}

type Say = Callable[[Prompt], Awaitable[None]]
type Report = Callable[[int, int, Prompt | None], Awaitable[None]]
type Release = Callable[[CredentialType], Awaitable[None]]


class EnrollmentFailed(Exception):  # noqa: N818 -- an outcome, reported as a status
    """An enrollment ended without a credential; ``status`` is ``failed`` or ``timeout``."""

    def __init__(self, status: str, reason: str, prompt: Prompt) -> None:
        """Describe the outcome as the ``enrollment`` event and the voice will."""
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.prompt = prompt


class Enroller:
    """Runs enrollments against the modules, one at a time."""

    def __init__(
        self,
        hardware: LockHardware,
        directory: Directory,
        events: EventLog,
        say: Say,
        release: Release,
        timeout: float = 10.0,
    ) -> None:
        """``release`` frees a module from a running match; ``timeout`` bounds a capture."""
        self._hardware = hardware
        self._directory = directory
        self._events = events
        self._say = say
        self._release = release
        self._timeout = timeout
        self._busy = False
        self._tasks = BackgroundTasks(_LOGGER)
        # Enrollments started from the API, until they end; those already running.
        self._running: dict[str, asyncio.Task[None]] = {}
        self._started: set[str] = set()
        self._stopping = False

    @property
    def busy(self) -> bool:
        """Return whether an enrollment is running."""
        return self._busy

    async def stop(self) -> None:
        """Cancel enrollments started from the API."""
        self._stopping = True
        await self._tasks.cancel()

    async def enroll(
        self, user: User, kind: CredentialType, report: Report | None = None
    ) -> Credential:
        """Enroll ``kind`` for ``user`` (stored if new); raise ``EnrollmentFailed``.

        The voice guides each capture; the caller announces the outcome once it has
        moved on, so whoever hears it finds the lock ready for the next step.
        """
        self._claim(user, kind)
        return await self._enroll_claimed(user, kind, report)

    def start(self, user: User, kind: CredentialType) -> Enrollment:
        """Start an enrollment in the background; progress arrives as events."""
        self._claim(user, kind)
        enrollment = Enrollment(random_id("en"), user, kind, STEPS[kind])
        self._report(
            enrollment, "started", 0, enrollment.steps, prompt=_name(_guidance(kind)[0])
        )
        # Not part of the MCU event that may have started it (a fresh context).
        self._running[enrollment.id] = self._tasks.spawn(self._run(enrollment))
        return enrollment

    def cancel(self, enrollment_id: str) -> None:
        """Stop an enrollment started from the API (the person closed the dialog)."""
        task = self._running.pop(enrollment_id, None)
        if task is None:
            raise EnrollmentNotFoundError(f"No running enrollment {enrollment_id}")
        if enrollment_id in self._started:
            task.cancel()
        # else: not running yet; _run sees it is no longer wanted and says so.

    def _claim(self, user: User, kind: CredentialType) -> None:
        """Take the sensors for one enrollment, or refuse at once."""
        if kind is CredentialType.PASSWORD:
            raise InvalidRequestError("Passwords are set, not enrolled", {"type": kind})
        if self._busy:
            raise EnrollmentBusyError("Another enrollment is running")
        self._directory.check_room(user, kind)
        self._busy = True

    async def _enroll_claimed(
        self, user: User, kind: CredentialType, report: Report | None
    ) -> Credential:
        try:
            await self._release(kind)
            slot = await self._capture(kind, report)
        finally:
            self._busy = False
        return self._directory.add_biometric(user, kind, slot)

    async def _run(self, enrollment: Enrollment) -> None:
        async def progress(step: int, steps: int, prompt: Prompt | None) -> None:
            self._report(enrollment, "progress", step, steps, prompt=_name(prompt))

        self._started.add(enrollment.id)
        if enrollment.id not in self._running:  # cancelled before it started
            self._busy = False
            await self._cancelled(enrollment)
            return
        try:
            credential = await self._enroll_claimed(
                enrollment.user, enrollment.credential_type, progress
            )
        except asyncio.CancelledError:
            if self._stopping:
                raise
            await self._cancelled(enrollment)
            return
        except EnrollmentFailed as err:
            self._report(enrollment, err.status, 0, enrollment.steps, reason=err.reason)
            await self._say(err.prompt)
        except Exception:
            _LOGGER.exception("Enrollment %s failed", enrollment.id)
            self._report(enrollment, "failed", 0, enrollment.steps, reason="error")
        else:
            self._report(
                enrollment,
                "completed",
                enrollment.steps,
                enrollment.steps,
                credential_id=credential.id,
            )
            await self._say(Prompt.SUCCESS)
        finally:
            self._running.pop(enrollment.id, None)
            self._started.discard(enrollment.id)

    async def _cancelled(self, enrollment: Enrollment) -> None:
        self._started.discard(enrollment.id)
        self._report(enrollment, "cancelled", 0, enrollment.steps, reason="cancelled")
        await self._say(Prompt.FAILURE)

    def _report(
        self, enrollment: Enrollment, status: str, step: int, steps: int, **extra: Any
    ) -> None:
        self._events.append(
            "enrollment",
            enrollment_id=enrollment.id,
            user=enrollment.user.ref,
            credential_type=enrollment.credential_type.value,
            status=status,
            step=step,
            steps=steps,
            **extra,
        )

    async def _free_fingerprint_slot(self) -> int:
        """Pick a slot free in the lock and on the module (another host's stay)."""
        taken = await self._hardware.fingerprint.slots()
        slot = self._directory.free_fingerprint_slot(taken)
        if slot is None:
            raise _no_room()
        return slot

    async def _capture(self, kind: CredentialType, report: Report | None) -> int:
        """Drive the module with voice guidance; return the template slot."""
        prompts = _guidance(kind)
        await self._say(prompts[0])

        async def progress(step: int, steps: int) -> None:
            prompt = prompts[min(step, len(prompts) - 1)] if step < steps else None
            if prompt is not None:
                await self._say(prompt)
            if report is not None:
                await report(step, steps, prompt)

        try:
            if kind is CredentialType.FINGERPRINT:
                slot = await self._free_fingerprint_slot()
                await self._hardware.fingerprint.enroll(
                    slot, FINGER_CAPTURES, progress, capture_timeout=self._timeout
                )
                return slot
            module = (
                self._hardware.face
                if kind is CredentialType.FACE
                else self._hardware.palm
            )
            return await module.enroll(progress, timeout=self._timeout)
        except DuplicateTemplate as err:
            existing = err.existing_slot
            if existing is not None and self._directory.by_slot(kind, existing) is None:
                # A template the lock lost track of (a crash before the commit, a
                # delete while the module was unplugged): it is this person's.
                return existing
            raise EnrollmentFailed(
                "failed", "duplicate", Prompt.ALREADY_ENROLLED
            ) from err
        except CapacityFull as err:
            raise EnrollmentFailed(
                "failed", "capacity_full", Prompt.CAPACITY_FULL
            ) from err
        except DeviceTimeout as err:
            raise EnrollmentFailed("timeout", "timeout", Prompt.TIMEOUT) from err
        except DeviceError as err:
            raise EnrollmentFailed("failed", "device_error", Prompt.FAILURE) from err


def _no_room() -> CapacityFull:
    return CapacityFull("every fingerprint slot of the module is used")


def _name(prompt: Prompt | None) -> str | None:
    """Name the prompt as events do: what the lock asks the person to do now."""
    return prompt.name.lower() if prompt is not None else None


def _guidance(kind: CredentialType) -> tuple[Prompt, ...]:
    """Return the prompt before each capture (L-09 to L-11)."""
    if kind is CredentialType.FACE:
        return FACE_POSES
    if kind is CredentialType.PALM:
        return (Prompt.PRESENT_PALM,)
    return (Prompt.PRESENT_FINGER, Prompt.PRESENT_FINGER_AGAIN)
