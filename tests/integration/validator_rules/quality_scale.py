"""hassfest's rules for quality_scale.yaml, and the tier its rules reach (script/hassfest/quality_scale.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import probatio as vol

TIERS: Final = ("bronze", "silver", "gold", "platinum")
RULES: Final[dict[str, tuple[str, ...]]] = {
    "bronze": (
        "action-setup", "appropriate-polling", "brands", "common-modules",
        "config-flow", "config-flow-test-coverage", "dependency-transparency",
        "docs-actions", "docs-conditions", "docs-high-level-description",
        "docs-installation-instructions", "docs-removal-instructions",
        "docs-triggers", "entity-event-setup", "entity-unique-id", "has-entity-name",
        "runtime-data", "test-before-configure", "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
        "docs-installation-parameters", "entity-unavailable", "integration-owner",
        "log-when-unavailable", "parallel-updates", "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices", "diagnostics", "discovery", "discovery-update-info",
        "docs-data-update", "docs-examples", "docs-known-limitations",
        "docs-supported-devices", "docs-supported-functions", "docs-troubleshooting",
        "docs-use-cases", "dynamic-devices", "entity-category", "entity-device-class",
        "entity-disabled-by-default", "entity-translations", "exception-translations",
        "icon-translations", "reconfiguration-flow", "repair-issues", "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}  # fmt: skip
"""ALL_RULES by tier."""

QUALITY_SCALE: Final = vol.Schema(
    {
        vol.Required("rules"): {
            vol.Optional(rule): vol.Any(
                vol.In(["todo", "done"]),
                {
                    vol.Required("status"): vol.In(["todo", "done"]),
                    vol.Required("comment"): str,
                },
                {vol.Required("status"): "exempt", vol.Required("comment"): str},
            )
            for tier in TIERS
            for rule in RULES[tier]
        }
    }
)
"""quality_scale.yaml (SCHEMA): exempt needs its reason."""


def reached_tier(rules: Mapping[str, Any]) -> str | None:
    """Return the highest tier whose rules, and all lower tiers', are done or exempt."""
    met = {
        name
        for name, rule in rules.items()
        if (rule["status"] if isinstance(rule, dict) else rule) in {"done", "exempt"}
    }
    reached = None
    for tier in TIERS:
        if not set(RULES[tier]) <= met:
            break
        reached = tier
    return reached
