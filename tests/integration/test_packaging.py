"""Packaging: what HACS installs (one manifest, brand images) and what the manifest says.

The schemas of hassfest and HACS are in test_validators.py.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / "ezlock"


def _manifest() -> dict[str, object]:
    manifest: dict[str, object] = json.loads(
        (INTEGRATION / "manifest.json").read_text()
    )
    return manifest


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


def test_brand_images_present() -> None:
    """HACS's brands check and HA 2026.3+ local brand images."""
    for name in ("icon.png", "icon@2x.png", "logo.png", "logo@2x.png"):
        assert (INTEGRATION / "brand" / name).stat().st_size > 0
