"""One-command demo: ezlock on the simulated lock, paired with a fresh Home Assistant.

``scripts/develop --demo`` runs this. It starts the edge driver on simulated hardware
and Home Assistant with the integration, both on loopback, in a throwaway directory,
then does what a person would do on day one, through the same doors a person uses:

1. onboards a demo owner account in Home Assistant (its onboarding REST API);
2. creates the lock's first administrator on the simulated keypad (the manual's
   initial-state flow, L-26), listening to the voice prompts at each step;
3. adds the lock through the integration's real config flow (HA's config-entry flow
   REST API): SET held on the rear panel opens the pairing window (L-65) and the
   verification code is read from the sticker (L-64);
4. names the lock's first user from Home Assistant (``ezlock.set_lock_user``) and
   switches remote unlock on (L-43), so the lock opens from Home Assistant's UI;

then prints where to look and waits. Ctrl-C (SIGINT) or SIGTERM stops everything.
When it is ready it also writes ``demo.json`` into its directory, for the e2e test.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import asdict, dataclass
import itertools
import json
import os
from pathlib import Path
import shutil
import signal
import sys
from typing import Any

import aiohttp

from ezlock_edge.sim.errors import SimulationError
from ezlock_edge.sim.remote import RemoteSimulatedLock

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MARKER = ".ezlock-demo"
"""A directory is only ever wiped if this file says the demo made it."""

OWNER_NAME = "Demo Owner"
OWNER_USERNAME = "demo"
OWNER_PASSWORD = "ezlock-demo"  # noqa: S105 -- a published demo login on loopback
ADMIN_PASSWORD = "258036"  # noqa: S105 -- not sequential, not repeated (L-25)
ADMIN_NAME = "Alice"
"""The keypad names the first admin "User 001"; the demo renames her from HA."""
CLIENT_ID_PATH = "/"

STARTUP_TIMEOUT = 180.0
STEP_TIMEOUT = 30.0
PAIRING_TIMEOUT = 60.0
_HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30)


class DemoError(Exception):
    """A demo step did not go as a person would expect."""


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


# -- child processes ---------------------------------------------------------------------


class Child:
    """A program the demo runs, with its output in a log file."""

    def __init__(
        self, name: str, process: asyncio.subprocess.Process, log: Path
    ) -> None:
        """Use :meth:`start`."""
        self.name = name
        self.process = process
        self.log = log

    @classmethod
    async def start(
        cls, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None
    ) -> Child:
        """Start ``argv`` in its own session: Ctrl-C reaches the demo, which stops it.

        ``env`` adds to the demo's own environment.
        """
        with log.open("ab") as output:
            process = await asyncio.create_subprocess_exec(
                *argv,
                env={**os.environ, **(env or {})},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        return cls(name, process, log)

    async def stop(self, grace: float = 30.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ``grace`` seconds."""
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), grace)
        except TimeoutError:
            print(f"demo: {self.name} did not stop within {grace:.0f} s; killing it")
            self.process.kill()
            await self.process.wait()


# -- Home Assistant --------------------------------------------------------------------------


class HomeAssistantClient:
    """The parts of Home Assistant's REST and WebSocket APIs the demo uses."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        """Talk to Home Assistant at ``url``; :meth:`onboard` gets a token."""
        self._http = http
        self.url = url
        self._token = ""
        self._ids = itertools.count(1)

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def onboarding_steps(self) -> list[dict[str, Any]]:
        """List the onboarding steps and whether each is done (no auth needed)."""
        async with self._http.get(f"{self.url}/api/onboarding") as reply:
            reply.raise_for_status()
            steps: list[dict[str, Any]] = await reply.json()
            return steps

    async def onboard(self, name: str, username: str, password: str) -> None:
        """Create the owner and finish onboarding, as the first-run wizard does."""
        client_id = f"{self.url}{CLIENT_ID_PATH}"
        user = await self._post(
            "/api/onboarding/users",
            {
                "client_id": client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
            auth=False,
        )
        async with self._http.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": user["auth_code"],
                "client_id": client_id,
            },
        ) as reply:
            reply.raise_for_status()
            self._token = (await reply.json())["access_token"]
        await self._post("/api/onboarding/core_config", {})
        await self._post("/api/onboarding/analytics", {})
        await self._post(
            "/api/onboarding/integration",
            {"client_id": client_id, "redirect_uri": f"{client_id}?auth_callback=1"},
        )

    async def start_flow(self, handler: str) -> dict[str, Any]:
        """Start a config flow, as the "Add integration" dialog does."""
        return await self._post(
            "/api/config/config_entries/flow",
            {"handler": handler, "show_advanced_options": False},
        )

    async def flow_step(
        self, flow_id: str, user_input: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Submit a form (``user_input``), or look at the flow again (None)."""
        path = f"/api/config/config_entries/flow/{flow_id}"
        if user_input is not None:
            return await self._post(path, user_input)
        async with self._http.get(f"{self.url}{path}", headers=self._auth) as reply:
            reply.raise_for_status()
            result: dict[str, Any] = await reply.json()
            return result

    async def call_service(self, domain: str, service: str, **data: Any) -> None:
        """Call an action."""
        await self._post(f"/api/services/{domain}/{service}", data)

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """Return an entity's state object, None if it has none yet."""
        async with self._http.get(
            f"{self.url}/api/states/{entity_id}", headers=self._auth
        ) as reply:
            if reply.status == 404:
                return None
            reply.raise_for_status()
            result: dict[str, Any] = await reply.json()
            return result

    async def websocket_command(self, command: dict[str, Any]) -> Any:
        """Run one WebSocket API command (e.g. list the entity registry)."""
        ws_url = self.url.replace("http", "ws", 1) + "/api/websocket"
        async with self._http.ws_connect(ws_url) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self._token})
            if (await ws.receive_json())["type"] != "auth_ok":
                raise DemoError("Home Assistant refused the demo's token")
            await ws.send_json({"id": next(self._ids)} | command)
            reply = await ws.receive_json()
            if not reply.get("success"):
                raise DemoError(f"{command['type']} failed: {reply.get('error')}")
            return reply["result"]

    async def _post(
        self, path: str, body: dict[str, Any], auth: bool = True
    ) -> dict[str, Any]:
        async with self._http.post(
            f"{self.url}{path}", json=body, headers=self._auth if auth else None
        ) as reply:
            if reply.status >= 400:
                raise DemoError(f"POST {path}: {reply.status} {await reply.text()}")
            result = await reply.json()
            return result if isinstance(result, dict) else {"result": result}


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


