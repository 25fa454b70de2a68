"""The instruction tables of docs/serial-protocol.md say what the code does.

Each module's table has a "simulator" and a "driver" column. The simulator's column is
checked against the set of codes each simulated module answers (the same sets the
literal-vector tests cover, test_sim_ef01_manual.py / test_sim_efaa_protocol.py); the
driver's against the codes the driver's device and protocol modules name (their
``Instruction.*`` / ``MsgId.*``), so a row that claims "yes" for code nobody wrote, or
an instruction used without its row, fails here.
"""

from __future__ import annotations

from pathlib import Path
import random
import re

from ezlock_edge.framing.ef01 import Instruction
from ezlock_edge.framing.efaa import MsgId
from ezlock_edge.sim.biometric import BiometricModule
from ezlock_edge.sim.fingerprint import FingerprintModule
from ezlock_edge.sim.templates import TemplateLibrary
from ezlock_edge.vocabulary.mcu import Sensor

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "serial-protocol.md"
EDGE = ROOT / "edge" / "ezlock_edge"


def _section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _rows(section: str, header: str) -> list[dict[str, str]]:
    """Return the rows of the table whose header starts with ``header``."""
    lines = section.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(header))
    names = [cell.strip() for cell in lines[first].strip("|").split("|")]
    rows = []
    for line in lines[first + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows.append(dict(zip(names, cells, strict=True)))
    return rows


def _yes(cell: str) -> bool:
    return cell.startswith("yes")


def _named(enum: type[Instruction | MsgId], *modules: str) -> set[int]:
    """Return the codes of ``enum`` the driver's ``modules`` name."""
    source = "".join((EDGE / module).read_text(encoding="utf-8") for module in modules)
    names = set(re.findall(rf"\b{enum.__name__}\.([A-Z][A-Z0-9_]*)\b", source))
    return {enum[name].value for name in names}


def test_fingerprint_table() -> None:
    """Section 2: simulator and driver columns against the code."""
    rows = _rows(_section("2. Fingerprint module"), "| code |")
    codes = [int(row["code"], 16) for row in rows]
    assert len(set(codes)) == len(codes)
    module = FingerprintModule(TemplateLibrary(), random.Random(0), send=print)
    simulated = {int(r["code"], 16) for r in rows if _yes(r["simulator"])}
    assert simulated == module.instructions
    driven = {int(r["code"], 16) for r in rows if _yes(r["driver"])}
    assert driven == _named(Instruction, "devices/fingerprint.py", "protocol/ef01.py")


def test_face_and_palm_table() -> None:
    """Section 3: rows marked (face) or (*palm*) belong to that module only."""
    rows = _rows(_section("3. Face and palm-vein modules"), "| id |")
    ids = [int(row["id"], 16) for row in rows]
    assert len(set(ids)) == len(ids)
    for kind, other in ((Sensor.FACE, "(*palm*)"), (Sensor.PALM, "(face)")):
        module = BiometricModule(kind, TemplateLibrary(), send=print)
        answered = {
            int(r["id"], 16)
            for r in rows
            if _yes(r["simulator"]) and other not in r["name"]
        }
        assert answered == module.commands, kind
    driven = {int(r["id"], 16) for r in rows if _yes(r["driver"])}
    named = _named(MsgId, "devices/biometric.py", "protocol/efaa.py")
    assert driven == named - {MsgId.REPLY, MsgId.NOTE}
