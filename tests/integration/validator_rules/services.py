"""hassfest's rules for services.yaml of a custom integration (script/hassfest/services.py)."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.helpers import config_validation as cv, selector, service
import probatio as vol


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
