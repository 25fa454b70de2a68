"""Loopback ports for programs a test starts in another process."""

from __future__ import annotations

import socket


def free_port() -> int:
    """Return a loopback TCP port nobody listens on right now.

    Only for a child process that must be told its port; in-process servers bind port 0.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
