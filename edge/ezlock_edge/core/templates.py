"""The biometric templates on the modules, deleted with the credentials they belong to.

The directory forgets a user or a credential in the database; the fingerprint, face
or palm module still holds the template in its slot until it is deleted there too
(L-27). A module that does not answer keeps an orphan template that matches nobody.

Each module's slots (the fingerprint module's whole library, not only the lock's 50
pages) are compared with the lock's credentials at start, when a module's link comes back
(plugged in late, or swapped while the driver ran) and whenever a client asks
(``GET /templates``). A module that was set up on another host (or kept its templates
through a reset of the lock's data) holds templates no credential owns: they are
reported (``templates_mismatch``, with ``unknown_slots``, again only when the difference
changed: a link that flapped, a check that overlapped another, or an admin's own deletion
reports nothing new), kept, and never overwritten
(a new fingerprint goes to a slot the module has free; the same person enrolling again
is recognised by the module and their template adopted), until an admin deletes them
(``templates_deleted``). Credentials whose template the module lost (a module swapped or
emptied elsewhere) are reported as ``missing_slots``: they match nobody until enrolled
again, or deleted as any credential is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from functools import partial
import logging

from ezlock_edge.tasks import BackgroundTasks
from ezlock_edge.vocabulary.errors import DeviceError
from ezlock_edge.vocabulary.link import LinkState

from .device_contract import Biometric, Fingerprint, LockHardware
from .directory import Directory
from .errors import (
    InvalidRequestError,
    ModuleUnavailableError,
    TemplateInUseError,
    best_effort,
)
from .events import EventLog
from .models import Credential, CredentialType, JsonDict

_LOGGER = logging.getLogger(__name__)
_MODULE_TYPES = (CredentialType.FINGERPRINT, CredentialType.FACE, CredentialType.PALM)

_HELD_BY_A_MATCH = frozenset((CredentialType.FACE, CredentialType.PALM))
"""Modules whose match holds their link: one VERIFY that looks for the person until it
sees them or their time is up. A fingerprint match polls (GenImg), so other commands go
between its polls."""

type Matching = Callable[[CredentialType], bool]
"""Whether a match (a person at the lock) runs on the module of a credential type."""
type Release = Callable[[CredentialType], Awaitable[None]]
"""Wait until no match runs on the module of a credential type (at most its timeout)."""


@dataclass(frozen=True, slots=True)
class TemplateReport:
    """One module's templates against the lock's credentials, as read just now.

    ``readable`` is False when the module did not answer (nothing is known then).
    """

    credential_type: CredentialType
    readable: bool
    unknown_slots: tuple[int, ...] = ()
    missing: tuple[Credential, ...] = ()

    @property
    def missing_slots(self) -> list[int]:
        """Return the slots of the credentials whose template is gone."""
        return sorted(c.slot for c in self.missing if c.slot is not None)

    @property
    def mismatch(self) -> bool:
        """Return whether the module and the lock's records differ."""
        return bool(self.unknown_slots or self.missing)


