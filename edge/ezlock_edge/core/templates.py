"""The biometric templates on the modules, deleted with the credentials they belong to.

The directory forgets a user or a credential in the database; the fingerprint, face
or palm module still holds the template in its slot until it is deleted there too
(L-27). A module that does not answer keeps an orphan template that matches nobody.
"""

from __future__ import annotations

from .device_contract import LockHardware
from .directory import Directory
from .errors import best_effort
from .models import Credential, CredentialType


class Templates:
    """Deletes users and credentials together with their module templates."""

    def __init__(self, hardware: LockHardware, directory: Directory) -> None:
        """Delete from ``directory`` and from ``hardware``'s modules."""
        self._hardware = hardware
        self._directory = directory

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
