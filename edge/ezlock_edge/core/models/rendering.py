"""How a model shows itself to a client: the JSON object type and times as ISO-8601.

Secrets (password hashes, codes, token hashes) are never part of that view.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

type JsonDict = dict[str, Any]


def iso(moment: datetime | None) -> str | None:
    """Render a time for a client (ISO-8601, UTC offset)."""
    return moment.isoformat() if moment is not None else None
