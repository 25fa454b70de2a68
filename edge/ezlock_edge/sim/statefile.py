"""The simulated hardware's non-volatile memory: small JSON files in ``state_dir``.

Writes replace the file atomically (a crash leaves the old or the new content, never
half of it) and are private (0600): the MCU's flash holds the verification code. The
files are tiny and written with plain ``os`` calls, so saving from the event loop
costs microseconds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_MAX_SIZE = 1 << 20


def load(path: Path) -> dict[str, Any] | None:
    """Return the object stored in ``path``, or None if there is none yet."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        data = json.loads(os.read(fd, _MAX_SIZE))
    finally:
        os.close(fd)
    if not isinstance(data, dict):
        raise TypeError(f"{path} does not hold a JSON object")
    return data


def save(path: Path, data: dict[str, Any]) -> None:
    """Store ``data`` in ``path``, replacing it atomically."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(data).encode())
    finally:
        os.close(fd)
    os.replace(temporary, path)
