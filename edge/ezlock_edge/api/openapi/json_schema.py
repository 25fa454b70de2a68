"""JSON Schema constructors the OpenAPI document is written with."""

from __future__ import annotations

from typing import Any

from ezlock_edge.core.limits import Limit

type Json = dict[str, Any]


def ref(name: str) -> Json:
    """Point at the component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Json) -> Json:
    """Accept ``schema`` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def closed_object(
    properties: Json, required: tuple[str, ...] = (), **extra: Any
) -> Json:
    """Describe an object with exactly these properties (no others allowed)."""
    schema: Json = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def bounded_integer(limit: Limit, **extra: Any) -> Json:
    """Describe an integer within one of the lock's limits (the document carries them all)."""
    return {
        "type": "integer",
        "minimum": limit.minimum,
        "maximum": limit.maximum,
    } | extra
