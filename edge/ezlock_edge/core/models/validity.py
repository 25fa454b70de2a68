"""The validity window a user or a visitor credential opens in (L-28, L-30)."""

from __future__ import annotations

from datetime import datetime


def window_refusal(
    start: datetime | None, end: datetime | None, moment: datetime
) -> str | None:
    """Why ``moment`` is outside ``start``..``end`` (``not_yet_valid``, ``expired``), or None."""
    if start is not None and moment < start:
        return "not_yet_valid"
    if end is not None and moment >= end:
        return "expired"
    return None
