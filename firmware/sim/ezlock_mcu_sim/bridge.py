"""Run the simulated board under MicroPython's Unix port, driven over stdin / stdout.

``micropython -m ezlock_mcu_sim.bridge`` reads one JSON message per line (the
messages of ``board.SimBoard.handle``; ``boot`` powers a new controller up, ``stats``
reports the heap) and answers each with one JSON line. Byte strings travel as hex.
The edge driver's simulator starts it for ``SimulatedLock(firmware="micropython")``,
so the firmware's logic runs on MicroPython itself, fed by the same physics.
"""

import binascii
import gc
import json
import sys

from ezlock_mcu_sim.board import SimBoard


def _in_use() -> int:
    return gc.mem_alloc()  # type: ignore[attr-defined,no-any-return]  # MicroPython gc


def _free() -> int:
    return gc.mem_free()  # type: ignore[attr-defined,no-any-return]


def _answer(reply: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(reply))
    sys.stdout.write("\n")
    sys.stdout.flush()


def main() -> None:
    """Serve messages until stdin closes."""
    board = None
    peak = 0
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        message = json.loads(line)
        op = message["op"]
        if op == "boot":
            board = None
            gc.collect()
            base = _in_use()
            board = SimBoard(message)
            gc.collect()
            reply = board.handle({"op": "step", "t": message["t"]})
            reply["ram_after_start"] = _in_use() - base
        elif op == "stats":
            gc.collect()
            reply = {"mem_alloc": _in_use(), "mem_free": _free(), "peak": peak}
            _answer(reply)
            continue
        elif board is None:
            reply = {"error": "not booted"}
            _answer(reply)
            continue
        else:
            if op == "rx":
                message["data"] = binascii.unhexlify(message["data"])
            reply = board.handle(message)
        peak = max(peak, _in_use())
        reply["tx"] = binascii.hexlify(reply["tx"]).decode()
        _answer(reply)


main()
