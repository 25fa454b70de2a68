"""What the fingerprint, face and palm-vein drivers return (docs/architecture.md, device contract)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FingerMatch:
    """A 1:N fingerprint search hit."""

    slot: int
    score: int


@dataclass(frozen=True, slots=True)
class BiometricMatch:
    """A face or palm verify hit (these modules report no score)."""

    slot: int
