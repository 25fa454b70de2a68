"""Refusals of the lock core, each with a stable machine code the API passes on.

Clients branch on ``code``; ``fields`` maps request fields to what is wrong with them.
:func:`best_effort` is the one way the core tolerates a failing hardware operation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
import logging

from ezlock_edge.vocabulary.errors import DeviceError

_LOGGER = logging.getLogger(__name__)


class LockError(Exception):
    """A request the lock's rules refuse."""

    code = "lock_error"

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        """Describe the refusal for people; ``code`` is for machines."""
        super().__init__(message)
        self.message = message
        self.fields: dict[str, str] = dict(fields) if fields else {}


class InvalidRequestError(LockError):
    """A value is of the wrong type or out of range."""

    code = "invalid_request"


class InvalidValidityError(LockError):
    """``valid_until`` is not after ``valid_from``."""

    code = "invalid_validity"


class PasswordPolicyError(LockError):
    """The password breaks L-25; ``rule`` names which part."""

    code = "password_policy"

    def __init__(self, rule: str) -> None:
        """Name the broken rule: ``length``, ``digits_only``, ``sequential``, ``repeated``."""
        super().__init__(f"Password refused: {rule}", {"password": rule})
        self.rule = rule


class AdminRequiredError(LockError):
    """The lock has no admin yet (L-26)."""

    code = "admin_required"


class UserNotFoundError(LockError):
    """No user with that number (L-27)."""

    code = "user_not_found"


class CredentialNotFoundError(LockError):
    """No credential with that id."""

    code = "credential_not_found"


class TemporaryPasswordNotFoundError(LockError):
    """No temporary password with that id."""

    code = "temporary_password_not_found"


class BluetoothKeyNotFoundError(LockError):
    """No Bluetooth key with that id."""

    code = "bluetooth_key_not_found"


class ClientNotFoundError(LockError):
    """No paired client with that id."""

    code = "client_not_found"


class LastAdminError(LockError):
    """The last admin cannot be deleted or demoted (L-27)."""

    code = "last_admin"


class CapacityFullError(LockError):
    """The lock holds 50 of this credential type already (L-22)."""

    code = "capacity_full"


class UserCredentialLimitError(LockError):
    """The user holds the most credentials of this type allowed (L-23)."""

    code = "user_credential_limit"


class DuplicateCredentialError(LockError):
    """The credential is enrolled already (L-24)."""

    code = "duplicate_credential"


class EnrollmentBusyError(LockError):
    """Another enrollment or a keypad menu is using the lock's sensors."""

    code = "enrollment_busy"


class EnrollmentNotFoundError(LockError):
    """No enrollment with that id is running (it ended, or never started)."""

    code = "enrollment_not_found"


class RemoteUnlockDisabledError(LockError):
    """Remote unlock is switched off in the settings (L-43)."""

    code = "remote_unlock_disabled"


class PinRequiredError(LockError):
    """The lock requires an admin's PIN for this remote operation (no PIN was sent)."""

    code = "pin_required"


class InvalidPinError(LockError):
    """The PIN sent is not the password of a valid lock admin; counts like the keypad."""

    code = "invalid_pin"


class NoAdminPinError(LockError):
    """Requiring a PIN needs an admin with a password first, or nobody could send one."""

    code = "no_admin_pin"


class LockedOutError(LockError):
    """The security lockout is active (L-42)."""

    code = "locked_out"


class BusyError(LockError):
    """The bolt is moving; the request may be retried once it has stopped."""

    code = "busy"


class LockOfflineError(LockError):
    """The lock's MCU does not answer."""

    code = "lock_offline"


class ModuleUnavailableError(LockError):
    """A biometric module does not answer (or refused to do what was asked)."""

    code = "module_unavailable"


class TemplateInUseError(LockError):
    """A module template belongs to a credential: delete the credential instead."""

    code = "template_in_use"


class PairingClosedError(LockError):
    """No pairing window is open (L-65)."""

    code = "pairing_closed"


class InvalidVerificationCodeError(LockError):
    """The verification code does not match the lock's (L-64)."""

    code = "invalid_verification_code"


async def best_effort(operation: Awaitable[None]) -> None:
    """Run a hardware operation whose failure is logged but must not stop the caller.

    A prompt that is not spoken, an LED that stays dark or a template left on a module
    is no reason to abandon a keypad dialogue or an unlock that already happened.
    """
    try:
        await operation
    except (DeviceError, LockOfflineError) as err:
        _LOGGER.warning("Lock operation failed: %s", err)
