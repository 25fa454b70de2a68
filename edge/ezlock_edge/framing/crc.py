"""CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR).

Used by the MCU link. Check value: ``crc16(b"123456789") == 0x29B1``. The standard
library computes it in C (``binascii.crc_hqx`` is this CRC from a given start value):
the pure-Python table loop it replaces cost about 3 µs per frame.
"""

from __future__ import annotations

import binascii


def crc16(data: bytes | bytearray | memoryview, crc: int = 0xFFFF) -> int:
    """Return the CRC of ``data``; pass a previous result as ``crc`` to continue it."""
    return binascii.crc_hqx(data, crc)
