"""Structured logging for the daemon: one line per record, as ``key=value`` text or JSON.

Log calls pass context as ``extra={...}`` fields (client id, route, status), never
secrets: tokens, codes and passwords are not handed to the logger in the first place.
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
import logging
import sys
from typing import Any

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value for key, value in record.__dict__.items() if key not in _STANDARD
    }


def _iso(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(
        timespec="milliseconds"
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for journald or a log shipper."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` with its ``extra`` fields."""
        entry: dict[str, Any] = {
            "time": _iso(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class KeyValueFormatter(logging.Formatter):
    """Readable lines with the ``extra`` fields appended as ``key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` with its ``extra`` fields."""
        line = (
            f"{_iso(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        )
        extras = " ".join(f"{key}={value!r}" for key, value in _fields(record).items())
        if extras:
            line = f"{line} [{extras}]"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def setup(level: str, fmt: str) -> None:
    """Send the daemon's logs to stderr in ``fmt`` (``text`` or ``json``) at ``level``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # serialx logs every byte at DEBUG, and the UART bytes carry secrets (keypad
    # digits, the verification code in the MCU hello): never below INFO.
    logging.getLogger("serialx").setLevel(max(logging.INFO, root.level))
