"""The paired clients (L-65): who holds a token, by the token's hash, and when each was seen.

A client is added when it pairs in the open window, and revoked from the app; its
token stops working at once (the API closes its WebSocket on ``client_revoked``).
"""

from __future__ import annotations

from ezlock_edge.clock import Clock

from .errors import ClientNotFoundError, InvalidRequestError
from .events import EventLog
from .models import Client, ClientRole
from .secrets import random_id
from .store import Store


class Clients:
    """Adds, finds and revokes paired clients; each change is one event."""

    def __init__(self, store: Store, events: EventLog, clock: Clock) -> None:
        """Keep clients in ``store``."""
        self._store = store
        self._events = events
        self._clock = clock

    def add(self, name: str, token_hash: str) -> Client:
        """Remember a client paired in the window just now: an ``admin`` (L-65)."""
        with self._store.transaction():
            client = self._store.add_client(
                random_id("c"), name, token_hash, self._clock.now(), ClientRole.ADMIN
            )
            self._events.append(
                "pairing", status="paired", client_id=client.id, role=client.role.value
            )
        return client

    def create(self, name: str, token_hash: str, role: ClientRole) -> Client:
        """Add a client an admin made (a wall tablet, another system): ``operate`` only.

        An ``admin`` needs the person at the lock (the pairing window), so a stolen
        admin token cannot mint more admins.
        """
        if role is not ClientRole.OPERATE:
            raise InvalidRequestError(
                "Only operate clients can be created; admins pair at the lock",
                {"role": ClientRole.OPERATE.value},
            )
        with self._store.transaction():
            client = self._store.add_client(
                random_id("c"), name, token_hash, self._clock.now(), role
            )
            self._events.append(
                "client_added",
                client_id=client.id,
                name=client.name,
                role=client.role.value,
            )
        return client

    def list(self) -> list[Client]:
        """Return every paired client."""
        return self._store.list_clients()

    def find(self, token_hash: str) -> Client | None:
        """Return the client a token hash belongs to."""
        return self._store.find_client(token_hash)

    def touch(self, client_id: str) -> None:
        """Record that a client was seen now."""
        self._store.touch_client(client_id, self._clock.now())

    def revoke(self, client_id: str) -> None:
        """Forget a client (``client_not_found``)."""
        with self._store.transaction():
            if not self._store.revoke_client(client_id):
                raise ClientNotFoundError(f"No client {client_id}")
            self._events.append("client_revoked", client_id=client_id)
