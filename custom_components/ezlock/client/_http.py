"""aiohttp's failures as the client's exceptions, for REST and WebSocket alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp

from .errors import EzlockConnectionError, EzlockFingerprintError, EzlockSslError


@contextmanager
def transport_errors(what: str) -> Iterator[None]:
    """Raise the client's exception for any aiohttp failure of ``what``."""
    try:
        yield
    except aiohttp.ServerFingerprintMismatch as err:
        raise EzlockFingerprintError(
            f"certificate {err.got.hex()} is not the pinned {err.expected.hex()}"
        ) from err
    except aiohttp.ClientSSLError as err:
        raise EzlockSslError(f"{what}: {err}") from err
    except (aiohttp.ClientError, TimeoutError) as err:
        raise EzlockConnectionError(f"{what}: {err!r}") from err
