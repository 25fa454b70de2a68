"""HACS's rules for hacs.json and the manifest (custom_components/hacs/utils/validate.py)."""

from __future__ import annotations

from typing import Final

from awesomeversion import AwesomeVersion
from homeassistant.helpers import config_validation as cv
import probatio as vol

HACS_JSON: Final = vol.Schema(
    {
        vol.Optional("content_in_root"): bool,
        vol.Optional("country"): vol.Any(str, [str]),
        vol.Optional("filename"): str,
        vol.Optional("hacs"): str,
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("homeassistant"): str,
        vol.Optional("persistent_directory"): str,
        vol.Optional("render_readme"): bool,
        vol.Optional("zip_release"): bool,
        vol.Required("name"): str,
    },
    extra=vol.PREVENT_EXTRA,
)
"""hacs.json (HACS_MANIFEST_JSON_SCHEMA)."""

HACS_MANIFEST: Final = vol.Schema(
    {
        vol.Required("codeowners"): list,
        vol.Required("documentation"): cv.url,
        vol.Required("domain"): str,
        vol.Required("issue_tracker"): cv.url,
        vol.Required("name"): str,
        vol.Required("version"): vol.Coerce(AwesomeVersion),
    },
    extra=vol.ALLOW_EXTRA,
)
"""What HACS requires of an integration's manifest.json (INTEGRATION_MANIFEST_JSON_SCHEMA)."""
