"""The demo's command line: ``python -m scripts.demo`` (``scripts/develop --demo``)."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
import sys

from ezlock_edge.sim.errors import SimulationError

from . import __doc__ as about
from .directory import ROOT
from .errors import DemoError
from .run import run


def main() -> int:
    """Parse the command line and run the demo."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.demo", description=(about or "").split("\n\n")[0]
    )
    parser.add_argument(
        "--base-dir",
        type=Path,
        default=ROOT / ".ezlock" / "demo",
        help="throwaway directory for Home Assistant and the edge driver (wiped)",
    )
    any_port = " (0: any free port)"
    parser.add_argument(
        "--ha-port",
        type=int,
        default=int(os.environ.get("EZLOCK_HA_PORT", "8123")),
        help="Home Assistant's port" + any_port,
    )
    parser.add_argument(
        "--edge-port",
        type=int,
        default=int(os.environ.get("EZLOCK_PORT", "8765")),
        help="the edge driver API's port" + any_port,
    )
    parser.add_argument(
        "--sim-port",
        type=int,
        default=int(os.environ.get("EZLOCK_SIM_PORT", "8766")),
        help="the simulated lock's front panel and /sim/v1 control" + any_port,
    )
    parser.add_argument(
        "--sim-clock",
        choices=("real", "manual"),
        default="real",
        help="the simulated lock's clock: real, or manual (moved with POST"
        " /sim/v1/clock, the front panel's skip buttons)",
    )
    args = parser.parse_args()
    try:
        return asyncio.run(
            run(
                args.base_dir,
                args.ha_port,
                args.edge_port,
                args.sim_port,
                args.sim_clock,
            )
        )
    except (DemoError, SimulationError) as err:
        print(f"demo: {err} (logs in {args.base_dir})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
