"""ezlock lock-controller firmware: the MCU end of the A5 5A link (docs/serial-protocol.md).

Portable Python: the same modules run on the Raspberry Pi Pico (MicroPython), under
MicroPython's Unix port and under CPython, where the edge driver's simulator runs them
on simulated pins. Hardware is reached only through the small drivers in ``hal``.
"""

FIRMWARE_VERSION = "1.1.0"
# 1.1.0: HELLO's event window and option 01 (BOLT reports say what moved the bolt),
# OLDEST_EVENT (docs/serial-protocol.md). Reported in HELLO's answer: the driver's
# GET /info "firmware", its zeroconf "fw" and Home Assistant's device sw_version.
