"""The lock before pairing (``GET /info``), the pairing reply, and the clients paired with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Self

from ._reader import Reader


@dataclass(frozen=True, slots=True)
class ClientRef:
    """The paired client whose request wrote an event (``by_client``)."""

    id: str
    name: str

    @classmethod
    def optional(cls, reader: Reader, key: str) -> Self | None:
        """Parse ``{"id", "name"}`` at ``key``, which may be absent (the lock's own)."""
        child = reader.optional_child(key)
        if child is None:
            return None
        return cls(id=child.text("id"), name=child.text("name"))


@dataclass(frozen=True, slots=True)
class LockInfo:
    """What ``GET /info`` tells before pairing."""

    serial: str
    model: str
    firmware: str
    api_version: int
    pairing_open: bool
    tls_fingerprint: str | None
    name: str | None = None  # the place the lock is known by, if its owner set one
    time_zone: str | None = None  # IANA zone in which the lock reads schedules

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse the info object."""
        reader = Reader(data, "info")
        return cls(
            serial=reader.text("serial"),
            model=reader.text("model"),
            firmware=reader.text("firmware"),
            api_version=reader.integer("api_version"),
            pairing_open=reader.boolean("pairing_open"),
            tls_fingerprint=reader.optional_text("tls_fingerprint"),
            name=reader.optional_text("name"),
            time_zone=reader.optional_text("time_zone"),
        )


@dataclass(frozen=True, slots=True)
class PairResult:
    """The token, shown once by the edge driver, and the client id it belongs to."""

    token: str = field(repr=False)
    client_id: str

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse the ``POST /pair`` reply."""
        reader = Reader(data, "pair")
        return cls(token=reader.text("token"), client_id=reader.text("client_id"))


@dataclass(frozen=True, slots=True)
class PairedClient:
    """A client paired with the lock (Home Assistant is one)."""

    client_id: str
    name: str
    created: datetime
    last_seen: datetime | None

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse a client object."""
        return cls(
            client_id=reader.text("client_id"),
            name=reader.text("name"),
            created=reader.time("created"),
            last_seen=reader.optional_time("last_seen"),
        )
