"""Constants shared by the ezlock integration's modules."""

from __future__ import annotations

import logging
from typing import Final

from .client import CredentialType, Link

DOMAIN: Final = "ezlock"
LOGGER = logging.getLogger(__package__)

DEFAULT_PORT: Final = 8765
CLIENT_NAME: Final = "Home Assistant"

CONF_FINGERPRINT: Final = "fingerprint"
CONF_CLIENT_ID: Final = "client_id"
CONF_CODE_HASH: Final = "code_hash"
CONF_CODE_SALT: Final = "code_salt"
CONF_REQUIRE_CODE: Final = "require_code"
CONF_VERIFICATION_CODE: Final = "verification_code"

CREDENTIAL_TYPES: Final = tuple(CredentialType)
BIOMETRIC_TYPES: Final = tuple(
    kind for kind in CredentialType if kind is not CredentialType.PASSWORD
)

ISSUE_FINGERPRINT_CHANGED: Final = "fingerprint_changed"
ISSUE_FACTORY_RESET: Final = "factory_reset"
ISSUE_EDGE_OUTDATED: Final = "edge_outdated"
ISSUE_INTEGRATION_OUTDATED: Final = "integration_outdated"
ISSUE_NO_ADMIN: Final = "no_admin"
ISSUE_DELETE_REFUSED: Final = "delete_refused"
ISSUE_UNKNOWN_TEMPLATES: Final = "unknown_templates"
ISSUE_MISSING_TEMPLATES: Final = "missing_templates"
# One issue per biometric module and problem (module_templates.py), each with its own
# translation (the module's name in the language): ``unknown_templates_face``.
TEMPLATE_ISSUES: Final[dict[tuple[str, CredentialType], str]] = {
    (problem, kind): f"{problem}_{kind.value}"
    for problem in (ISSUE_UNKNOWN_TEMPLATES, ISSUE_MISSING_TEMPLATES)
    for kind in BIOMETRIC_TYPES
}


def link_issue(link: Link) -> str:
    """Return the issue of a hardware link down for over a minute (one per link)."""
    return f"link_down_{link}"


# Every issue an entry may raise; removing the entry deletes them all.
ISSUES: Final = (
    ISSUE_FINGERPRINT_CHANGED,
    ISSUE_FACTORY_RESET,
    ISSUE_EDGE_OUTDATED,
    ISSUE_INTEGRATION_OUTDATED,
    ISSUE_NO_ADMIN,
    ISSUE_DELETE_REFUSED,
    *(link_issue(link) for link in Link),
    *TEMPLATE_ISSUES.values(),
)

# The unlock methods (L-40), lock sources and alarms of the edge driver's event catalogue.
UNLOCK_METHODS: Final = (
    "face",
    "palm",
    "fingerprint",
    "password",
    "temporary_password",
    "bluetooth",
    "mechanical_key",
    "remote",
    "inside",
)
LOCK_SOURCES: Final = (
    "keypad",
    "lock_button",
    "countdown",
    "remote",
    "mechanical_key",
    "bluetooth",
)
ALARMS: Final = (
    "tamper",
    "lockout",
    "duress",
    "jammed",
    "low_battery",
    "away_intrusion",
    "door_left_open",
    "emergency_power",
)
# Why an attempt was refused (the ``unlock_failed`` reasons of the event catalogue).
UNLOCK_FAILURES: Final = (
    "no_match",
    "revoked",
    "liveness",
    "not_yet_valid",
    "expired",
    "outside_schedule",
    "used_up",
    "locked_out",
    "disabled",
    "wrong_pin",
    "lock_offline",
)
# Why a lock was refused (``lock_failed``: a Bluetooth key that may not lock now, L-31).
LOCK_FAILURES: Final = (
    "no_match",
    "revoked",
    "not_yet_valid",
    "expired",
    "outside_schedule",
    "lock_offline",
)
# Fired on the bus for each access event, so the logbook can say who did what.
EVENT_ACCESS: Final = f"{DOMAIN}_access"
CONF_NAME_PLACE: Final = "name"
