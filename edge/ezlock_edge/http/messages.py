"""What a handler sees and answers: headers, responses, refusals, typed request values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
import json
import time
from typing import Any

JSON = "application/json; charset=utf-8"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def http_date(timestamp: float | None = None) -> str:
    """Format ``timestamp`` (default now) as HTTP's IMF-fixdate (RFC 9110 5.6.7).

    Written out rather than with ``email.utils``, which a running lock does not load.
    """
    t = time.gmtime(timestamp)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


class Headers:
    """A request's headers: case-insensitive names, the first value of a repeated one."""

    __slots__ = ("_first", "raw")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        """Keep ``raw`` (h11's lower-case names and values, in order)."""
        self.raw = list(raw)
        self._first: dict[str, str] = {}
        for name, value in self.raw:
            self._first.setdefault(name.decode("latin-1"), value.decode("latin-1"))

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return the first value of ``name`` (any case), or ``default``."""
        return self._first.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        """Whether a header ``name`` (any case) was sent."""
        return isinstance(name, str) and name.lower() in self._first

    def tokens(self, name: str) -> set[str]:
        """Return the comma-separated tokens of every ``name`` header, lower-cased."""
        wanted = name.lower().encode("latin-1")
        return {
            token.strip().lower()
            for key, value in self.raw
            if key == wanted
            for token in value.decode("latin-1").split(",")
            if token.strip()
        }


@dataclass(slots=True)
class Response:
    """A whole answer: status, headers (``Content-Type`` among them) and body."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False
    """Close the connection after this answer (``Connection: close``)."""

    def force_close(self) -> None:
        """Answer with ``Connection: close`` and close the connection afterwards."""
        self.close = True


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """Answer ``data`` as JSON (``application/json; charset=utf-8``)."""
    return Response(
        status,
        json.dumps(data).encode(),
        {**(headers or {}), "Content-Type": JSON},
    )


class HttpError(Exception):
    """A refusal of the HTTP layer itself: no route, wrong method, body too large, ..."""

    def __init__(
        self,
        status: int,
        reason: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Refuse with ``status``; ``reason`` defaults to the status's phrase."""
        self.status = status
        self.reason = reason or HTTPStatus(status).phrase
        self.headers = dict(headers or {})
        super().__init__(self.reason)


class Key[T]:
    """A typed name for a value a request carries (``request[KEY]``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        """Name the key (shown in errors only)."""
        self.name = name

    def __repr__(self) -> str:
        """Show the name."""
        return f"Key({self.name!r})"
