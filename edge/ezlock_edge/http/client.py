"""The command line's JSON client (``ezlock-edge info``, ``ezlock-edge sim``).

One request per command, so the standard library's ``http.client`` in a thread does:
the driver needs no HTTP client library. A pinned certificate is checked by its
SHA-256, as Home Assistant pins the lock's (no CA signs a lock's certificate).
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import ssl
from typing import Any
from urllib.parse import urlsplit


class RequestError(OSError):
    """The request failed: no answer, an unreadable one, or the wrong certificate."""


async def request_json(
    method: str,
    url: str,
    body: Any = None,
    *,
    within: float,
    pin: bytes | None = None,
) -> tuple[int, Any]:
    """Send ``body`` (None: no body) as JSON; return the status and the JSON answer.

    ``within``: seconds each step (connect, send, each read) may take. ``pin``: the SHA-256 the server's certificate must have (HTTPS only; without it
    the certificate is not checked). Raises :class:`RequestError` (an ``OSError``).
    """
    return await asyncio.to_thread(_request, method, url, body, within, pin)


def _request(
    method: str, url: str, body: Any, timeout: float, pin: bytes | None
) -> tuple[int, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # pinned below instead
        connection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=context
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.connect()
        if pin is not None and isinstance(connection.sock, ssl.SSLSocket):
            der = connection.sock.getpeercert(binary_form=True)
            if der is None or hashlib.sha256(der).digest() != pin:
                raise RequestError("the server's certificate is not the pinned one")
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target or "/", body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw.strip() else None
    except (http.client.HTTPException, ValueError) as err:
        raise RequestError(f"unreadable answer: {err}") from err
    finally:
        connection.close()
