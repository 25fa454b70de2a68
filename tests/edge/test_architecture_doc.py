"""docs/architecture.md describes the edge driver and the demo as built: modules, layers."""

from __future__ import annotations

from pathlib import Path
import re
import tomllib

import ezlock_edge

_ROOT = Path(__file__).resolve().parents[2]
_DOC = (_ROOT / "docs" / "architecture.md").read_text()
_PACKAGE = Path(ezlock_edge.__file__).parent

# Where each package's modules are described, and how they are named there.
_SECTIONS = {
    "core": "## Lock core",
    "api": "## Local API",
    "sim": "## Simulator",
}


def _section(heading: str) -> str:
    start = _DOC.index(heading)
    end = _DOC.find("\n## ", start + 1)
    return _DOC[start : end if end != -1 else None]


def _named(module: Path) -> tuple[str, str]:
    """Return (section text, the name it must use) for one module of the package."""
    relative = module.relative_to(_PACKAGE)
    package = relative.parts[0] if len(relative.parts) > 1 else ""
    if package in _SECTIONS:
        inner = relative.relative_to(package)
        name = f"{inner.parent}/" if inner.name == "__init__.py" else inner.as_posix()
        return _section(_SECTIONS[package]), name
    return _section("## Edge driver package"), relative.as_posix()


def test_every_module_of_the_edge_driver_is_described() -> None:
    missing = []
    for module in sorted(_PACKAGE.rglob("*.py")):
        if module.name == "__main__.py" or (
            module.name == "__init__.py" and module.parent.parent == _PACKAGE.parent
        ):
            continue
        if module.name == "__init__.py" and module.parent.parent == _PACKAGE:
            continue  # a layer's package: its modules are the ones described
        section, name = _named(module)
        if f"`{name}`" not in section:
            missing.append(str(module.relative_to(_PACKAGE)))
    assert missing == []


def test_the_layers_table_is_the_import_contract() -> None:
    config = tomllib.loads((_ROOT / "pyproject.toml").read_text())
    [contract] = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["id"] == "edge-layers"
    ]
    table = _DOC[_DOC.index("| layer | what it holds |") :].split("\n\n")[0]
    documented = [
        cell.replace("\\|", "|")
        for cell in re.findall(r"^\| `(.+?)` \|", table, flags=re.MULTILINE)
    ]
    assert documented == contract["layers"]


def test_every_module_of_the_demo_is_described_in_its_layers() -> None:
    section = _section("## Developer scripts (`scripts/`)")
    modules = sorted(
        m.name
        for m in (_ROOT / "scripts" / "demo").glob("*.py")
        if m.name != "__init__.py"
    )
    assert [m for m in modules if f"| `{m}` |" not in section] == []
    config = tomllib.loads((_ROOT / "pyproject.toml").read_text())
    [contract] = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["id"] == "demo-layers"
    ]
    layered = {name for layer in contract["layers"] for name in layer.split(" | ")}
    assert {m.removesuffix(".py") for m in modules} == layered


def test_every_module_of_the_integration_and_its_client_is_described() -> None:
    integration = _ROOT / "custom_components" / "ezlock"
    section = _section("## Home Assistant integration")
    client_at = section.index("### Client library")
    own, client = section[:client_at], section[client_at:]
    platforms = next(line for line in own.splitlines() if line.endswith("platforms"))
    missing = [
        module.name
        for module in sorted(integration.glob("*.py"))
        if module.name != "__init__.py"
        and f"`{module.name}`" not in own
        and module.stem not in platforms.split()
    ]
    missing += [
        f"client/{module.name}"
        for module in sorted((integration / "client").glob("*.py"))
        if module.name != "__init__.py" and f"`{module.name}`" not in client
    ]
    assert missing == []
