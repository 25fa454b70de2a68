"""Turn the edge driver's refusals into translated Home Assistant errors.

Bad input (the lock says the request itself is wrong) is a ``ServiceValidationError``;
a refusal by the lock's rules or a communication failure is a ``HomeAssistantError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .client import EzlockApiError, EzlockAuthError, EzlockError, EzlockFingerprintError
from .const import DOMAIN

# Codes of docs/api.md that say the caller asked for something impossible.
VALIDATION_CODES: Final = frozenset(
    {
        "invalid_request",
        "password_policy",
        "invalid_validity",
        "user_not_found",
        "credential_not_found",
        "temporary_password_not_found",
        "bluetooth_key_not_found",
    }
)
# Codes where the lock's rules or condition refused; each has its own message.
REFUSAL_CODES: Final = frozenset(
    {
        "remote_unlock_disabled",
        "locked_out",
        "last_admin",
        "capacity_full",
        "user_credential_limit",
        "duplicate_credential",
        "enrollment_busy",
        "admin_required",
        "too_many_attempts",
        "lock_offline",
        "busy",
        "pin_required",
        "invalid_pin",
        "no_admin_pin",
        "too_many_requests",
        "forbidden",
    }
)


def translated(err: EzlockError) -> HomeAssistantError:
    """Return the Home Assistant error to raise for a client failure."""
    if isinstance(err, EzlockAuthError):
        return HomeAssistantError(
            translation_domain=DOMAIN, translation_key="auth_failed"
        )
    if isinstance(err, EzlockFingerprintError):
        return HomeAssistantError(
            translation_domain=DOMAIN, translation_key="fingerprint_changed"
        )
    if isinstance(err, EzlockApiError):
        placeholders = {
            "code": err.code,
            "message": err.message,
            "rule": ", ".join(err.fields.values()),
        }
        if err.code in VALIDATION_CODES:
            return ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=err.code,
                translation_placeholders=placeholders,
            )
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=err.code if err.code in REFUSAL_CODES else "refused",
            translation_placeholders=placeholders,
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="cannot_connect",
        translation_placeholders={"error": str(err)},
    )


@contextmanager
def translate_errors() -> Iterator[None]:
    """Raise the translated error for any client failure inside the block."""
    try:
        yield
    except EzlockError as err:
        raise translated(err) from err
