"""Day one, as a person does it: the HA owner, the lock's first admin, pairing, a name.

Each step goes through a door a person uses: the keypad and the sticker of the
simulated lock (:class:`RemoteSimulatedLock`), Home Assistant's onboarding, config-flow
and action APIs (:class:`HomeAssistantClient`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp

from ezlock_edge.sim.remote import RemoteSimulatedLock

from .errors import DemoError
from .home_assistant import HomeAssistantClient
from .waiting import wait_until

OWNER_NAME = "Demo Owner"
OWNER_USERNAME = "demo"
OWNER_PASSWORD = "ezlock-demo"  # noqa: S105 -- a published demo login on loopback
ADMIN_PASSWORD = "258036"  # noqa: S105 -- not sequential, not repeated (L-25)
ADMIN_NAME = "Alice"
"""The keypad names the first admin "User 001"; the demo renames her from HA."""

STARTUP_TIMEOUT = 180.0
STEP_TIMEOUT = 30.0
PAIRING_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Ports:
    """Where the programs listen on loopback."""

    home_assistant: int
    edge: int
    sim: int


@dataclass(frozen=True, slots=True)
class DemoInfo:
    """Where to look, written to ``demo.json`` once everything is up."""

    home_assistant: str
    username: str
    password: str
    panel: str
    edge_api: str
    lock_password: str
    lock_user: str
    device_id: str
    lock_entity: str
    access_entity: str


async def set_up(http: aiohttp.ClientSession, ports: Ports) -> DemoInfo:
    """Everything after the programs started: owner, first admin, pairing."""
    lock = RemoteSimulatedLock(http, f"http://127.0.0.1:{ports.sim}")
    ha = HomeAssistantClient(http, f"http://127.0.0.1:{ports.home_assistant}")

    async def lock_up() -> bool:
        return bool(await lock.look("label"))

    await wait_until(lock_up, "the simulated lock", STARTUP_TIMEOUT)
    print("demo: creating the lock's first administrator on the keypad")
    await lock.create_first_admin(ADMIN_PASSWORD)

    async def ha_up() -> bool:
        return bool(await ha.onboarding_steps())

    await wait_until(ha_up, "Home Assistant", STARTUP_TIMEOUT)
    print("demo: onboarding the demo owner in Home Assistant")
    await ha.onboard(OWNER_NAME, OWNER_USERNAME, OWNER_PASSWORD)
    # The loopback address and port came from YAML, which Home Assistant moves to its
    # storage as a trial it reverts in 5 minutes unless confirmed: confirm it, as its
    # "Confirm new HTTP server configuration" dialog does.
    await ha.websocket_command({"type": "http/config/promote"})
    print("demo: pairing the lock (SET held, code from the label)")
    entry = await pair(ha, lock, ports.edge)
    found = await find_entities(ha, entry["entry_id"])
    await ha.call_service(
        "ezlock",
        "set_lock_user",
        entity_id=found["lock"],
        user_number=1,
        name=ADMIN_NAME,
    )
    await ha.call_service("switch", "turn_on", entity_id=found["remote_unlock"])

    async def remote_unlock_on() -> bool:
        state = await ha.state(found["remote_unlock"])
        return state is not None and state["state"] == "on"

    await wait_until(remote_unlock_on, "remote unlock to switch on", STEP_TIMEOUT)
    return DemoInfo(
        home_assistant=ha.url,
        username=OWNER_USERNAME,
        password=OWNER_PASSWORD,
        panel=f"http://127.0.0.1:{ports.sim}/",
        edge_api=f"https://127.0.0.1:{ports.edge}/api/v1/info",
        lock_password=ADMIN_PASSWORD,
        lock_user=ADMIN_NAME,
        device_id=found["device_id"],
        lock_entity=found["lock"],
        access_entity=found["access"],
    )


async def pair(
    ha: HomeAssistantClient, lock: RemoteSimulatedLock, edge_port: int
) -> dict[str, Any]:
    """Add the lock through the integration's config flow; return the created entry.

    The flow asks for the host and port, waits for the pairing window, then asks for
    the verification code: the demo answers each form from what a person has at hand
    (the address, the SET button, the sticker), whatever order the steps come in.
    """
    label = await lock.look("label")
    answers = {
        "host": "127.0.0.1",
        "port": edge_port,
        "verification_code": label["verification_code"],
    }
    pressed_set = False
    result = await ha.start_flow("ezlock")
    try:
        async with asyncio.timeout(PAIRING_TIMEOUT):
            while (kind := result["type"]) != "create_entry":
                if kind == "abort":
                    raise DemoError(f"pairing aborted: {result.get('reason')}")
                if errors := result.get("errors"):
                    raise DemoError(
                        f"pairing step {result['step_id']} failed: {errors}"
                    )
                fields = [field["name"] for field in result.get("data_schema") or []]
                # Any step past the address needs the pairing window: hold SET (L-65).
                if not pressed_set and "host" not in fields:
                    await lock.act("set_button", press="long")
                    pressed_set = True
                if kind == "progress":
                    await asyncio.sleep(0.2)
                    result = await ha.flow_step(result["flow_id"], None)
                    continue
                if kind != "form":
                    raise DemoError(f"unexpected flow result {kind!r}")
                schema = result.get("data_schema") or []
                unknown = [
                    field["name"]
                    for field in schema
                    if field["name"] not in answers and field.get("required")
                ]
                if unknown:
                    raise DemoError(f"step {result['step_id']} asks for {unknown}")
                # An optional field the demo has no answer for keeps its default.
                result = await ha.flow_step(
                    result["flow_id"],
                    {name: answers[name] for name in fields if name in answers},
                )
    except TimeoutError:
        raise DemoError(f"pairing took over {PAIRING_TIMEOUT:.0f} s") from None
    return dict(result["result"])


async def find_entities(ha: HomeAssistantClient, entry_id: str) -> dict[str, str]:
    """Find the paired lock's device and the entities the demo and e2e test use."""
    registry = await ha.websocket_command({"type": "config/entity_registry/list"})
    ours = [e for e in registry if e.get("config_entry_id") == entry_id]

    def one(domain: str, translation_key: str | None) -> dict[str, Any]:
        for entity in ours:
            if (
                entity["entity_id"].startswith(f"{domain}.")
                and entity.get("translation_key") == translation_key
            ):
                return dict(entity)
        raise DemoError(f"the paired lock has no {domain} {translation_key} entity")

    lock = one("lock", None)
    return {
        "device_id": lock["device_id"],
        "lock": lock["entity_id"],
        "access": one("event", "access")["entity_id"],
        "remote_unlock": one("switch", "remote_unlock")["entity_id"],
    }
