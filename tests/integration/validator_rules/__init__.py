"""Home Assistant's and HACS's rules for an integration's files, reproduced for a test.

hassfest (Home Assistant's validator, ``script/hassfest`` of home-assistant/core, run with
``--integration-path`` on a custom integration) and the HACS action cannot run here: the
core repository is too large to fetch. These schemas restate their rules, rule by rule,
with Home Assistant's own validators (``config_validation``, ``selector``, ``service``)
where hassfest uses them. One module per hassfest (or HACS) file, named after it; where
hassfest treats custom integrations differently from core ones, the custom rule is
the one here.
"""

from __future__ import annotations

from .hacs import HACS_JSON, HACS_MANIFEST
from .icons import ICONS
from .manifest import MANIFEST
from .quality_scale import QUALITY_SCALE, RULES, TIERS, reached_tier
from .services import SERVICES
from .translations import STRINGS

__all__ = [
    "HACS_JSON",
    "HACS_MANIFEST",
    "ICONS",
    "MANIFEST",
    "QUALITY_SCALE",
    "RULES",
    "SERVICES",
    "STRINGS",
    "TIERS",
    "reached_tier",
]