class Templates:
    """Deletes users and credentials with their module templates; checks the modules."""

    def __init__(
        self,
        hardware: LockHardware,
        directory: Directory,
        events: EventLog,
        matching: Matching,
        release: Release,
    ) -> None:
        """Delete from ``directory`` and from ``hardware``'s modules.

        A face or palm module busy matching someone (``matching``; ``release`` waits
        for the match) is read once the match has ended: its link is the match's until
        the person's time is up, which on a clock nobody moves never comes.
        """
        self._hardware = hardware
        self._directory = directory
        self._events = events
        self._matching = matching
        self._release = release
        self._tasks = BackgroundTasks(_LOGGER)
        self._running = False
        self._listening = False
        # What was last reported per module, so a link that only flapped (the same
        # module, unchanged) does not report the same templates again.
        self._reported: dict[
            CredentialType, tuple[tuple[int, ...], tuple[int, ...]]
        ] = {}
        # One module at a time is read and its difference recorded (or its templates
        # deleted): the check at start, a link that came back and an admin's deletion
        # may overlap, and each must compare with what the one before it recorded.
        self._checking = asyncio.Lock()

    def start(self) -> None:
        """Check the modules now, and each again when its link comes back (background)."""
        self._running = True
        if not self._listening:  # the modules keep their listeners
            self._listening = True
            for kind in _MODULE_TYPES:
                self._module(kind).add_link_listener(partial(self._link_changed, kind))
        self._tasks.spawn(self.check(), name="ezlock template check")

    async def stop(self) -> None:
        """Stop a check still running."""
        self._running = False
        await self._tasks.cancel()

    def _link_changed(self, kind: CredentialType, link: LinkState) -> None:
        """Check a module back on its cable: it may be another, or set up elsewhere."""
        if self._running and link is LinkState.CONNECTED:
            self._tasks.spawn(self.check((kind,)), name=f"ezlock {kind} template check")

    async def check(self, kinds: Collection[CredentialType] = _MODULE_TYPES) -> None:
        """Report templates no credential owns, and credentials without their template.

        A module that does not answer now is skipped (it is checked again when its link
        comes back, or at the next start). One matching someone is checked once the
        match has ended, without holding up an admin's deletion meanwhile.
        """
        for kind in kinds:
            while True:
                await self._release(kind)
                async with self._checking:
                    if not self._held(kind):  # or another match began meanwhile
                        self._record(await self.report(kind))
                        break

    def _held(self, kind: CredentialType) -> bool:
        """Return whether a match holds ``kind``'s module (and its link) now."""
        return kind in _HELD_BY_A_MATCH and self._matching(kind)

    def _record(self, report: TemplateReport) -> None:
        """Report ``report``'s difference unless it is the one last reported."""
        kind = report.credential_type
        if not report.readable:
            _LOGGER.warning("Cannot read the %s module's templates", kind)
            return
        if not report.mismatch:
            self._reported.pop(kind, None)
            return
        found = (tuple(report.unknown_slots), tuple(report.missing_slots))
        if self._reported.get(kind) == found:
            return
        self._reported[kind] = found
        _LOGGER.warning(
            "The %s module holds templates the lock did not store in slots %s "
            "(kept, never overwritten) and lacks the lock's in slots %s",
            kind,
            list(report.unknown_slots),
            report.missing_slots,
        )
        self._events.append(
            "templates_mismatch",
            credential_type=kind.value,
            unknown_slots=list(report.unknown_slots),
            missing_slots=report.missing_slots,
        )

    async def reports(self) -> list[TemplateReport]:
        """Read every biometric module now and compare it with the lock's credentials."""
        return [await self.report(kind) for kind in _MODULE_TYPES]

    async def report(self, kind: CredentialType) -> TemplateReport:
        """Read ``kind``'s module now and compare it with the lock's credentials.

        After a match that holds the module: it waits for the person for seconds of
        the lock's time.
        """
        if self._held(kind):
            await self._release(kind)
        try:
            on_module = await self._module(kind).slots()
        except DeviceError as err:
            _LOGGER.debug("The %s module did not list its templates: %s", kind, err)
            return TemplateReport(kind, readable=False)
        # After the read: a credential an enrollment stored meanwhile is counted.
        credentials = self._directory.credentials_of(kind)
        ours = {c.slot for c in credentials if c.slot is not None}
        return TemplateReport(
            kind,
            readable=True,
            unknown_slots=tuple(sorted(on_module - ours)),
            missing=tuple(
                sorted(
                    (c for c in credentials if c.slot not in on_module),
                    key=lambda c: (c.slot or 0, c.id),
                )
            ),
        )

    def describe(self, report: TemplateReport) -> JsonDict:
        """Return the API's view of a module's report."""
        return {
            "credential_type": report.credential_type.value,
            "readable": report.readable,
            "unknown_slots": list(report.unknown_slots),
            "missing_slots": report.missing_slots,
            "missing_credentials": [
                self._directory.describe(c) for c in report.missing
            ],
        }

    async def delete_unknown(
        self, kind: CredentialType, slots: Collection[int]
    ) -> TemplateReport:
        """Delete templates no credential owns from ``kind``'s module; report it again.

        Only the listed ``slots`` (those an admin was shown): a slot a credential owns
        is refused (``template_in_use``: delete the credential instead), one the module
        no longer holds is left as it is. ``templates_deleted`` names what went.
        """
        async with self._checking:
            return await self._delete_unknown(kind, slots)

    async def _delete_unknown(
        self, kind: CredentialType, slots: Collection[int]
    ) -> TemplateReport:
        if self._held(kind):  # not waited for while holding up every other check
            raise ModuleUnavailableError(
                f"The {kind} module is matching someone at the lock: try again"
            )
        report = await self.report(kind)
        if not report.readable:
            raise ModuleUnavailableError(f"The {kind} module does not answer")
        owned = sorted(
            set(slots)
            & {
                c.slot
                for c in self._directory.credentials_of(kind)
                if c.slot is not None
            }
        )
        if owned:
            raise TemplateInUseError(
                f"Slots {owned} hold templates of the lock's credentials: delete the "
                "credentials instead",
                {"slots": ", ".join(map(str, owned))},
            )
        module = self._module(kind)
        deleted: list[int] = []
        try:
            for slot in sorted(set(slots) & set(report.unknown_slots)):
                await module.delete(slot)
                deleted.append(slot)
        except DeviceError as err:
            raise ModuleUnavailableError(
                f"The {kind} module did not delete slot {slot}: {err}"
            ) from None
        finally:
            if deleted:
                self._events.append(
                    "templates_deleted", credential_type=kind.value, slots=deleted
                )
                self._forget_reported(kind, deleted)
        after = await self.report(kind)
        self._record(after)
        return after

    def _forget_reported(self, kind: CredentialType, deleted: Collection[int]) -> None:
        """Take ``deleted`` out of what was reported: ``templates_deleted`` told it.

        What is left is no news: a later check of the same module reports only a
        difference that is not the one already reported, less what the admin deleted.
        """
        if (reported := self._reported.get(kind)) is not None:
            unknown, missing = reported
            kept = tuple(slot for slot in unknown if slot not in deleted)
            self._reported[kind] = (kept, missing)

    def _module(self, kind: CredentialType) -> Fingerprint | Biometric:
        hardware = self._hardware
        if kind is CredentialType.FINGERPRINT:
            return hardware.fingerprint
        if kind is CredentialType.FACE:
            return hardware.face
        if kind is CredentialType.PALM:
            return hardware.palm
        raise InvalidRequestError(
            "Passwords have no module templates", {"credential_type": "biometric"}
        )

    async def delete_user(self, number: int, *, keep_admin_pin: bool = False) -> None:
        """Delete a user, their credentials and their templates (L-27)."""
        deleted = self._directory.delete_user(number, keep_admin_pin=keep_admin_pin)
        for credential in deleted:
            await self._forget(credential)

    async def delete_credential(
        self, credential_id: str, *, keep_admin_pin: bool = False
    ) -> None:
        """Delete a credential and its template."""
        await self._forget(
            self._directory.delete_credential(
                credential_id, keep_admin_pin=keep_admin_pin
            )
        )

    async def delete_all(self) -> None:
        """Empty every module (the database is wiped by the caller, L-63)."""
        for kind in _MODULE_TYPES:
            await best_effort(self._module(kind).delete_all())

    async def _forget(self, credential: Credential) -> None:
        if credential.slot is None:
            return
        await best_effort(self._module(credential.type).delete(credential.slot))
