"""A person at a simulated lock that runs in another process, through ``/sim/v1``.

Needs aiohttp (the edge package's ``remote`` extra), which a running lock does not.

The demo (scripts/demo/day_one.py) and the benchmarks start the simulator as a program of its
own and drive it over its HTTP control surface (docs/simulator.md). What they do there,
the first administrator at the keypad (L-26) above all, is written once, here. Tests
with the simulator in their own process use ``tests.support.lock`` on the object itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from .errors import SimulationError

STEP_TIMEOUT = 30.0
"""Seconds the lock may take to say what a step waits for before it is an error."""
POLL = 0.05
"""Seconds between two looks at the panel while waiting for a prompt."""


class RemoteSimulatedLock:
    """The simulated lock as a person meets it, reached over its control surface."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Talk to the simulator at ``url`` (``http://127.0.0.1:<sim port>``)."""
        self._session = session
        self._url = url.rstrip("/")
        self._heard = 0

    async def act(self, action: str, **body: Any) -> None:
        """Do ``action`` to the lock; :class:`SimulationError` if it is refused."""
        async with self._session.post(
            f"{self._url}/sim/v1/{action}", json=body
        ) as reply:
            if reply.status != 200:
                raise SimulationError(
                    f"the simulator refused {action}: {await reply.text()}"
                )

    async def look(self, what: str) -> dict[str, Any]:
        """Read the ``label`` sticker or look at the ``panel``."""
        async with self._session.get(f"{self._url}/sim/v1/{what}") as reply:
            reply.raise_for_status()
            result: dict[str, Any] = await reply.json()
            return result

    async def hear(self, prompt: str, within: float = STEP_TIMEOUT) -> None:
        """Wait until the lock says ``prompt``, after everything heard so far."""
        try:
            async with asyncio.timeout(within):
                while True:
                    prompts = [
                        p["prompt"] for p in (await self.look("panel"))["prompts"]
                    ]
                    if prompt in prompts[self._heard :]:
                        self._heard += prompts[self._heard :].index(prompt) + 1
                        return
                    await asyncio.sleep(POLL)
        except TimeoutError:
            raise SimulationError(
                f"the lock did not say {prompt!r} within {within:.0f} s"
            ) from None

    async def skip_heard(self) -> None:
        """Forget what was said before now."""
        self._heard = len((await self.look("panel"))["prompts"])

    async def create_first_admin(self, password: str) -> None:
        """Follow the manual's initial state: touch, confirm, the password twice (L-26).

        Each step waits for the prompt that asks for the next, and the whole returns
        once the lock said "success": the admin and the password are stored then.
        """
        await self.skip_heard()
        await self.act("keypad", keys=[])
        await self.hear("welcome_add_admin")
        await self.act("keypad", keys=["confirm"])
        await self.hear("enter_password")
        await self.act("keypad", keys=[*password, "confirm"])
        await self.hear("enter_password_again")
        await self.act("keypad", keys=[*password, "confirm"])
        await self.hear("success")
