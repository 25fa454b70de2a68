"""``--sim-clock manual``: one simulated time for the whole simulated lock, moved on request.

The edge driver runs as ``ezlock-edge run --simulate --sim-clock manual`` configures it,
and the tests act only through the simulator's ``/sim/v1`` surface (a person at the
door) and the open ``/api/v1/info``: what waits (keypad sleep, siren, pairing window,
lockout, failure window, countdown lock, bolt travel, visitor-code windows) waits for
``POST /sim/v1/clock``, and a move fires everything due meanwhile, in order (issue #13).
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
from typing import Any

import aiohttp
from ezlock_mcu.battery import PERIOD_MS
import pytest

from ezlock_edge.app import EdgeApp, EdgeOptions
from ezlock_edge.clock import ManualClock
from ezlock_edge.config import ConfigError, load
from ezlock_edge.core.models import VisitorKind
from ezlock_edge.sim.cli import add_sim_parser, run_sim_command
from tests.support.lock import ADMIN_PASSWORD
from tests.support.waiting import eventually

PASSWORD = ADMIN_PASSWORD


@dataclass
class Door:
    """The running driver and a person at its simulated lock, over HTTP."""

    edge: EdgeApp
    session: aiohttp.ClientSession

    @property
    def sim_url(self) -> str:
        """Return the base URL of the simulator's control surface."""
        return f"http://127.0.0.1:{self.edge.sim_http_port}/sim/v1"

    async def post(self, action: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST one action; return the status and the JSON answer."""
        async with self.session.post(f"{self.sim_url}/{action}", json=body) as reply:
            return reply.status, await reply.json()

    async def do(self, action: str, **body: Any) -> Any:
        """POST one action that must succeed."""
        status, answer = await self.post(action, body)
        assert status == 200, answer
        return answer

    async def get(self, action: str) -> Any:
        """GET one readable action."""
        async with self.session.get(f"{self.sim_url}/{action}") as reply:
            assert reply.status == 200
            return await reply.json()

    async def advance(self, seconds: float) -> dict[str, Any]:
        """Move the manual clock forward."""
        answer: dict[str, Any] = await self.do("clock", advance=seconds)
        return answer

    async def panel(self) -> dict[str, Any]:
        """Look at the lock."""
        panel: dict[str, Any] = await self.get("panel")
        return panel

    async def prompts(self) -> list[str]:
        """Return the prompts spoken so far."""
        return [p["prompt"] for p in (await self.panel())["prompts"]]

    async def info(self) -> dict[str, Any]:
        """Read the open ``/api/v1/info``."""
        async with self.session.get(f"{self.edge.url}/api/v1/info") as reply:
            info: dict[str, Any] = await reply.json()
            return info

    async def until(self, check: Callable[[dict[str, Any]], bool], what: str) -> None:
        """Wait until the panel passes ``check`` (it has no change notification)."""

        async def passes() -> bool:
            return check(await self.panel())

        await eventually(passes, what)

    async def heard(self, prompt: str, times: int = 1) -> None:
        """Wait until the lock has said ``prompt`` ``times`` times."""
        await self.until(
            lambda p: [x["prompt"] for x in p["prompts"]].count(prompt) >= times,
            f"the lock says {prompt} x{times}",
        )

    async def type_password(self, digits: str) -> None:
        """Type digits and confirm."""
        await self.do("keypad", keys=[*digits, "confirm"])

    async def create_first_admin(self) -> None:
        """L-26 on the keypad of a fresh lock."""
        await self.do("keypad", keys=["confirm"])
        await self.heard("enter_password")
        await self.type_password(PASSWORD)
        await self.heard("enter_password_again")
        await self.type_password(PASSWORD)
        await self.heard("success")


def _config(tmp_path: Path, **flags: Any) -> EdgeOptions:
    config = load(
        {
            "data_dir": tmp_path / "edge",
            "host": "127.0.0.1",
            "port": 0,
            "sim_port": 0,
            "insecure_http": True,
            "simulate": True,
            "zeroconf": False,
            **flags,
        },
        {},
    )
    return EdgeOptions.from_config(config)


@pytest.fixture
async def door(tmp_path: Path) -> AsyncIterator[Door]:
    """``ezlock-edge run --simulate --sim-clock manual`` (bolt travel 400 ms, default)."""
    edge = EdgeApp(_config(tmp_path, sim_clock="manual"))
    await edge.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield Door(edge, session)
    finally:
        await edge.stop()


def test_sim_clock_and_motor_travel_come_from_flags_and_environment(
    tmp_path: Path,
) -> None:
    """The options of ``run``: flags beat the environment; only for --simulate."""
    base = {"data_dir": tmp_path, "simulate": True}
    config = load({**base, "sim_motor_ms": 0}, {"EZLOCK_SIM_MOTOR_MS": "250"}, None)
    assert config.sim_motor_ms == 0
    config = load(base, {"EZLOCK_SIM_MOTOR_MS": "250", "EZLOCK_SIM_CLOCK": "manual"})
    assert (config.sim_motor_ms, config.sim_clock) == (250, "manual")
    options = EdgeOptions.from_config(config)
    assert options.motor_travel == 0.25
    assert isinstance(options.clock, ManualClock)
    assert load(base, {}).sim_clock == "real"
    assert not isinstance(EdgeOptions.from_config(load(base, {})).clock, ManualClock)
    for bad in ({"sim_motor_ms": -1}, {"sim_motor_ms": "fast"}, {"sim_clock": "slow"}):
        with pytest.raises(ConfigError):
            load({**base, **bad}, {})
    ports = {link: f"/dev/tty{link}" for link in ("mcu", "fingerprint", "face", "palm")}
    for sim_only in ({"sim_clock": "manual"}, {"sim_motor_ms": 0}):
        with pytest.raises(ConfigError, match="--simulate only"):
            load({"data_dir": tmp_path, **ports, **sim_only}, {})


async def test_manual_clock_starts_now_and_stands_still(door: Door) -> None:
    """GET /sim/v1/clock: the current time at start, and it does not move by itself."""
    first = await door.get("clock")
    assert first["manual"] is True
    started = datetime.fromisoformat(first["now"])
    assert abs(datetime.now(UTC) - started) < timedelta(hours=1)
    await door.do("keypad", keys=[])  # the world goes on; the lock's time does not
    assert await door.get("clock") == first
    moved = await door.advance(90.5)
    assert datetime.fromisoformat(moved["now"]) == started + timedelta(seconds=90.5)
    assert await door.get("clock") == moved


async def test_clock_refuses_to_go_back_or_too_far(door: Door) -> None:
    for body in ({"advance": -1}, {"advance": "soon"}, {"advance": 8 * 24 * 3600}):
        status, answer = await door.post("clock", body)
        assert status == 400, answer


async def test_real_clock_cannot_be_moved(tmp_path: Path) -> None:
    """The default: the system clock, which the simulator reports and never moves."""
    edge = EdgeApp(_config(tmp_path))
    await edge.start()
    try:
        async with aiohttp.ClientSession() as session:
            door = Door(edge, session)
            assert (await door.get("clock"))["manual"] is False
            status, answer = await door.post("clock", {"advance": 60})
            assert status == 400
            assert "--sim-clock manual" in answer["error"]
    finally:
        await edge.stop()


async def test_keypad_goes_dark_after_20_s_of_the_lock_s_time(door: Door) -> None:
    """L-03 / manual: "喚醒鍵盤區後，若未檢測到操作，約20秒後將自動關閉"."""
    await door.do("keypad", keys=[])
    await door.until(lambda p: p["awake"] and "confirm" in p["leds"], "welcome lit")
    await door.advance(19)
    assert (await door.panel())["awake"]
    await door.advance(1)
    panel = await door.panel()
    assert not panel["awake"]
    assert panel["leds"] == {}


async def test_pairing_window_ends_after_three_minutes(door: Door) -> None:
    """L-65: "系統將在三分鐘後自動退出配對模式"."""
    await door.create_first_admin()
    await door.do("set_button", press="long")
    await door.heard("pairing_mode")
    assert (await door.info())["pairing_open"] is True
    await door.advance(179)
    assert (await door.info())["pairing_open"] is True
    await door.advance(1)
    await door.heard("pairing_ended")
    assert (await door.info())["pairing_open"] is False
    assert "0" not in (await door.panel())["leds"]


async def test_siren_sounds_about_a_minute(door: Door) -> None:
    """L-60: "遭強行拆除時，門鎖會發出約一分鐘的警報"."""
    await door.do("tamper")
    await door.until(lambda p: p["siren"], "the siren sounds")
    await door.advance(59)
    assert (await door.panel())["siren"]
    await door.advance(1)
    assert not (await door.panel())["siren"]


async def test_lockout_window_and_three_minute_lock(door: Door) -> None:
    """L-42: "錯誤次數在5分鐘內連續達到5次，系統將被強制鎖定3分鐘 ... 3分鐘後自動解鎖"."""
    await door.create_first_admin()
    for _ in range(4):
        await door.type_password("000000")
    await door.heard("failure", 4)
    await door.advance(301)  # the four failures are older than five minutes
    await door.type_password("000000")
    await door.heard("failure", 5)
    assert "system_locked" not in await door.prompts()
    for _ in range(4):
        await door.type_password("000000")
    await door.heard("system_locked")
    await door.advance(179)
    await door.type_password(PASSWORD)
    await door.heard("system_locked", 2)
    assert (await door.panel())["bolt"] == "locked"
    await door.advance(1)
    await door.type_password(PASSWORD)
    await door.heard("door_unlocked")


async def test_countdown_lock_and_bolt_travel_finish_inside_one_move(
    door: Door,
) -> None:
    """L-45: the countdown's LOCK and the bolt's 0.4 s travel both fall in one advance.

    Manual: "啟用此功能後，門鎖將在倒數結束後自動上鎖".
    """
    await door.create_first_admin()
    await door.edge.core.update_settings(
        countdown_lock_enabled=True, countdown_lock_seconds=30
    )
    await door.type_password(PASSWORD)
    await door.heard("door_unlocked")
    assert (await door.panel())["bolt"] == "unlocking"  # the clock stands still
    await door.advance(0.4)
    assert (await door.panel())["bolt"] == "unlocked"
    await door.advance(29)
    assert (await door.panel())["bolt"] == "unlocked"
    await door.advance(5)  # countdown at 30 s, LOCK, 0.4 s of travel: all within
    assert (await door.panel())["bolt"] == "locked"


async def test_a_battery_measurement_due_while_the_bolt_travels_lets_the_clock_move(
    door: Door,
) -> None:
    """A keypad unlock, then a move of the clock across the controller's battery check.

    The controller measures its battery every ``PERIOD_MS`` but never while the motor
    runs (the motor's current sags the pack). A measurement that fell due mid-travel
    made it ask for its next pass at once, again and again at the same moment, so a
    manual clock never reached the end of the travel: ``POST /sim/v1/clock`` did not
    answer (the e2e visitor-code flake, whenever the unlock fell within 0.4 s of it).
    """
    await door.create_first_admin()
    # The power-up measured at once; the next measurement is due PERIOD_MS later.
    await door.advance(PERIOD_MS / 1000 - 0.2)
    await door.type_password(PASSWORD)
    await door.heard("door_unlocked")
    assert (await door.panel())["bolt"] == "unlocking"  # the travel spans the check
    await door.advance(5)
    assert (await door.panel())["bolt"] == "unlocked"


async def test_a_move_stuck_at_one_moment_answers_a_clear_error(door: Door) -> None:
    """A part that re-arms itself with no delay: ``POST /sim/v1/clock`` says so (500).

    Time moves only between timers, so the move would otherwise never end and the
    client would wait for its own timeout (five minutes for aiohttp's default).
    """
    clock = door.edge.options.clock
    assert isinstance(clock, ManualClock)

    def again() -> None:
        clock.call_later(0, again)

    clock.call_later(1, again)
    status, answer = await door.post("clock", {"advance": 5})
    assert status == 500, answer
    assert "timers in a row fell due at one moment" in answer["error"]
    assert "again" in answer["error"]  # the culprit, named


async def test_visitor_code_window_follows_the_clock(door: Door) -> None:
    """L-30: a visitor code opens inside its window only, in the lock's time."""
    await door.create_first_admin()
    now = datetime.fromisoformat((await door.get("clock"))["now"])
    _, code = await door.edge.core.create_visitor(
        VisitorKind.TEMPORARY_PASSWORD,
        "cleaner",
        valid_from=now + timedelta(hours=1),
        valid_until=now + timedelta(hours=2),
        max_uses=None,
    )
    await door.type_password(code)
    await door.heard("not_in_validity_period")
    await door.advance(3600)
    await door.type_password(code)
    await door.heard("door_unlocked")
    await door.advance(3600)
    await door.type_password(code)
    await door.heard("not_in_validity_period", 2)
    assert (await door.prompts()).count("door_unlocked") == 1


async def test_shell_reads_and_moves_the_clock(
    door: Door, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ezlock-edge sim clock`` reads the time, ``clock advance=N`` moves it."""
    port = str(door.edge.sim_http_port)
    start = (await door.get("clock"))["now"]
    assert await run_sim_command(_sim_args("--sim-port", port, "clock")) == 0
    assert json.loads(capsys.readouterr().out) == {"now": start, "manual": True}
    args = _sim_args("--sim-port", port, "clock", "advance=180")
    assert await run_sim_command(args) == 0
    moved = json.loads(capsys.readouterr().out)
    assert datetime.fromisoformat(moved["now"]) == datetime.fromisoformat(
        start
    ) + timedelta(minutes=3)
    assert (
        await run_sim_command(_sim_args("--sim-port", port, "clock", "advance=-5")) == 1
    )
    assert "advance" in capsys.readouterr().err


def _sim_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_sim_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["sim", *argv])
