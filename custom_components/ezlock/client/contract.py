"""What this client expects of the edge driver's API: its version and its limits.

The limits are the ones docs/api.md documents and the edge driver's OpenAPI document
carries; callers use them to refuse bad input before it travels (a test keeps them equal
to the OpenAPI document of the real edge driver).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

# The version of /api/v1 this client speaks (``api_version`` of /info and auth_ok).
API_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class Limit:
    """An inclusive integer range: a value's bounds, or a string's length."""

    minimum: int
    maximum: int


COUNTDOWN_SECONDS: Final = Limit(5, 300)  # L-45
VOLUME: Final = Limit(0, 3)
NAME_LENGTH: Final = Limit(1, 32)  # users and visitor credentials
USER_NUMBER: Final = Limit(1, 999)  # L-21
PASSWORD_LENGTH: Final = Limit(6, 10)  # L-25, digits only
PASSWORD_PATTERN: Final = (
    rf"^[0-9]{{{PASSWORD_LENGTH.minimum},{PASSWORD_LENGTH.maximum}}}$"
)
VISITOR_USES: Final = Limit(1, 100)  # L-30; no limit at all is sent as null
EVENTS_PAGE: Final = Limit(1, 1000)  # L-66, GET /events?limit=
# How long the lock keeps listing a visitor that ended (used up, expired, revoked).
ENDED_VISITOR_RETENTION: Final = timedelta(days=30)
