"""A biometric module's template library read against the lock's credentials (``GET /templates``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from ._reader import Reader
from .people import Credential, CredentialType


@dataclass(frozen=True, slots=True)
class ModuleTemplates:
    """One biometric module read against the lock's credentials (``GET /templates``).

    ``unknown_slots``: templates no credential owns (another host's, anywhere in the
    module's library); ``missing``: credentials whose template the module lost. When
    ``readable`` is false the module did not answer and both say nothing.
    """

    credential_type: CredentialType
    readable: bool
    unknown_slots: tuple[int, ...]
    missing: tuple[Credential, ...]

    @property
    def mismatch(self) -> bool:
        """The module and the lock's records differ."""
        return bool(self.unknown_slots or self.missing)

    @classmethod
    def from_reader(cls, reader: Reader) -> Self:
        """Parse a module templates object."""
        return cls(
            credential_type=reader.choice("credential_type", CredentialType),
            readable=reader.boolean("readable"),
            unknown_slots=reader.integers("unknown_slots", 0),
            missing=tuple(
                Credential.from_reader(item)
                for item in reader.children("missing_credentials")
            ),
        )

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse a module templates object."""
        return cls.from_reader(Reader(data, "templates"))
