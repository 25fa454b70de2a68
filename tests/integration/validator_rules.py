"""Home Assistant's and HACS's rules for an integration's files, reproduced for a test.

hassfest (Home Assistant's validator, ``script/hassfest`` of home-assistant/core, run with
``--integration-path`` on a custom integration) and the HACS action cannot run here: the
core repository is too large to fetch. These schemas restate their rules, rule by rule,
with Home Assistant's own validators (``config_validation``, ``selector``, ``service``)
where hassfest uses them. Each block names the hassfest (or HACS) file it mirrors; where
hassfest treats custom integrations differently from core ones, the custom rule is
the one here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import re
import string
from typing import Any, Final
from urllib.parse import urlparse

from awesomeversion import (
    AwesomeVersion,
    AwesomeVersionException,
    AwesomeVersionStrategy,
)
from homeassistant.helpers import config_validation as cv, selector, service
import probatio as vol

type Validator = Callable[[Any], Any]

# --- script/hassfest/translations.py -------------------------------------------------

# A translation key: lower-case letters, digits, "-" and "_", neither first nor last,
# and never two of "-"/"_" in a row.
TRANSLATION_KEY: Final = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
_REFERENCE_MIXED_WITH_TEXT: Final = re.compile(r"(.+\[%)|(%\].+)")
_QUOTED_PLACEHOLDER: Final = re.compile(r"'{\w+}'")
_URL: Final = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)


def translation_key(value: Any) -> str:
    """Accept a key of ``entity``, ``selector`` options, ``services`` (RE_TRANSLATION_KEY)."""
    if not isinstance(value, str) or not TRANSLATION_KEY.match(value):
        raise vol.Invalid(f"invalid translation key {value!r}")
    return value


def _text(*, placeholders: bool) -> Validator:
    """Return the validator of a translated string (validate_translation_value)."""

    def validate(value: Any) -> str:
        text: str = cv.string_with_no_html(value)
        if _QUOTED_PLACEHOLDER.search(text):
            raise vol.Invalid("placeholder inside single quotes")
        for _, name, _, _ in string.Formatter().parse(text):
            if name and not placeholders:
                raise vol.Invalid("no placeholders allowed here")
            if name and not name.isidentifier():
                raise vol.Invalid(f"placeholder {name!r} is not an identifier")
        if _REFERENCE_MIXED_WITH_TEXT.search(text):
            raise vol.Invalid("a reference combined with other text")
        if text != text.strip():
            raise vol.Invalid("leading or trailing spaces")
        if _URL.search(text):
            raise vol.Invalid("a URL: use a description placeholder")
        return text

    return validate


TEXT: Final = _text(placeholders=True)
STATE_TEXT: Final = _text(placeholders=False)


def _data_entry_flow(*, subentry: bool = False) -> vol.All[Any]:
    """Return the schema of a config, options or repair flow (gen_data_entry_schema).

    A config subentry flow (``subentry_flow=True`` in hassfest) also names its rows
    (``entry_type``) and its add button (``initiate_flow.user``), both required.

    ``config.title`` is gone since 0.109 (REMOVED: hassfest warns for custom
    integrations, fails for core; refused here), step titles are optional, and each
    ``data_description`` key must name a ``data`` field.
    """
    step = {
        vol.Optional("title"): TEXT,
        vol.Optional("description"): TEXT,
        vol.Optional("data"): {str: TEXT},
        vol.Optional("data_description"): {str: TEXT},
        vol.Optional("menu_options"): {str: TEXT},
        vol.Optional("menu_option_descriptions"): {str: TEXT},
        vol.Optional("submit"): TEXT,
        vol.Optional("sections"): {
            str: {
                vol.Optional("data"): {str: TEXT},
                vol.Optional("data_description"): {str: TEXT},
                vol.Optional("description"): TEXT,
                vol.Optional("name"): TEXT,
            }
        },
    }

    def described_fields_exist(flow: dict[str, Any]) -> dict[str, Any]:
        for step_id, strings in flow["step"].items():
            extra = set(strings.get("data_description", {})) - set(
                strings.get("data", {})
            )
            if extra:
                raise vol.Invalid(
                    f"step {step_id}: data_description {extra} not in data"
                )
        return flow

    schema: dict[Any, Any] = {
        vol.Optional("flow_title"): TEXT,
        vol.Required("step"): {str: step},
        vol.Optional("error"): {str: TEXT},
        vol.Optional("abort"): {str: TEXT},
        vol.Optional("progress"): {str: TEXT},
        vol.Optional("create_entry"): {str: TEXT},
    }
    if subentry:
        schema[vol.Required("entry_type")] = TEXT
        schema[vol.Required("initiate_flow")] = {vol.Required("user"): TEXT, str: TEXT}
    else:
        schema[vol.Optional("initiate_flow")] = {vol.Required("user"): TEXT}
    return vol.All(vol.Schema(schema), described_fields_exist)


FLOW: Final = _data_entry_flow()
SUBENTRY_FLOW: Final = _data_entry_flow(subentry=True)

# gen_issues_schema: a title, and exactly one of a description (the person fixes it
# outside) or a fix_flow (a repair flow fixes it); never both.
ISSUE: Final = vol.All(
    cv.has_at_least_one_key("description", "fix_flow"),
    vol.Schema(
        {
            vol.Required("title"): TEXT,
            vol.Exclusive("description", "fixable"): TEXT,
            vol.Exclusive("fix_flow", "fixable"): FLOW,
        }
    ),
)


def _keyed(values: Validator | dict[Any, Any], keys: Validator) -> Validator:
    return cv.schema_with_slug_keys(values, slug_validator=keys)


_FIELD_STRINGS: Final = {
    vol.Required("name"): str,
    vol.Required("description"): TEXT,
    vol.Optional("example"): TEXT,
}

STRINGS: Final = vol.Schema(
    {
        vol.Optional("title"): TEXT,
        vol.Optional("config"): FLOW,
        vol.Optional("options"): FLOW,
        vol.Optional("config_subentries"): _keyed(SUBENTRY_FLOW, vol.Any("_", cv.slug)),
        vol.Optional("selector"): _keyed(
            {
                vol.Optional("options"): _keyed(TEXT, translation_key),
                vol.Optional("choices"): _keyed(TEXT, translation_key),
                vol.Optional("unit_of_measurement"): _keyed(TEXT, translation_key),
                vol.Optional("fields"): _keyed(
                    {vol.Required("name"): str, vol.Required("description"): TEXT},
                    translation_key,
                ),
            },
            vol.Any("_", cv.slug),
        ),
        vol.Optional("issues"): {str: ISSUE},
        vol.Optional("entity"): _keyed(
            _keyed(
                {
                    vol.Optional("name"): TEXT,
                    vol.Optional("state"): _keyed(STATE_TEXT, translation_key),
                    vol.Optional("state_attributes"): _keyed(
                        {
                            vol.Optional("name"): STATE_TEXT,
                            vol.Optional("state"): _keyed(STATE_TEXT, translation_key),
                        },
                        translation_key,
                    ),
                    vol.Optional("unit_of_measurement"): STATE_TEXT,
                },
                translation_key,
            ),
            cv.slug,
        ),
        vol.Optional("exceptions"): _keyed({vol.Optional("message"): TEXT}, cv.slug),
        vol.Optional("services"): _keyed(
            {
                vol.Required("name"): TEXT,
                vol.Required("description"): TEXT,
                vol.Optional("fields"): _keyed(_FIELD_STRINGS, translation_key),
                vol.Optional("sections"): _keyed(
                    {vol.Required("name"): str, vol.Optional("description"): TEXT},
                    translation_key,
                ),
            },
            translation_key,
        ),
    }
)
"""strings.json and, for a custom integration, translations/en.json (gen_strings_schema;
sections an integration of this kind never has, such as conversation or auth, are left
out, so that having one fails here)."""

# --- script/hassfest/services.py (CUSTOM_INTEGRATION_SERVICES_SCHEMA) -----------------


def _present(value: Any) -> Any:
    """Refuse a null ``example`` or ``default`` (exists)."""
    if value is None:
        raise vol.Invalid("must not be null")
    return value


def _field(*, targeted: bool) -> vol.Schema:
    """One field of an action; custom integrations may also write name and description."""
    schema: dict[Any, Any] = {
        vol.Optional("example"): _present,
        vol.Optional("default"): _present,
        vol.Optional("required"): bool,
        vol.Optional("advanced"): bool,
        vol.Optional("selector"): selector.validate_selector,
        vol.Optional("name"): str,
        vol.Optional("description"): str,
    }
    if targeted:  # filters only make sense with a target to filter
        schema[vol.Optional("filter")] = {
            vol.Exclusive("attribute", "field_filter"): {
                vol.Required(str): [vol.All(str, service.validate_attribute_option)]
            },
            vol.Exclusive("supported_features", "field_filter"): [
                vol.All(str, service.validate_supported_feature)
            ],
        }
    return vol.Schema(schema)


def _fields_unique(fields: dict[str, Any]) -> dict[str, Any]:
    """Refuse a field name used twice, in a section or not (unique_field_validator)."""
    seen: set[str] = set()
    for key, spec in fields.items():
        names = list(spec["fields"]) if spec and "fields" in spec else [key]
        for name in names:
            if name in seen:
                raise vol.Invalid(f"field {name} used twice")
            seen.add(name)
    return fields


def _action(*, targeted: bool) -> vol.Schema:
    field = _field(targeted=targeted)
    section = vol.Schema(
        {
            vol.Optional("collapsed"): bool,
            vol.Required("fields"): {str: field},
            vol.Optional("name"): str,
            vol.Optional("description"): str,
        }
    )
    schema: dict[Any, Any] = {
        vol.Optional("fields"): vol.All(
            vol.Schema({str: vol.Any(field, section)}), _fields_unique
        ),
        vol.Optional("name"): str,
        vol.Optional("description"): str,
    }
    if targeted:
        schema[vol.Required("target")] = vol.Any(
            selector.TargetSelector.CONFIG_SCHEMA, None
        )
    return vol.Schema(schema)


SERVICES: Final = vol.Schema(
    {cv.slug: vol.Any(_action(targeted=True), _action(targeted=False), None)}
)
"""services.yaml: every top-level key is an action (a slug): no ``.anchor`` keys, which
only core integrations may have (they are removed before validation there)."""

# --- script/hassfest/icons.py (integration types other than entity and system) ---------


def icon(value: Any) -> str:
    """Accept a Material Design Icon (icon_value_validator)."""
    text: str = cv.string_with_no_html(value)
    if not text.startswith("mdi:"):
        raise vol.Invalid("an icon starts with mdi:")
    return text


def _not_default(value: dict[str, Any]) -> dict[str, Any]:
    """Refuse a state icon equal to the default (ensure_not_same_as_default)."""
    for key, icons in value.items():
        default = icons.get("default")
        for state, state_icon in (icons.get("state") or {}).items():
            if default and state_icon == default:
                raise vol.Invalid(f"{key}.{state}: the same icon as the default")
    return value


_STATE_ICONS: Final = _keyed(icon, translation_key)
_FLOW_ICONS: Final = vol.Schema({"step": {str: {"section": {str: icon}}}})

ICONS: Final = vol.Schema(
    {
        vol.Optional("config"): _FLOW_ICONS,
        vol.Optional("options"): _FLOW_ICONS,
        vol.Optional("issues"): {str: {"fix_flow": _FLOW_ICONS}},
        # Home Assistant 2024.x+ form {"service": icon, "sections": {...}}; the plain
        # string is the older shorthand that helpers/icon.py still expands.
        vol.Optional("services"): _keyed(
            vol.Any(
                icon,
                {
                    vol.Optional("service"): icon,
                    vol.Optional("sections"): _STATE_ICONS,
                },
            ),
            translation_key,
        ),
        vol.Optional("entity"): _keyed(
            vol.All(
                _keyed(
                    {
                        vol.Optional("default"): icon,
                        vol.Optional("state"): _STATE_ICONS,
                        vol.Optional("state_attributes"): vol.All(
                            _keyed(
                                {
                                    vol.Optional("default"): icon,
                                    vol.Optional("state"): _STATE_ICONS,
                                },
                                translation_key,
                            ),
                            _not_default,
                        ),
                    },
                    translation_key,
                ),
                _not_default,
            ),
            cv.slug,
        ),
    }
)

# --- script/hassfest/manifest.py (CUSTOM_INTEGRATION_MANIFEST_SCHEMA) -----------------

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

# --- script/hassfest/quality_scale.py ---------------------------------------------------

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


# --- HACS: custom_components/hacs/utils/validate.py -----------------------------------

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
