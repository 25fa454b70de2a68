"""The WebSocket: authenticate, replay after a seq, stream live, exactly once, bounded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import WSCloseCode, WSMsgType
import pytest

from ezlock_edge.api import ws as ws_module
from ezlock_edge.api.context import CLOSE_UNAUTHORIZED, WsSettings
from ezlock_edge.clock import ManualClock
from ezlock_edge.core.events import Event
from ezlock_edge.sim.lock import SimulatedLock
from tests.support.lock import create_first_admin, sim_of
from tests.support.waiting import WAIT, eventually

from .api_support import ApiClient, client_for, pair, running_edge


async def _receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await ws.receive(timeout=WAIT)
    assert message.type is WSMsgType.TEXT, message
    data: dict[str, Any] = message.json()
    return data


async def _events_until(
    ws: aiohttp.ClientWebSocketResponse, last_seq: int
) -> list[dict[str, Any]]:
    """Read messages until the event with ``last_seq``; return every event seen."""
    events: list[dict[str, Any]] = []
    while not events or events[-1]["seq"] < last_seq:
        message = await _receive(ws)
        if message["type"] == "event":
            assert message["seq"] == message["event"]["seq"]
            events.append(message["event"])
    return events


async def _subscribe(
    ws: aiohttp.ClientWebSocketResponse, since: int | None
) -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
    """Subscribe; return the replayed events, ``last_seq`` and the first state."""
    await ws.send_json({"type": "subscribe", "since": since})
    replayed: list[dict[str, Any]] = []
    while (message := await _receive(ws))["type"] == "event":
        replayed.append(message["event"])
    assert message["type"] == "subscribed"
    state = await _receive(ws)
    assert state["type"] == "state"
    return replayed, message["last_seq"], state["state"]


async def _ring(sim: SimulatedLock | None, times: int) -> None:
    assert sim is not None
    for _ in range(times):
        await sim.keypad(["doorbell"])


async def test_header_auth_then_replay_and_live(api: ApiClient) -> None:
    ws = await api.ws()
    hello = await _receive(ws)
    assert hello["type"] == "auth_ok"
    assert hello["api_version"] == 1
    replayed, last_seq, state = await _subscribe(ws, 0)
    stored = [event.as_dict() for event in api.edge.core.events.query(0, 1000)]
    assert replayed == stored
    assert last_seq == stored[-1]["seq"]
    assert state == api.edge.core.state.as_dict() | {"last_seq": state["last_seq"]}
    await _ring(api.edge.sim, 1)
    live = await _events_until(ws, last_seq + 1)
    assert [event["type"] for event in live] == ["doorbell"]
    await ws.close()


async def test_live_only(api: ApiClient) -> None:
    ws = await api.ws()
    assert (await _receive(ws))["type"] == "auth_ok"
    replayed, last_seq, _ = await _subscribe(ws, None)
    assert replayed == []
    assert last_seq == api.edge.core.events.last_seq
    await _ring(api.edge.sim, 2)
    live = await _events_until(ws, last_seq + 2)
    assert [event["seq"] for event in live] == [last_seq + 1, last_seq + 2]
    await ws.close()


async def test_websocket_without_a_token_answers_401(api: ApiClient) -> None:
    """Issue #11.8: ``GET /ws`` is refused like every other route, before any upgrade."""
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await api.ws(token="")
    assert err.value.status == 401
    # Not even a socket for the first message: a plain GET gets the JSON refusal.
    reply = await api.call("GET", "/ws", token="")
    assert (reply.status, reply.body["error"]) == (401, "unauthorized")


async def test_ping_errors_and_double_subscribe(api: ApiClient) -> None:
    ws = await api.ws()
    await _receive(ws)
    await ws.send_json({"type": "ping"})
    assert await _receive(ws) == {"type": "pong"}
    for bad in ({"type": "dance"}, {"type": "subscribe", "since": "0"}, [1]):
        await ws.send_json(bad)
        reply = await _receive(ws)
        assert (reply["type"], reply["error"]) == ("error", "invalid_message")
    await ws.send_str("{not json")
    assert (await _receive(ws))["error"] == "invalid_message"
    await _subscribe(ws, None)
    await ws.send_json({"type": "subscribe", "since": None})
    assert (await _receive(ws))["message"] == "already subscribed"
    await ws.close()


async def test_resume_after_disconnect_is_exactly_once(api: ApiClient) -> None:
    ws = await api.ws()
    await _receive(ws)
    _, last_seq, _ = await _subscribe(ws, 0)
    await ws.close()
    await _ring(api.edge.sim, 3)
    await eventually(
        lambda: api.edge.core.events.last_seq >= last_seq + 3, "three doorbells"
    )
    ws = await api.ws()
    await _receive(ws)
    missed, _, _ = await _subscribe(ws, last_seq)
    assert [event["seq"] for event in missed] == list(
        range(last_seq + 1, api.edge.core.events.last_seq + 1)
    )
    assert [event["type"] for event in missed].count("doorbell") == 3
    await ws.close()


