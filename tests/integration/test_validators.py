"""hassfest's and HACS's rules (tests/integration/validator_rules/) on our files.

Each test applies the rule of one hassfest validator to the file it validates; the
``refuses`` tests show the rules reject what hassfest rejected before (top-level YAML
anchors in services.yaml, an issue with both a description and a fix flow), so that a
rule reproduced too loosely cannot pass unnoticed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.const import __version__ as ha_version
from homeassistant.util.yaml import load_yaml_dict, parse_yaml
import probatio as vol
import pytest

from . import validator_rules as rules

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / "ezlock"
LANGUAGES = sorted(path.name for path in (INTEGRATION / "translations").glob("*.json"))


def _json(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_services_yaml() -> None:
    """services.py: the custom-integration schema; select translation keys exist."""
    actions = rules.SERVICES(load_yaml_dict(str(INTEGRATION / "services.yaml")))
    selectors = _json(INTEGRATION / "translations" / "en.json")["selector"]
    for name, action in actions.items():
        for field, spec in (action or {}).get("fields", {}).items():
            key = spec.get("selector", {}).get("select", {}).get("translation_key")
            assert key is None or key in selectors, f"{name}.{field}: {key}"


@pytest.mark.parametrize(
    "name", ["strings.json", *(f"translations/{n}" for n in LANGUAGES)]
)
def test_translation_files(name: str) -> None:
    """translations.py: strings.json and en.json (every language here, to be strict)."""
    rules.STRINGS(_json(INTEGRATION / name))


def test_icons_json() -> None:
    """icons.py: Material Design Icons, keys that are translation keys."""
    rules.ICONS(_json(INTEGRATION / "icons.json"))


def test_manifest_json() -> None:
    """manifest.py and HACS's integration manifest schema."""
    manifest = _json(INTEGRATION / "manifest.json")
    rules.MANIFEST(manifest)
    rules.HACS_MANIFEST(manifest)
    assert manifest["domain"] == INTEGRATION.name
    assert "iot_class" in manifest
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"] and keys[2:] == sorted(keys[2:]), (
        "manifest keys: domain, name, then alphabetical (sort_manifest)"
    )
    if manifest.get("quality_scale") in {"gold", "platinum"}:
        assert manifest["codeowners"]
        assert (INTEGRATION / "diagnostics.py").is_file()


def test_hacs_json() -> None:
    """HACS's hacs.json schema; its minimum is the Home Assistant the tests run on."""
    hacs = _json(ROOT / "hacs.json")
    rules.HACS_JSON(hacs)
    assert hacs["homeassistant"] == ha_version


SERVICES_WITH_ANCHORS = """
.lock_target: &lock_target
  entity:
    domain: lock
list_bluetooth_keys:
  target: *lock_target
"""


def test_services_rule_refuses_top_level_anchors() -> None:
    """What hassfest reported: ``.lock_target`` is not a slug."""
    with pytest.raises(vol.Invalid):
        rules.SERVICES(parse_yaml(SERVICES_WITH_ANCHORS))


@pytest.mark.parametrize(
    "issue",
    [
        {"title": "t", "description": "d", "fix_flow": {"step": {"confirm": {}}}},
        {"title": "t"},
        {"description": "d"},
    ],
)
def test_issue_rule_refuses(issue: dict[str, Any]) -> None:
    """An issue has a title and either a description or a fix flow, not both."""
    with pytest.raises(vol.Invalid):
        rules.STRINGS({"issues": {"factory_reset": issue}})


@pytest.mark.parametrize(
    "text",
    [
        "See https://example.com/help",
        " padded",
        "<b>bold</b>",
        "'{name}'",
        "{not-an-id}",
    ],
)
def test_text_rule_refuses(text: str) -> None:
    """URLs, spaces at the ends, HTML, quoted or malformed placeholders."""
    with pytest.raises(vol.Invalid):
        rules.STRINGS({"exceptions": {"refused": {"message": text}}})


def test_other_rules_refuse() -> None:
    """A state with a placeholder, an icon that is no mdi icon, an unsorted version."""
    with pytest.raises(vol.Invalid):
        rules.STRINGS({"entity": {"sensor": {"x": {"state": {"a": "{n} on"}}}}})
    with pytest.raises(vol.Invalid):
        rules.ICONS({"services": {"lock": {"service": "lock.png"}}})
    with pytest.raises(vol.Invalid):
        rules.MANIFEST(
            _json(INTEGRATION / "manifest.json") | {"version": "not a version"}
        )
    with pytest.raises(vol.Invalid):
        rules.HACS_JSON({"name": "ezlock", "domains": ["lock"]})
