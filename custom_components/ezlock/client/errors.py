"""What can go wrong talking to the edge driver, as exceptions a caller can tell apart.

``EzlockError`` is the root. A caller decides from the class alone whether to retry
(:class:`EzlockConnectionError`), pair again (:class:`EzlockAuthError`), distrust the
host (:class:`EzlockFingerprintError`), update one side (:class:`EzlockIncompatibleError`)
or report the refusal (:class:`EzlockApiError` with its machine ``code``).
"""

from __future__ import annotations

from collections.abc import Mapping


class EzlockError(Exception):
    """Anything that went wrong talking to the edge driver."""


class EzlockConnectionError(EzlockError):
    """The edge driver could not be reached, dropped the connection or answered garbage."""


class EzlockSslError(EzlockConnectionError):
    """The TLS handshake failed (for example the server speaks plain HTTP)."""


class EzlockProtocolError(EzlockConnectionError):
    """A reply does not have the shape docs/api.md documents; the message names the field."""


class EzlockFingerprintError(EzlockError):
    """The certificate is not the one pinned at pairing: possibly an impersonation."""


class EzlockIncompatibleError(EzlockError):
    """The edge driver speaks another version of the API than this client."""

    def __init__(self, api_version: int, supported: int) -> None:
        """Keep both versions: which side must be updated follows from them."""
        super().__init__(
            f"the edge driver speaks API version {api_version}, "
            f"this client speaks version {supported}"
        )
        self.api_version = api_version
        self.supported = supported

    @property
    def edge_outdated(self) -> bool:
        """The edge driver is older than this client: update the edge driver."""
        return self.api_version < self.supported


class EzlockApiError(EzlockError):
    """The edge driver refused the request with a JSON error (see docs/api.md)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        """Keep the machine code; ``message`` is English text for logs only."""
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields: Mapping[str, str] = fields or {}


class EzlockAuthError(EzlockApiError):
    """The token is missing, unknown or revoked: the lock must be paired again."""


def api_error(status: int, payload: object) -> EzlockApiError:
    """Return the error a non-2xx reply stands for (docs/api.md, Errors)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("error"), str):
        return EzlockApiError(status, "unknown", f"HTTP {status}")
    code: str = payload["error"]
    message = payload.get("message")
    raw_fields = payload.get("fields")
    fields = (
        {str(key): str(value) for key, value in raw_fields.items()}
        if isinstance(raw_fields, dict)
        else None
    )
    error_cls = EzlockAuthError if code == "unauthorized" else EzlockApiError
    return error_cls(status, code, message if isinstance(message, str) else "", fields)