async def test_resume_across_an_edge_restart(tmp_path: Path) -> None:
    """No event lost, none duplicated, while the edge driver restarts (L-66)."""
    clock = ManualClock()
    sim = SimulatedLock(clock=clock, motor_travel=0.0, state_dir=tmp_path / "sim")
    await sim.start()
    seen: list[dict[str, Any]] = []
    try:
        async with aiohttp.ClientSession() as session:
            async with running_edge(tmp_path / "edge", clock, sim=sim) as edge:
                api = ApiClient(edge, session)
                await create_first_admin(sim_of(edge))
                await pair(api)
                ws = await api.ws()
                await _receive(ws)
                replayed, _, _ = await _subscribe(ws, 0)
                seen.extend(replayed)
                await _ring(sim, 2)
                seen.extend(await _events_until(ws, edge.core.events.last_seq))
                # Keep reading, as a client does, while the edge driver stops.
                reader = asyncio.create_task(_read_to_close(ws))
            events, close = await reader
            seen.extend(events)
            assert (close.data, close.extra) == (WSCloseCode.GOING_AWAY, "shutdown")
            # The doorbell rings while the edge driver is down: the MCU keeps the events.
            await _ring(sim, 2)
            async with running_edge(tmp_path / "edge", clock, sim=sim) as edge:
                api = ApiClient(edge, session, api.token)
                await eventually(
                    lambda: _doorbells(edge.core.events.query(0, 1000)) == 4,
                    "doorbells delivered after the restart",
                )
                ws = await api.ws()
                await _receive(ws)
                missed, last_seq, _ = await _subscribe(ws, seen[-1]["seq"])
                seen.extend(missed)
                await _ring(sim, 1)
                seen.extend(await _events_until(ws, last_seq + 1))
                await ws.close()
    finally:
        await sim.stop()
    seqs = [event["seq"] for event in seen]
    assert seqs == list(range(1, seqs[-1] + 1))
    assert [event["type"] for event in seen].count("doorbell") == 5


async def _read_to_close(
    ws: aiohttp.ClientWebSocketResponse,
) -> tuple[list[dict[str, Any]], aiohttp.WSMessage]:
    """Read until the server closes; return the events seen and the close message."""
    events: list[dict[str, Any]] = []
    while (message := await ws.receive(timeout=WAIT)).type is WSMsgType.TEXT:
        if message.json()["type"] == "event":
            events.append(message.json()["event"])
    return events, message


def _doorbells(events: list[Event]) -> int:
    return sum(event.type == "doorbell" for event in events)


@contextlib.asynccontextmanager
async def paired_edge(
    tmp_path: Path, clock: ManualClock, ws: WsSettings
) -> AsyncIterator[ApiClient]:
    """Pair a client with an edge driver whose WebSockets follow ``ws``."""
    async with running_edge(tmp_path, clock, ws=ws) as edge, client_for(edge) as api:
        await create_first_admin(sim_of(edge))
        await pair(api)
        yield api


