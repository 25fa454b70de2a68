"""Run the firmware's unit tests under MicroPython's Unix port (pytest runs them too).

``micropython firmware/tests/run.py`` from the repository: prints one line per failure
and ends with ``N passed, N failed``; the exit status is 1 when any failed.
"""

import sys

_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
sys.path[:0] = [_HERE, _HERE + "/../lib", _HERE + "/../sim"]

MODULES = ("test_link", "test_parts")


def main() -> int:
    """Import each module and call its ``test_*`` functions."""
    passed = failed = 0
    for name in MODULES:
        module = __import__(name)
        for attribute in sorted(dir(module)):
            if not attribute.startswith("test_"):
                continue
            try:
                getattr(module, attribute)()
            except Exception as err:  # noqa: BLE001 - report every failure
                failed += 1
                print("FAILED", name + "." + attribute, repr(err))
                sys.print_exception(err)  # type: ignore[attr-defined]
            else:
                passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


sys.exit(main())
