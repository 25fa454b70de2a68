"""Paired API clients and what each may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .rendering import JsonDict, iso


class ClientRole(StrEnum):
    """What a paired API client may do (Matter's Administer and Operate privileges).

    ``admin`` may do everything; ``operate`` may read state, events and settings, lock,
    unlock (when remote unlock is on), start the countdown and stream, but nothing that
    changes who can open the door.
    """

    ADMIN = "admin"
    OPERATE = "operate"


@dataclass(frozen=True, slots=True)
class Client:
    """A paired API client; only the hash of its token is kept."""

    id: str
    name: str
    created: datetime
    last_seen: datetime | None
    token_hash: str = field(repr=False)
    role: ClientRole = field(default_factory=lambda: ClientRole.ADMIN)

    @property
    def ref(self) -> JsonDict:
        """Return how events name this client (``by_client``)."""
        return {"id": self.id, "name": self.name}

    def as_dict(self) -> JsonDict:
        """Return the API's client object."""
        return {
            "client_id": self.id,
            "name": self.name,
            "role": self.role.value,
            "created": iso(self.created),
            "last_seen": iso(self.last_seen),
        }
