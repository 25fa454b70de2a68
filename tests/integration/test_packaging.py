"""Packaging rules that hassfest and the HACS action enforce, checked locally."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.const import __version__ as ha_version

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / "ezlock"

# hassfest's CUSTOM_INTEGRATION_MANIFEST_SCHEMA has no ALLOW_EXTRA.
MANIFEST_KEYS = {
    "domain", "name", "integration_type", "config_flow", "mqtt", "zeroconf", "ssdp",
    "bluetooth", "homekit", "dhcp", "usb", "documentation", "issue_tracker",
    "quality_scale", "requirements", "dependencies", "after_dependencies", "codeowners",
    "loggers", "disabled", "iot_class", "single_config_entry", "version", "import_executor",
}  # fmt: skip
# HACS's HACS_MANIFEST_JSON_SCHEMA uses PREVENT_EXTRA.
HACS_KEYS = {
    "name", "content_in_root", "country", "filename", "hacs", "hide_default_branch",
    "homeassistant", "persistent_directory", "render_readme", "zip_release",
}  # fmt: skip


def _manifest() -> dict[str, object]:
    manifest: dict[str, object] = json.loads(
        (INTEGRATION / "manifest.json").read_text()
    )
    return manifest


def test_manifest_keys_known_and_sorted() -> None:
    """Hassfest: known keys only, domain and name first, then alphabetical."""
    keys = list(_manifest())
    assert set(keys) <= MANIFEST_KEYS
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_content() -> None:
    """The integration is a local-push device found by zeroconf, with no PyPI requirement."""
    manifest = _manifest()
    assert manifest["domain"] == INTEGRATION.name
    assert manifest["iot_class"] == "local_push"
    assert manifest["zeroconf"] == ["_ezlock._tcp.local."]
    assert manifest["requirements"] == []
    assert str(manifest["documentation"]).startswith("https://")
    assert str(manifest["issue_tracker"]).startswith("https://")


def test_only_one_manifest_json() -> None:
    """Hassfest validates every folder holding a manifest.json; only ours may exist."""
    found = [
        path.relative_to(ROOT)
        for path in ROOT.rglob("manifest.json")
        if not {".venv", ".tools", "config", "node_modules"} & set(path.parts)
    ]
    assert found == [Path("custom_components/ezlock/manifest.json")]


def test_hacs_json_matches_test_stack() -> None:
    """hacs.json: known keys only; its minimum is the Home Assistant the tests run on."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert set(hacs) <= HACS_KEYS
    assert hacs["homeassistant"] == ha_version


def test_brand_images_present() -> None:
    """HACS's brands check and HA 2026.3+ local brand images."""
    for name in ("icon.png", "icon@2x.png", "logo.png", "logo@2x.png"):
        assert (INTEGRATION / "brand" / name).stat().st_size > 0
