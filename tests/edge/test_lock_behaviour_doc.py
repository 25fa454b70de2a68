"""docs/lock-behaviour.md names code and tests that exist.

The doc's tables map each rule (L-20..L-67) and each change to the code that implements it
and the tests that prove it. After a refactor a stale name there sends a reader to nothing,
so every name in those tables is resolved here:

- code: a backticked dotted name, relative to ``ezlock_edge.core`` first, then to
  ``ezlock_edge``, then absolute (``ezlock_mcu.leds.Leds.flash``); a bare name right after
  one (`` `a.B.c`, `d` `` or `` ... and `d` ``, parentheses skipped) is another attribute of
  the same owner; a backticked path (``sim/panel``, ``firmware/lib/...``) must exist;
- tests: ``file.py::name``, ``::name`` (the cell's previous file), ``name_*`` globs, or
  ``file.py`` alone; a bare file is in tests/edge/, a path is from the repository's root;
- the module table's first column names core modules or packages that exist.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import dataclasses
import fnmatch
import importlib
import inspect
from pathlib import Path
import re
import textwrap
import types

import ezlock_edge

_ROOT = Path(__file__).resolve().parents[2]
_DOC = _ROOT / "docs" / "lock-behaviour.md"
_EDGE = Path(ezlock_edge.__file__).parent
_CORE = _EDGE / "core"

_TICKED = re.compile(r"`([^`]+)`")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_BARE = re.compile(r"[A-Za-z_]\w*")
_PATH = re.compile(r"[\w.-]+(?:/[\w.-]*)+")
# A bare name continues the reference before it when only ", " or " and " is between.
_CHAIN = re.compile(r"`([^`]+)`((?:(?:, | and )`[A-Za-z_]\w*`)*)")
_TEST = re.compile(r"(?P<file>[\w./-]*\.py)?(?:::(?P<name>[\w*\[\]-]+))?")


@dataclasses.dataclass(frozen=True)
class Table:
    """One table of the doc: its header cells and its rows' cells."""

    heading: str
    header: list[str]
    rows: list[list[str]]


def _tables() -> list[Table]:
    tables: list[Table] = []
    heading = ""
    lines = _DOC.read_text().splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            heading = line
        if (
            line.startswith("|")
            and index + 1 < len(lines)
            and lines[index + 1].startswith("|-")
        ):
            header = _cells(line)
            rows = []
            index += 2
            while index < len(lines) and lines[index].startswith("|"):
                rows.append(_cells(lines[index]))
                index += 1
            tables.append(Table(heading, header, rows))
            continue
        index += 1
    return tables


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _column(name: str) -> Iterator[tuple[str, str]]:
    """Yield (where, cell) for every row's cell in the columns called `name`."""
    for table in _tables():
        if name not in table.header:
            continue
        column = table.header.index(name)
        for row in table.rows:
            yield f"{table.heading} / {row[0]}", row[column]


def _outside_parentheses(cell: str) -> str:
    """Return the cell with every parenthesised part (and its ticks) removed."""
    kept = []
    depth = 0
    ticked = False
    for char in cell:
        if char == "`":
            ticked = not ticked
        if not ticked and char == "(":
            depth += 1
        elif not ticked and char == ")" and depth:
            depth -= 1
        elif depth == 0:
            kept.append(char)
    return re.sub(r" +", " ", "".join(kept)).replace(" ,", ",")


def _code_references(cell: str) -> Iterator[str]:
    """Yield the dotted names and paths a code cell refers to, continuations expanded."""
    for token in _TICKED.findall(cell):
        if _DOTTED.fullmatch(token) or _PATH.fullmatch(token):
            yield token
    for first, rest in _CHAIN.findall(_outside_parentheses(cell)):
        if not _DOTTED.fullmatch(first) or not rest:
            continue
        owner = first.rsplit(".", 1)[0]
        for name in _TICKED.findall(rest):
            yield f"{owner}.{name}"


def _module(dotted: str) -> tuple[types.ModuleType, list[str]] | None:
    """Import the longest module prefix of `dotted`; return it and the attributes after it."""
    parts = dotted.split(".")
    for base in ("ezlock_edge.core.", "ezlock_edge.", ""):
        for length in range(len(parts), 0, -1):
            name = base + ".".join(parts[:length])
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            return module, parts[length:]
    return None


def _has(owner: object, name: str) -> bool:
    """Whether `name` is an attribute of `owner`, instance attributes of a class included."""
    if hasattr(owner, name):
        return True
    if not inspect.isclass(owner):
        return False
    for klass in owner.__mro__:
        if name in inspect.get_annotations(klass):
            return True
        if dataclasses.is_dataclass(klass) and name in {
            f.name for f in dataclasses.fields(klass)
        }:
            return True
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except OSError, TypeError:
            continue
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
                and node.attr == name
            ):
                return True
    return False


def _resolves(reference: str) -> bool:
    if "/" in reference:
        stem = reference.rstrip("/")
        return any(
            (base / stem).exists() or (base / f"{stem}.py").exists()
            for base in (_ROOT, _EDGE, _CORE)
        )
    found = _module(reference)
    if found is None:
        return False
    owner: object = found[0]
    for name in found[1]:
        if not _has(owner, name):
            return False
        owner = getattr(owner, name, None)
    return True


def _test_names(file: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef
        ) and node.name.startswith("test"):
            names.add(node.name)
    return names


def _test_file(name: str) -> Path:
    return _ROOT / name if "/" in name else _ROOT / "tests" / "edge" / name


def _test_problems(cell: str) -> Iterator[str]:
    """Yield each test reference of a tests cell that names no file or no test."""
    file: str | None = None
    for token in _TICKED.findall(cell):
        match = _TEST.fullmatch(token)
        if match is None or not (match["file"] or match["name"]):
            continue  # a value in the prose (`timeout`), not a test
        if match["file"]:
            file = match["file"]
            if not _test_file(file).is_file():
                yield f"{token}: no file {_test_file(file).relative_to(_ROOT)}"
                continue
        if match["name"] is None:
            continue
        if file is None:
            yield f"{token}: no file before it in its cell"
            continue
        path = _test_file(file)
        if path.is_file() and not fnmatch.filter(_test_names(path), match["name"]):
            yield f"{token}: no test {match['name']} in {file}"


def test_the_doc_has_the_tables_this_test_reads() -> None:
    assert sum(1 for _ in _column("code")) >= 40
    assert sum(1 for _ in _column("tests")) >= 40
    assert sum(1 for _ in _column("module")) > 10


def test_every_code_reference_in_the_tables_exists() -> None:
    stale = [
        f"{where}: `{reference}`"
        for where, cell in _column("code")
        for reference in _code_references(cell)
        if not _resolves(reference)
    ]
    assert stale == []


def test_every_test_reference_in_the_tables_exists() -> None:
    stale = [
        f"{where}: {problem}"
        for where, cell in _column("tests")
        for problem in _test_problems(cell)
    ]
    assert stale == []


def test_every_module_in_the_module_table_exists() -> None:
    missing = [
        name
        for _, cell in _column("module")
        for name in _TICKED.findall(cell)
        if not (_CORE / name.rstrip("/")).exists()
        and not any((_CORE / folder / name).exists() for folder in ("store", "models"))
    ]
    assert missing == []
