"""``python -m benchmarks [--quick] [--only NAME ...]``: run and print one JSON document."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Any

from .cases import BENCHMARKS, FULL, QUICK


def _run_one(name: str, quick: bool) -> dict[str, Any]:
    """Run one benchmark in this process (Home Assistant boots once per process)."""
    with tempfile.TemporaryDirectory(prefix=f"ezlock-bench-{name}-") as tmp:
        started = time.perf_counter()
        try:
            result = asyncio.run(BENCHMARKS[name](Path(tmp), QUICK if quick else FULL))
        except Exception:  # noqa: BLE001 -- reported, then the run fails
            # Home Assistant logs uncaught exceptions through its logger, which the
            # benchmark keeps quiet: say what went wrong here.
            traceback.print_exc()
            raise SystemExit(f"benchmarks: {name} failed") from None
        print(
            f"benchmarks: {name} done in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        return result


def _run_each(names: list[str], quick: bool) -> dict[str, Any]:
    """Run every benchmark in a fresh process, so memory figures are its own."""
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "quick": quick,
    }
    for name in names:
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks", "--only", name]
            + (["--quick"] if quick else []),
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        results.update(json.loads(child.stdout))
    return results


def main() -> None:
    """Parse the arguments, run the benchmarks, print JSON on stdout."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: a smoke test, not a measure"
    )
    parser.add_argument(
        "--only", nargs="+", choices=sorted(BENCHMARKS), help="run just these"
    )
    args = parser.parse_args()
    names = args.only or list(BENCHMARKS)
    if len(names) == 1:
        results = _run_one(names[0], args.quick)
    else:
        results = _run_each(names, args.quick)
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")


main()
