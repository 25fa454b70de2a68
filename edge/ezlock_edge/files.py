"""Files only the driver's user may read: ``0600`` files in ``0700`` directories.

The modes are set explicitly, never left to ``open``/``mkdir``: those are masked by the
process's umask (``022`` makes a new database ``0644``) and leave an existing file or
directory as it was. Everything in the data directory (database, WAL, keys, certificate)
goes through here.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """Create ``path`` (and parents) if needed and make it ``0700``, also if it existed."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    path.chmod(DIR_MODE)


def private_file(path: Path) -> None:
    """Make sure ``path`` exists with mode ``0600`` (created empty when missing).

    Used before SQLite opens the database: SQLite gives its WAL and shared-memory files
    the database file's mode, so they are ``0600`` too.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def tighten(path: Path) -> None:
    """Set ``path`` to ``0600`` if it exists (a WAL left by an older version)."""
    with contextlib.suppress(FileNotFoundError):
        path.chmod(FILE_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, ``0600`` from the first byte, and fsync.

    A crash leaves either the old file or the new one, never a part; the directory is
    synced too, so the rename itself survives a power cut.
    """
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