# -- orchestration ---------------------------------------------------------------------------


async def wait_until(
    check: Callable[[], Awaitable[bool]], what: str, within: float
) -> None:
    """Retry ``check`` until it is true (connection errors count as not yet)."""
    try:
        async with asyncio.timeout(within):
            while True:
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    if await check():
                        return
                await asyncio.sleep(0.25)
    except TimeoutError:
        raise DemoError(f"gave up waiting for {what} after {within:.0f} s") from None


def prepare(base: Path) -> None:
    """Make a fresh demo directory: Home Assistant's config, the edge driver's data."""
    if base.exists():
        if not (base / MARKER).exists() and any(base.iterdir()):
            raise DemoError(
                f"{base} exists and was not made by the demo; not wiping it"
            )
        shutil.rmtree(base)
    config = base / "ha"
    (config / "custom_components").mkdir(parents=True)
    (base / "edge").mkdir()
    (base / MARKER).write_text("made by scripts/demo.py; deleted on its next run\n")
    (config / "custom_components" / "ezlock").symlink_to(
        ROOT / "custom_components" / "ezlock"
    )
    configuration = (ROOT / "config" / "configuration.yaml").read_text()
    http = "\nhttp:\n"
    if http not in configuration:
        raise DemoError("config/configuration.yaml has no http: section to extend")
    # Loopback only; the port comes from EZLOCK_HA_PORT, which run() sets.
    configuration = configuration.replace(
        http, f"{http}  server_host: 127.0.0.1  # added by scripts/demo.py\n", 1
    )
    (config / "configuration.yaml").write_text(configuration)


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


async def set_up(http: aiohttp.ClientSession, args: argparse.Namespace) -> DemoInfo:
    """Everything after the programs started: owner, first admin, pairing."""
    lock = RemoteSimulatedLock(http, f"http://127.0.0.1:{args.sim_port}")
    ha = HomeAssistantClient(http, f"http://127.0.0.1:{args.ha_port}")

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
    entry = await pair(ha, lock, args.edge_port)
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
        panel=f"http://127.0.0.1:{args.sim_port}/",
        edge_api=f"https://127.0.0.1:{args.edge_port}/api/v1/info",
        lock_password=ADMIN_PASSWORD,
        lock_user=ADMIN_NAME,
        device_id=found["device_id"],
        lock_entity=found["lock"],
        access_entity=found["access"],
    )


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


async def run(args: argparse.Namespace) -> int:
    """Start, set up, wait for Ctrl-C or a child exiting, stop."""
    base = args.base_dir.resolve()
    prepare(base)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    children: list[Child] = []
    try:
        children.append(
            await Child.start(
                "edge driver",
                [
                    str(BIN / "ezlock-edge"),
                    "run",
                    "--simulate",
                    "--host",
                    "127.0.0.1",
                    "--no-zeroconf",
                    "--data-dir",
                    str(base / "edge"),
                    "--port",
                    str(args.edge_port),
                    "--sim-port",
                    str(args.sim_port),
                    "--sim-clock",
                    args.sim_clock,
                ],
                base / "edge.log",
            )
        )
        children.append(
            await Child.start(
                "Home Assistant",
                [str(BIN / "hass"), "--config", str(base / "ha"), "--skip-pip"],
                base / "home-assistant.log",
                {"EZLOCK_HA_PORT": str(args.ha_port)},
            )
        )
        async with aiohttp.ClientSession(timeout=_HTTP_TIMEOUT) as http:
            setup = asyncio.create_task(set_up(http, args))
            waits = [asyncio.create_task(stop.wait()), setup]
            waits += [asyncio.create_task(child.process.wait()) for child in children]
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if setup not in done:
                setup.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await setup
                return _ended(children, stop)
            info = setup.result()
            (base / "demo.json").write_text(json.dumps(asdict(info), indent=2) + "\n")
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


def main() -> int:
    """Parse the command line and run the demo."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base-dir",
        type=Path,
        default=ROOT / ".ezlock" / "demo",
        help="throwaway directory for Home Assistant and the edge driver (wiped)",
    )
    parser.add_argument(
        "--ha-port", type=int, default=int(os.environ.get("EZLOCK_HA_PORT", "8123"))
    )
    parser.add_argument(
        "--edge-port", type=int, default=int(os.environ.get("EZLOCK_PORT", "8765"))
    )
    parser.add_argument(
        "--sim-port", type=int, default=int(os.environ.get("EZLOCK_SIM_PORT", "8766"))
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
        return asyncio.run(run(args))
    except (DemoError, SimulationError) as err:
        print(f"demo: {err} (logs in {args.base_dir})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
