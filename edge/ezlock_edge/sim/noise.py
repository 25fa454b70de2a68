"""Line noise on a simulated UART: bytes flipped, dropped or duplicated at a chosen rate.

The random source is seeded per link so a failing test can be replayed byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
import random


@dataclass(slots=True)
class NoiseStats:
    """How many bytes the noise has damaged so far on one link (both directions)."""

    flipped: int = 0
    dropped: int = 0
    duplicated: int = 0

    @property
    def total(self) -> int:
        """Bytes damaged in any way."""
        return self.flipped + self.dropped + self.duplicated


class LineNoise:
    """Damages each byte that crosses the link with probability ``rate``.

    A damaged byte is, with equal odds, flipped (one random bit inverted), dropped or
    duplicated, which are the faults a long, badly shielded UART cable produces.
    """

    def __init__(self, rng: random.Random) -> None:
        """Start quiet (rate 0) with the given random source."""
        self._rng = rng
        self._rate = 0.0
        self.stats = NoiseStats()

    @property
    def rate(self) -> float:
        """Probability that one byte is damaged, 0..1."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"noise rate must be within 0..1, not {value}")
        self._rate = value

    def apply(self, data: bytes) -> bytes:
        """Return ``data`` as it arrives at the other end of the cable."""
        if self._rate == 0.0:
            return data
        out = bytearray()
        for byte in data:
            if self._rng.random() >= self._rate:
                out.append(byte)
                continue
            fault = self._rng.randrange(3)
            if fault == 0:
                out.append(byte ^ (1 << self._rng.randrange(8)))
                self.stats.flipped += 1
            elif fault == 1:
                self.stats.dropped += 1
            else:
                out += bytes((byte, byte))
                self.stats.duplicated += 1
        return bytes(out)
