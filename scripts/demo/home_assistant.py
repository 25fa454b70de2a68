"""The parts of Home Assistant's REST and WebSocket APIs the demo uses."""

from __future__ import annotations

import itertools
from typing import Any

import aiohttp

from .errors import DemoError

CLIENT_ID_PATH = "/"
"""The OAuth client id is the frontend's own URL, as for the first-run wizard."""


class HomeAssistantClient:
    """Home Assistant as its frontend reaches it: onboarding, flows, actions, states."""

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
