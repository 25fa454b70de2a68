"""CRC-16/CCITT-FALSE used by the MCU link."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from ezlock_edge.framing.crc import crc16

RELAXED = settings(deadline=None)
"""Fast, but a loaded CI machine must not turn timing into a failure."""


def test_standard_check_value() -> None:
    """The catalogued check value of CRC-16/CCITT-FALSE over "123456789"."""
    assert crc16(b"123456789") == 0x29B1
    assert crc16(b"") == 0xFFFF


@RELAXED
@given(st.binary(), st.binary())
def test_incremental_equals_whole(first: bytes, second: bytes) -> None:
    """A CRC continued over a second chunk equals the CRC of both at once."""
    assert crc16(second, crc16(first)) == crc16(first + second)


@RELAXED
@given(st.binary(min_size=1), st.integers(min_value=0, max_value=7), st.data())
def test_detects_any_single_bit_flip(
    data: bytes, bit: int, draw: st.DataObject
) -> None:
    """Line noise flipping one bit always changes the CRC."""
    index = draw.draw(st.integers(min_value=0, max_value=len(data) - 1))
    flipped = bytearray(data)
    flipped[index] ^= 1 << bit
    assert crc16(bytes(flipped)) != crc16(data)
