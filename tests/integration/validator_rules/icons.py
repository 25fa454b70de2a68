"""hassfest's rules for icons.json (script/hassfest/icons.py)."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.helpers import config_validation as cv
import probatio as vol

from .translations import keyed, translation_key


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


_STATE_ICONS: Final = keyed(icon, translation_key)
_FLOW_ICONS: Final = vol.Schema({"step": {str: {"section": {str: icon}}}})

ICONS: Final = vol.Schema(
    {
        vol.Optional("config"): _FLOW_ICONS,
        vol.Optional("options"): _FLOW_ICONS,
        vol.Optional("issues"): {str: {"fix_flow": _FLOW_ICONS}},
        # Home Assistant 2024.x+ form {"service": icon, "sections": {...}}; the plain
        # string is the older shorthand that helpers/icon.py still expands.
        vol.Optional("services"): keyed(
            vol.Any(
                icon,
                {
                    vol.Optional("service"): icon,
                    vol.Optional("sections"): _STATE_ICONS,
                },
            ),
            translation_key,
        ),
        vol.Optional("entity"): keyed(
            vol.All(
                keyed(
                    {
                        vol.Optional("default"): icon,
                        vol.Optional("state"): _STATE_ICONS,
                        vol.Optional("state_attributes"): vol.All(
                            keyed(
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
