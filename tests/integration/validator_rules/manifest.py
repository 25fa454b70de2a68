"""hassfest's rules for a custom integration's manifest.json (script/hassfest/manifest.py)."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlparse

from awesomeversion import (
    AwesomeVersion,
    AwesomeVersionException,
    AwesomeVersionStrategy,
)
import probatio as vol

QUALITY_SCALES: Final = ("internal", "bronze", "silver", "gold", "platinum", "legacy")
IOT_CLASSES: Final = (
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
)


def _documentation(value: str) -> str:
    """https, and on home-assistant.io under /integrations/ (documentation_url)."""
    parsed = urlparse(value)
    if parsed.scheme != "https":
        raise vol.Invalid("documentation must be https")
    if parsed.netloc == "www.home-assistant.io" and not parsed.path.startswith(
        "/integrations/"
    ):
        raise vol.Invalid("home-assistant.io documentation is under /integrations/")
    return value


def _version(value: str) -> str:
    """Accept a calver, semver, simplever, buildver or PEP 440 version (verify_version)."""
    try:
        AwesomeVersion(
            value,
            ensure_strategy=[
                AwesomeVersionStrategy.CALVER,
                AwesomeVersionStrategy.SEMVER,
                AwesomeVersionStrategy.SIMPLEVER,
                AwesomeVersionStrategy.BUILDVER,
                AwesomeVersionStrategy.PEP440,
            ],
        )
    except AwesomeVersionException as err:
        raise vol.Invalid(f"{value!r} is not a valid version") from err
    return value


def _lower(value: str) -> str:
    if value != value.lower():
        raise vol.Invalid("must be lower case")
    return value


MANIFEST: Final = vol.Schema(
    {
        vol.Required("domain"): str,
        vol.Required("name"): str,
        vol.Optional("integration_type"): vol.In(
            ["device", "entity", "hardware", "helper", "hub", "service", "system"]
        ),
        vol.Optional("config_flow"): bool,
        vol.Optional("zeroconf"): [
            vol.Any(
                str,
                {
                    vol.Required("type"): str,
                    vol.Optional("name"): vol.All(str, _lower),
                    vol.Optional("properties"): {str: _lower},
                },
            )
        ],
        vol.Optional("documentation"): vol.All(vol.Url(), _documentation),
        vol.Optional("issue_tracker"): vol.Url(),
        vol.Optional("quality_scale"): vol.In(QUALITY_SCALES),
        vol.Optional("requirements"): [str],
        vol.Optional("dependencies"): [str],
        vol.Optional("after_dependencies"): [str],
        vol.Required("codeowners"): [str],
        vol.Optional("loggers"): [str],
        vol.Optional("disabled"): str,
        vol.Optional("iot_class"): vol.In(IOT_CLASSES),
        vol.Optional("single_config_entry"): bool,
        # Custom integrations only; version is required for them (validate_version).
        vol.Required("version"): vol.All(str, _version),
        vol.Optional("import_executor"): bool,
    }
)
"""manifest.json (the discovery matchers this integration does not use, mqtt, ssdp,
bluetooth, homekit, dhcp and usb, are left out, so that adding one fails here)."""
