"""Measure the firmware's RAM on MicroPython's Unix port (docs/hardware.md quotes it).

``micropython firmware/tests/ram.py``: heap in use after power-up, and the peak while
the event buffer fills to its 1024 events and the keypad, motor and link run. The
numbers include the simulated parts (a few kB) and are an upper bound for the Pico.
"""

import gc
import json
import sys

_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
sys.path[:0] = [_HERE, _HERE + "/../lib", _HERE + "/../sim"]

gc.collect()
modules = gc.mem_alloc()
from ezlock_mcu import wire
from support import Host

gc.collect()
imported = gc.mem_alloc()
host = Host()
gc.collect()
started = gc.mem_alloc()
peak = started
for round_ in range(2200):  # fill the 1024-event buffer and overflow it
    host.input("lock_button", round_ % 2 == 0)
    peak = max(peak, gc.mem_alloc())
host.request(1, b"\x01\x01")
for index in range(50):
    host.touch(0, 1 << (index % 12))
    host.touch(0, 0)
    host.request(2 + index % 200, b"\x02")
    peak = max(peak, gc.mem_alloc())
host.request(9, b"\x11\x01")
host.advance(3500)
peak = max(peak, gc.mem_alloc())
gc.collect()
full = gc.mem_alloc()
print(
    json.dumps(
        {
            "code_and_imports": imported - modules,
            "after_start": started - imported,
            "with_full_event_buffer": full - imported,
            "peak_before_collection": peak - imported,
            "events_buffered": host.board.controller.events.count,
            "wire_frames_bytes": len(wire.encode_frame(wire.EVENT, 1, bytes(40))),
        }
    )
)
