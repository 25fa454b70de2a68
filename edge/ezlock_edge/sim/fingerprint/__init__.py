"""A virtual R503-style fingerprint module: the instruction set of the R503 User Manual.

The manual (Hangzhou Grow, "R503/R503-M22 Fingerprint Module User Manual", V1.4.1,
chapter V "Module Instruction System") defines each instruction's parameters, its
acknowledge package and confirmation codes; this module answers every instruction of its
instruction table with those lengths and codes (``docs/serial-protocol.md`` lists them
with the manual's page). Packages go through the module's own codec
(:mod:`ezlock_edge.sim.ef01_wire`).

What a real module keeps in flash is kept in ``state_path`` (templates in their own
library file): the password, the module address, the system parameters and the notepad.
RAM (the image buffer, the six char buffers, whether the password was verified) is lost at
power-off and at SoftRst. After power-on and after SoftRst the module sends ``55``.

One module per job: :mod:`.module` (``FingerprintModule``: packages in, each instruction
handed to its handler), the instructions by kind (:mod:`.system`, :mod:`.processing`,
:mod:`.automatic` for AutoEnroll / AutoIdentify, :mod:`.information`) over
:mod:`.state` (flash, library and RAM; how an instruction answers), :mod:`.flash` (the
flash file), :mod:`.images` (simulated images and character files) and :mod:`.codes`
(the manual's numbers).
"""

from __future__ import annotations

from .codes import AUTO_TIMEOUT, CHAR_SIZE, IMAGE_SIZE, LIBRARY_PAGES
from .images import char_file, image_of
from .module import FingerprintModule

__all__ = [
    "AUTO_TIMEOUT",
    "CHAR_SIZE",
    "IMAGE_SIZE",
    "LIBRARY_PAGES",
    "FingerprintModule",
    "char_file",
    "image_of",
]
