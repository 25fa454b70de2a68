"""The biometric templates on the modules, deleted with the credentials they belong to.

The directory forgets a user or a credential in the database; the fingerprint, face
or palm module still holds the template in its slot until it is deleted there too
(L-27). A module that does not answer keeps an orphan template that matches nobody.

At start each module's slots are compared with the lock's credentials. A module that
was set up on another host (or kept its templates through a reset of the lock's data)
holds templates no credential owns: they are reported (``templates_mismatch``, with
``unknown_slots``), kept, and never overwritten (a new fingerprint goes to a slot the
module has free; the same person enrolling again is recognised by the module and their
template adopted). Credentials whose template the module lost (a module swapped or
emptied elsewhere) are reported as ``missing_slots``: they match nobody until enrolled
again.
"""

from __future__ import annotations

import logging

from ezlock_edge.tasks import BackgroundTasks
from ezlock_edge.vocabulary.errors import DeviceError

from .device_contract import LockHardware
from .directory import Directory
from .errors import best_effort
from .events import EventLog
from .models import Credential, CredentialType

_LOGGER = logging.getLogger(__name__)


class Templates:
    """Deletes users and credentials with their module templates; checks the modules."""

    def __init__(
        self, hardware: LockHardware, directory: Directory, events: EventLog
    ) -> None:
        """Delete from ``directory`` and from ``hardware``'s modules."""
        self._hardware = hardware
        self._directory = directory
        self._events = events
        self._tasks = BackgroundTasks(_LOGGER)

    def start(self) -> None:
        """Check the modules against the lock's credentials, in the background."""
        self._tasks.spawn(self.check(), name="ezlock template check")

    async def stop(self) -> None:
        """Stop a check still running."""
        await self._tasks.cancel()

    async def check(self) -> None:
        """Report templates no credential owns, and credentials without their template.

        A module that does not answer now is skipped (it is checked at the next start).
        """
        hardware = self._hardware
        for kind, module in (
            (CredentialType.FINGERPRINT, hardware.fingerprint),
            (CredentialType.FACE, hardware.face),
            (CredentialType.PALM, hardware.palm),
        ):
            try:
                on_module = await module.slots()
            except DeviceError as err:
                _LOGGER.warning("Cannot read the %s module's templates: %s", kind, err)
                continue
            ours = {
                credential.slot
                for credential in self._directory.credentials_of(kind)
                if credential.slot is not None
            }
            unknown, missing = sorted(on_module - ours), sorted(ours - on_module)
            if not unknown and not missing:
                continue
            _LOGGER.warning(
                "The %s module holds templates the lock did not store in slots %s "
                "(kept, never overwritten) and lacks the lock's in slots %s",
                kind,
                unknown,
                missing,
            )
            self._events.append(
                "templates_mismatch",
                credential_type=kind.value,
                unknown_slots=unknown,
                missing_slots=missing,
            )

    async def delete_user(self, number: int) -> None:
        """Delete a user, their credentials and their templates (L-27)."""
        for credential in self._directory.delete_user(number):
            await self._forget(credential)

    async def delete_credential(self, credential_id: str) -> None:
        """Delete a credential and its template."""
        await self._forget(self._directory.delete_credential(credential_id))

    async def delete_all(self) -> None:
        """Empty every module (the database is wiped by the caller, L-63)."""
        hardware = self._hardware
        for module in (hardware.fingerprint, hardware.face, hardware.palm):
            await best_effort(module.delete_all())

    async def _forget(self, credential: Credential) -> None:
        if credential.slot is None:
            return
        hardware = self._hardware
        if credential.type is CredentialType.FINGERPRINT:
            await best_effort(hardware.fingerprint.delete(credential.slot))
        elif credential.type is CredentialType.FACE:
            await best_effort(hardware.face.delete(credential.slot))
        else:
            await best_effort(hardware.palm.delete(credential.slot))