async def test_slow_consumer_is_disconnected(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with paired_edge(tmp_path, clock, WsSettings(queue_size=5)) as api:
        await _slow_consumer(api, caplog)


async def _slow_consumer(api: ApiClient, caplog: pytest.LogCaptureFixture) -> None:
    ws = await api.ws()
    await _receive(ws)
    _, last_seq, _ = await _subscribe(ws, None)
    # The client reads nothing while events are announced (the loop never runs): the
    # kernel's and the transport's buffers fill, then the session's backlog (5 here).
    appended = 0
    while "cannot keep up" not in caplog.text:
        assert appended < 1000, "never closed"
        api.edge.core.events.append("doorbell", pad="x" * 10_000)
        appended += 1
    while (message := await ws.receive(timeout=WAIT)).type is WSMsgType.TEXT:
        pass
    assert message.type is WSMsgType.CLOSE
    assert (ws.close_code, message.extra) == (
        ws_module.CLOSE_SLOW_CONSUMER,
        "slow_consumer",
    )
    # Resuming from the last seq it saw loses nothing.
    ws = await api.ws()
    await _receive(ws)
    missed, _, _ = await _subscribe(ws, last_seq)
    assert len(missed) == appended
    await ws.close()


async def test_revocation_closes_the_socket(api: ApiClient) -> None:
    """The revoked client is told why: its revocation is the last message it gets.

    Issue #11.8: nothing follows ``client_revoked``, not the state change it causes
    and not what happens at the lock right after.
    """
    async with client_for(api.edge) as tablet:
        tablet_id = await pair(tablet, "Wall tablet")
        ws = await tablet.ws()
        await _receive(ws)
        await _subscribe(ws, None)
        reply = await api.call("DELETE", f"/clients/{tablet_id}")
        assert reply.status == 204
        await _ring(api.edge.sim, 1)  # an event right after the revocation
        messages = []
        while (message := await ws.receive(timeout=WAIT)).type is WSMsgType.TEXT:
            messages.append(message.json())
        assert messages[-1]["type"] == "event"
        assert messages[-1]["event"]["type"] == "client_revoked"
        assert [m for m in messages if m["type"] == "event"][-1:] == messages[-1:]
        assert message.type is WSMsgType.CLOSE
        assert (ws.close_code, message.extra) == (CLOSE_UNAUTHORIZED, "revoked")


async def test_factory_reset_forgets_every_client(api: ApiClient) -> None:
    """L-63: after a factory reset no old token works, and open sockets are closed.

    The ``factory_reset`` event is the last thing each socket delivers, so a client
    knows to ask its person to pair again rather than to retry.
    """
    ws = await api.ws()
    await _receive(ws)
    await _subscribe(ws, None)
    sim = api.edge.sim
    assert sim is not None
    await sim.set_button("power_up")
    await sim.keypad(["confirm"])
    types = []
    while (message := await ws.receive(timeout=WAIT)).type is WSMsgType.TEXT:
        if (data := message.json())["type"] == "event":
            types.append(data["event"]["type"])
    assert types[-1:] == ["factory_reset"]
    assert (message.data, message.extra) == (CLOSE_UNAUTHORIZED, "revoked")
    reply = await api.call("GET", "/state")
    assert (reply.status, reply.body["error"]) == (401, "unauthorized")


async def test_resume_from_another_history_replays_everything(api: ApiClient) -> None:
    """A seq the lock never wrote (its data was replaced) must not hide new events."""
    ws = await api.ws()
    await _receive(ws)
    replayed, last_seq, _ = await _subscribe(ws, 10_000)
    assert [event["seq"] for event in replayed] == list(range(1, last_seq + 1))
    await ws.close()


async def test_server_pings_and_drops_a_silent_client(
    tmp_path: Path, clock: ManualClock
) -> None:
    """Heartbeats: the server pings; a client that never answers is disconnected.

    The server's heartbeat runs on the event loop's time, so it is set short here.
    """
    async with paired_edge(tmp_path, clock, WsSettings(heartbeat=0.2)) as api:
        await _silent_client(api)


async def _silent_client(api: ApiClient) -> None:
    ws = await api.session.ws_connect(
        f"{api.edge.url}/api/v1/ws",
        headers={"Authorization": f"Bearer {api.token}"},
        ssl=api.ssl,
        autoping=False,
    )
    kinds: list[WSMsgType] = []
    while (message := await ws.receive(timeout=WAIT)).type not in {
        WSMsgType.CLOSE,
        WSMsgType.CLOSED,
        WSMsgType.CLOSING,
    }:
        kinds.append(message.type)
    assert WSMsgType.PING in kinds


async def _state_where(
    ws: aiohttp.ClientWebSocketResponse, link: str, value: str
) -> dict[str, Any]:
    """Read messages until a state shows ``link`` as ``value``; return that state."""
    while True:
        message = await _receive(ws)
        if message["type"] == "state" and message["state"]["devices"][link] == value:
            state: dict[str, Any] = message["state"]
            return state


@pytest.mark.parametrize("link", ["mcu", "fingerprint", "face", "palm"])
async def test_a_link_change_pushes_a_state(api: ApiClient, link: str) -> None:
    """Issue #11.5: a cable pulled or plugged back is a state message of its own.

    Nothing else happens at the lock meanwhile, so only the link change can have
    sent it; the other links stay connected.
    """
    sim = api.edge.sim
    assert sim is not None
    ws = await api.ws()
    assert (await _receive(ws))["type"] == "auth_ok"
    _, _, state = await _subscribe(ws, None)
    assert set(state["devices"].values()) == {"connected"}
    await sim.unplug(link)
    down = await _state_where(ws, link, "disconnected")
    assert {
        name for name, value in down["devices"].items() if value != "connected"
    } == {link}
    await sim.replug(link)
    back = await _state_where(ws, link, "connected")
    assert set(back["devices"].values()) == {"connected"}
    await ws.close()


async def test_a_state_is_sent_only_when_it_changed(api: ApiClient) -> None:
    """Issue #18: a finger's wake changes nothing a client sees; no state repeats.

    The MCU's wake starts a match (a change the lock notes) but the state stays the
    same; the failed attempt after it moves only its seq, which its event carries: no
    state either (a ping after it is answered with nothing in between).
    """
    sim = api.edge.sim
    assert sim is not None
    ws = await api.ws()
    assert (await _receive(ws))["type"] == "auth_ok"
    _, last_seq, _ = await _subscribe(ws, None)
    await sim.finger("mallory")
    message = await _receive(ws)
    assert (message["type"], message["event"]["type"]) == ("event", "unlock_failed")
    assert message["seq"] == last_seq + 1
    await ws.send_json({"type": "ping"})
    assert (await _receive(ws))["type"] == "pong"
    # A change of anything but the seq is sent, with the seq as it is now.
    api.edge.core.events.append("doorbell")
    await api.edge.core.update_settings(volume=1)
    while (message := await _receive(ws))["type"] != "state":
        pass
    assert message["state"]["volume"] == 1
    assert message["state"]["last_seq"] >= last_seq + 2
    await ws.close()
