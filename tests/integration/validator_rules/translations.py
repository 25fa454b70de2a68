"""hassfest's rules for strings.json and translations/*.json (script/hassfest/translations.py)."""

from __future__ import annotations

from collections.abc import Callable
import re
import string
from typing import Any, Final

from homeassistant.helpers import config_validation as cv
import probatio as vol

type Validator = Callable[[Any], Any]


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


def keyed(values: Validator | dict[Any, Any], keys: Validator) -> Validator:
    """Check a mapping whose keys pass ``keys`` (slugs) and whose values ``values``."""
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
        vol.Optional("config_subentries"): keyed(SUBENTRY_FLOW, vol.Any("_", cv.slug)),
        vol.Optional("selector"): keyed(
            {
                vol.Optional("options"): keyed(TEXT, translation_key),
                vol.Optional("choices"): keyed(TEXT, translation_key),
                vol.Optional("unit_of_measurement"): keyed(TEXT, translation_key),
                vol.Optional("fields"): keyed(
                    {vol.Required("name"): str, vol.Required("description"): TEXT},
                    translation_key,
                ),
            },
            vol.Any("_", cv.slug),
        ),
        vol.Optional("issues"): {str: ISSUE},
        vol.Optional("entity"): keyed(
            keyed(
                {
                    vol.Optional("name"): TEXT,
                    vol.Optional("state"): keyed(STATE_TEXT, translation_key),
                    vol.Optional("state_attributes"): keyed(
                        {
                            vol.Optional("name"): STATE_TEXT,
                            vol.Optional("state"): keyed(STATE_TEXT, translation_key),
                        },
                        translation_key,
                    ),
                    vol.Optional("unit_of_measurement"): STATE_TEXT,
                },
                translation_key,
            ),
            cv.slug,
        ),
        vol.Optional("exceptions"): keyed({vol.Optional("message"): TEXT}, cv.slug),
        vol.Optional("services"): keyed(
            {
                vol.Required("name"): TEXT,
                vol.Required("description"): TEXT,
                vol.Optional("fields"): keyed(_FIELD_STRINGS, translation_key),
                vol.Optional("sections"): keyed(
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
