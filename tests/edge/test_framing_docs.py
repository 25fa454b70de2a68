"""Every worked hex example in docs/serial-protocol.md is a valid frame.

Firmware authors copy these bytes; a wrong checksum in the document would cost them
an afternoon.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import re
from typing import Protocol

from ezlock_edge.framing import ef01, efaa, mcu

DOC = Path(__file__).parents[2] / "docs" / "serial-protocol.md"
_BYTE = r"(?:[0-9A-F]{2}|\(\d+ x 00\))"
_FRAME = re.compile(rf"(?:A5 5A|EF 01|EF AA)(?: {_BYTE})+")
_RUN = re.compile(r"\((\d+) x 00\)")


class _Frame(Protocol):
    def encode(self) -> bytes: ...


_DECODERS: dict[bytes, Callable[[bytes], _Frame]] = {
    b"\xa5\x5a": mcu.McuFrame.decode,
    b"\xef\x01": ef01.Ef01Packet.decode,
    b"\xef\xaa": efaa.EfaaFrame.decode,
}


def _examples() -> list[bytes]:
    frames = []
    for block in DOC.read_text().split("```")[1::2]:
        for match in _FRAME.finditer(block):
            text = _RUN.sub(
                lambda run: " ".join(["00"] * int(run.group(1))), match.group()
            )
            frames.append(bytes.fromhex(text))
    return frames


def test_worked_examples_decode() -> None:
    """All examples of all three links decode and re-encode to the same bytes."""
    examples = _examples()
    assert {frame[:2] for frame in examples} == set(_DECODERS)
    assert len(examples) > 50
    for frame in examples:
        assert _DECODERS[frame[:2]](frame).encode() == frame, frame.hex(" ")
