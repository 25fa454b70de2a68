"""quality_scale.yaml claims only what is true, and manifest.json declares what it reaches.

hassfest (script/hassfest/quality_scale.py) checks these files for core integrations
only; the same rules apply here: the schema, and a declared tier only when every rule
of it and of the tiers below is done or exempt. This test goes further: the manifest
declares exactly the tier reached (none while a bronze rule is todo), and every rule
names its evidence or its reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from . import validator_rules

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "ezlock"


def _rules() -> dict[str, Any]:
    data = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())
    validator_rules.QUALITY_SCALE(data)
    rules: dict[str, Any] = data["rules"]
    return rules


def test_every_rule_listed_with_its_evidence() -> None:
    """Each rule of every tier is there, with a comment: the evidence or the reason."""
    rules = _rules()
    assert set(rules) == {
        rule for tier in validator_rules.TIERS for rule in validator_rules.RULES[tier]
    }
    for name, rule in rules.items():
        assert isinstance(rule, dict), f"{name}: status and comment"
        assert rule["comment"].strip(), name


def test_manifest_declares_the_tier_reached() -> None:
    """The manifest's quality_scale is the highest tier fully done (no key: none yet)."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    assert manifest.get("quality_scale") == validator_rules.reached_tier(_rules())


def test_dependency_transparency_follows_the_client() -> None:
    """Not done while the client ships in this folder instead of being a requirement."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    bundled = (INTEGRATION / "client" / "__init__.py").is_file()
    status = _rules()["dependency-transparency"]["status"]
    assert status == ("todo" if bundled else "done")
    assert bundled == (manifest["requirements"] == [])


def test_reached_tier_is_cumulative() -> None:
    """A tier counts only with every lower tier done: one bronze todo means none."""
    done = {
        rule: "done"
        for tier in validator_rules.TIERS
        for rule in validator_rules.RULES[tier]
    }
    assert validator_rules.reached_tier(done) == "platinum"
    assert validator_rules.reached_tier(done | {"strict-typing": "todo"}) == "gold"
    assert validator_rules.reached_tier(done | {"brands": "todo"}) is None
    exempt = {"status": "exempt", "comment": "push"}
    assert validator_rules.reached_tier(done | {"appropriate-polling": exempt}) == (
        "platinum"
    )
