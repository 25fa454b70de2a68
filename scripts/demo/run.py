"""The demo's run: start the programs, set up day one, print the banner, wait, stop."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict
import json
from pathlib import Path
import signal

import aiohttp

from .day_one import STARTUP_TIMEOUT, DemoInfo, Ports, set_up
from .directory import prepare
from .processes import Child
from .programs import edge_ports, held_port, start_edge, start_home_assistant

_HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30)


async def run(
    base: Path, ha_port: int, edge_port: int, sim_port: int, sim_clock: str
) -> int:
    """Start, set up, wait for Ctrl-C or a child exiting, stop (0 means any port).

    ``base`` is an absolute path: the programs run with it as their directory.
    """
    prepare(base)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    children: list[Child] = []
    try:
        with held_port(ha_port) as ha_bound:
            edge = await start_edge(base, edge_port, sim_port, sim_clock)
            children.append(edge)
            children.append(await start_home_assistant(base, ha_bound))

            async with aiohttp.ClientSession(timeout=_HTTP_TIMEOUT) as http:

                async def started_and_set_up() -> DemoInfo:
                    api, sim = await edge_ports(edge, STARTUP_TIMEOUT)
                    return await set_up(http, Ports(ha_bound, api, sim))

                setup = asyncio.create_task(started_and_set_up())
                waits = [asyncio.create_task(stop.wait()), setup]
                waits += [asyncio.create_task(c.process.wait()) for c in children]
                done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                if setup not in done:
                    setup.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await setup
                    return _ended(children, stop)
                info = setup.result()
                (base / "demo.json").write_text(
                    json.dumps(asdict(info), indent=2) + "\n"
                )
                print(banner(info, base), flush=True)
                done, _ = await asyncio.wait(
                    waits[:1] + waits[2:], return_when=asyncio.FIRST_COMPLETED
                )
                return _ended(children, stop)
    finally:
        print("demo: stopping")
        # Home Assistant first, so it does not spend its last seconds reconnecting.
        for child in reversed(children):
            await child.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def banner(info: DemoInfo, base: Path) -> str:
    """Say where to look, for the person who ran the demo."""
    return f"""
  ezlock demo is ready (everything on loopback; files in {base})

  Home Assistant   {info.home_assistant}
                   log in as {info.username} / {info.password}
  the lock in HA   {info.home_assistant}/config/devices/device/{info.device_id}
  front panel      {info.panel}
                   {info.lock_user} (admin) opens with password {info.lock_password}
  edge driver API  {info.edge_api}

  Remote unlock is on, so the lock opens from Home Assistant too. Ctrl-C stops it all.
"""


def _ended(children: list[Child], stop: asyncio.Event) -> int:
    if stop.is_set():
        return 0
    for child in children:
        if child.process.returncode is not None:
            print(
                f"demo: {child.name} exited with {child.process.returncode}; "
                f"see {child.log}"
            )
    return 1
