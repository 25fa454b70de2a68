"""The Pico's entry point: build the controller from board.py and run its main loop.

A watchdog resets the RP2040 if a pass hangs for 2 s. Any exception stops the motor and
the siren, is written to /fault.txt and resets the board: a clean restart, after which
the controller reports its battery again and continues the event numbers after the
block it had reserved. Hold the rear lock button while powering up to skip the
firmware (maintenance: the REPL stays free for mpremote).
"""

import sys
import time

import board
import machine


def _maintenance() -> bool:
    button = machine.Pin(board.LOCK_BUTTON, machine.Pin.IN, machine.Pin.PULL_UP)
    return button.value() == 0


def _record(err: BaseException) -> None:
    try:
        with open("/fault.txt", "w") as file:
            sys.print_exception(err, file)
    except OSError:
        pass
    sys.print_exception(err)


def main() -> None:
    """Run until a fault; then stop what moves and reset."""
    controller = None
    try:
        controller = board.build()
        controller.start(time.ticks_ms())
        for fault in controller.faults:
            print("ezlock: part missing:", fault)
        while True:
            wait = controller.step(time.ticks_ms())
            time.sleep_ms(min(wait, 5))  # the UART's ring buffer covers 5 ms easily
    except Exception as err:  # noqa: BLE001 - a fault anywhere must stop the motor
        if controller is not None:
            controller.shutdown()
        _record(err)
        time.sleep_ms(100)
        machine.reset()


if _maintenance():
    print("ezlock: lock button held at power-up: firmware not started")
else:
    main()
