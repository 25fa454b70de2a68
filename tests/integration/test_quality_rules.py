"""The quality-scale rules hassfest checks in code, on ours (rules marked done).

hassfest runs these only for core integrations (script/hassfest/quality_scale_validation/:
config_flow, discovery, reconfiguration_flow, runtime_data, test_before_setup,
unique_config_entry, strict_typing); they are restated here over the integration's
syntax tree, with a few more rules that are as mechanical (action-setup,
parallel-updates, has-entity-name, diagnostics, reauthentication-flow). Behaviour is the
other tests' job; this only keeps quality_scale.yaml from claiming a shape that is gone.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from custom_components.ezlock import PLATFORMS

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "ezlock"
MANIFEST: dict[str, Any] = json.loads((INTEGRATION / "manifest.json").read_text())
RULES: dict[str, Any] = yaml.safe_load(
    (INTEGRATION / "quality_scale.yaml").read_text()
)["rules"]


def _done(rule: str) -> None:
    if RULES[rule]["status"] != "done":
        pytest.skip(f"{rule} is not claimed")


def _tree(name: str) -> ast.Module:
    return ast.parse((INTEGRATION / name).read_text())


def _function(module: ast.Module, name: str) -> ast.AsyncFunctionDef:
    found = next(
        (
            node
            for node in ast.walk(module)
            if isinstance(node, ast.AsyncFunctionDef) and node.name == name
        ),
        None,
    )
    assert found is not None, f"no async def {name}"
    return found


def _calls(node: ast.AST) -> set[str]:
    """Return the names of every function or method called inside ``node``."""
    names: set[str] = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            if isinstance(func, ast.Attribute):
                names.add(func.attr)
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def _flow_steps() -> set[str]:
    return {
        node.name.removeprefix("async_step_")
        for node in ast.walk(_tree("config_flow.py"))
        if isinstance(node, ast.AsyncFunctionDef)
        and node.name.startswith("async_step_")
    }


def test_config_flow() -> None:
    """config-flow: the manifest says so and config_flow.py exists."""
    _done("config-flow")
    assert MANIFEST["config_flow"] is True
    assert (INTEGRATION / "config_flow.py").is_file()


def test_discovery() -> None:
    """discovery: a matcher in the manifest and the flow step for it."""
    _done("discovery")
    assert MANIFEST["zeroconf"]
    assert "zeroconf" in _flow_steps()


def test_reconfiguration_and_reauthentication_flows() -> None:
    """reconfiguration-flow and reauthentication-flow: their steps exist."""
    _done("reconfiguration-flow")
    _done("reauthentication-flow")
    assert {"reconfigure", "reauth", "reauth_confirm"} <= _flow_steps()


def test_unique_config_entry() -> None:
    """unique-config-entry: the flow sets a unique id and aborts on a known one."""
    _done("unique-config-entry")
    calls = _calls(_tree("config_flow.py"))
    assert {"async_set_unique_id", "_abort_if_unique_id_configured"} <= calls


def test_runtime_data() -> None:
    """runtime-data: async_setup_entry stores entry.runtime_data, nothing in hass.data."""
    _done("runtime-data")
    setup = _function(_tree("__init__.py"), "async_setup_entry")
    assigned = {
        target.attr
        for node in ast.walk(setup)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Attribute)
    }
    assert "runtime_data" in assigned
    for module in INTEGRATION.rglob("*.py"):
        assert "hass.data[" not in module.read_text(), module.name


def test_test_before_setup() -> None:
    """test-before-setup: the first refresh in async_setup_entry (it raises the errors)."""
    _done("test-before-setup")
    setup = _function(_tree("__init__.py"), "async_setup_entry")
    assert "async_config_entry_first_refresh" in _calls(setup)
    raised = {
        node.exc.func.id
        for node in ast.walk(_tree("coordinator.py"))
        if isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and isinstance(node.exc.func, ast.Name)
    }
    assert {"ConfigEntryAuthFailed", "ConfigEntryError"} <= raised


def test_action_setup() -> None:
    """action-setup: actions are registered in async_setup, not per entry."""
    _done("action-setup")
    init = _tree("__init__.py")
    assert "async_setup_services" in _calls(_function(init, "async_setup"))
    assert "async_setup_services" not in _calls(_function(init, "async_setup_entry"))


@pytest.mark.parametrize("platform", [str(platform) for platform in PLATFORMS])
def test_parallel_updates(platform: str) -> None:
    """parallel-updates: every platform module sets PARALLEL_UPDATES."""
    _done("parallel-updates")
    names = {
        target.id
        for node in _tree(f"{platform}.py").body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert "PARALLEL_UPDATES" in names


def test_has_entity_name_and_diagnostics() -> None:
    """has-entity-name on the base entity; diagnostics.py has the entry's function."""
    _done("has-entity-name")
    _done("diagnostics")
    assert "_attr_has_entity_name = True" in (INTEGRATION / "entity.py").read_text()
    _function(_tree("diagnostics.py"), "async_get_config_entry_diagnostics")


def test_strict_typing() -> None:
    """strict-typing: the typed config entry alias is used, the client ships py.typed."""
    _done("strict-typing")
    assert (INTEGRATION / "client" / "py.typed").is_file()
    for platform in PLATFORMS:
        assert "EzlockConfigEntry" in (INTEGRATION / f"{platform}.py").read_text()
