"""What the person at the keypad sees and hears, sentence by sentence of the manual.

Issue #13, L-21, L-25, L-44, L-48, L-63, L-64: each test quotes the manual's sentence
(``ezviz-lock-manual.zh-Hant.txt``) and checks it on the simulated lock's panel: its
lit keys and its voice. The lock handles MCU events one at a time, in order, so a
doorbell press after some keys is answered only once those keys were handled: that is
how a test knows the lock had its chance to light a key it must not light.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ezlock_edge.core.models import VisitorKind
from ezlock_edge.vocabulary.mcu import BoltState
from tests.support.lock import ADMIN_PASSWORD
from tests.support.waiting import eventually

from .rig_support import Rig, running_lock


async def _handled(rig: Rig) -> None:
    """Return once every key pressed so far has been handled (see the module doc)."""
    rings = rig.types().count("doorbell")
    await rig.keys("doorbell")
    await eventually(
        lambda: rig.types().count("doorbell") > rings, "the doorbell key handled"
    )


async def _lit(rig: Rig, key: str, mode: str | None = "on") -> None:
    async def shown() -> bool:
        return await rig.led(key) == mode

    await eventually(shown, f"the {key} key {mode or 'dark'}")


async def test_l25_confirm_lights_only_once_six_digits_are_in(tmp_path: Path) -> None:
    """L-25: "當密碼輸入鍵 ≥ 6 位數時，「√」會亮起，此時按下「√」以確認"."""
    async with running_lock(tmp_path) as rig:
        await rig.keys()  # a fresh lock: the welcome (L-26)
        await _lit(rig, "confirm")
        await rig.keys("confirm")
        await rig.heard("enter_password")
        await _handled(rig)
        assert await rig.led("confirm") is None
        assert await rig.led("1") == "on"
        assert await rig.led("back") == "on"
        await rig.keys(*ADMIN_PASSWORD[:5])
        await _handled(rig)
        assert await rig.led("confirm") is None
        await rig.keys(ADMIN_PASSWORD[5])
        await _lit(rig, "confirm")
        await rig.keys("back")  # clears what was typed: six digits again
        await _lit(rig, "confirm", None)
        await rig.type_password(ADMIN_PASSWORD)
        await rig.heard("enter_password_again")
        await _handled(rig)
        assert await rig.led("confirm") is None
        await rig.keys(*ADMIN_PASSWORD)
        await _lit(rig, "confirm")
        await rig.keys("confirm")
        await rig.heard("success")
        await rig.event("user_added")


async def test_l25_the_admin_check_of_the_menu_lights_confirm_at_six_too(
    tmp_path: Path,
) -> None:
    """L-25 for every password typed on lit keys: the menu's admin check (L-20)."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.set_button("short")
        await rig.heard("verify_admin")
        await _handled(rig)
        assert await rig.led("confirm") is None
        await rig.keys(*ADMIN_PASSWORD)
        await _lit(rig, "confirm")
        await rig.keys("confirm")
        await rig.heard("menu")


async def test_l25_zero_follows_nine_on_the_keypad(tmp_path: Path) -> None:
    """L-25: "不允許6至10個連續或重複的數字": 1234567890 is the keypad typed in order."""
    async with running_lock(tmp_path) as rig:
        await rig.keys()
        await rig.keys("confirm")
        await rig.heard("enter_password")
        for simple in ("1234567890", "0987654321", "890123"):
            refusals = await rig.count("password_too_simple")
            await rig.type_password(simple)
            await rig.heard("password_too_simple", refusals + 1)
        assert "user_added" not in rig.types()


async def test_l44_confirm_lights_when_the_door_is_opened_from_inside(
    tmp_path: Path,
) -> None:
    """L-44: "當門從內部打開時，前面板鍵盤上的「√」會亮起，按下「√」以確認上鎖"."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.clock(advance=20)  # the keypad has gone dark
        assert await rig.led("confirm") is None
        await rig.sim.door("open")  # the inside handle retracts the bolt
        await rig.event("unlocked", method="inside")
        await _lit(rig, "confirm")
        await rig.sim.door("closed")
        await rig.event("door", state="closed")
        assert await rig.led("confirm") == "on"
        await rig.keys("confirm")
        await rig.event("locked", source="keypad")
        await rig.heard("door_locked")
        await _lit(rig, "confirm", None)


async def test_l44_confirm_stays_dark_for_someone_coming_in(tmp_path: Path) -> None:
    """L-44: the opening after an unlock from outside is a person coming in."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.clock(advance=20)
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("unlocked", method="password")
        await rig.sim.door("open")
        await rig.event("door", state="open")
        await _handled(rig)
        assert await rig.led("confirm") is None
        await rig.sim.door("closed")
        await rig.event("door", state="closed")
        await _handled(rig)
        assert await rig.led("confirm") is None
        await rig.sim.door("open")  # later, the bolt still open: someone leaves
        await _lit(rig, "confirm")


async def test_l48_only_a_registered_person_ends_the_mute(tmp_path: Path) -> None:
    """L-48: "當鎖從外部通過新增的臉部、掌紋、指紋或密碼驗證解鎖時，將自動退出此模式"."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        now = rig.clock.now()
        _, code = await rig.core.create_visitor(
            VisitorKind.TEMPORARY_PASSWORD,
            "guest",
            valid_until=now + timedelta(days=1),
            max_uses=None,
        )
        await rig.core.update_settings(remote_unlock_enabled=True)
        await rig.keys(hold="0")
        await rig.event("mute", muted=True)
        await rig.type_password(code)  # a visitor's code: not a registered person
        await rig.event("unlocked", method="temporary_password")
        # The app waits for the bolt before its next command (409 busy while it moves).
        await eventually(lambda: rig.core.state.bolt is BoltState.UNLOCKED, "unlocked")
        await rig.core.lock()
        await eventually(lambda: rig.core.state.bolt is BoltState.LOCKED, "locked")
        await rig.core.unlock_remote("c_test")
        await rig.event("unlocked", method="remote")
        await rig.sim.mechanical_key("lock")
        await rig.sim.mechanical_key("unlock")
        await rig.event("unlocked", method="mechanical_key")
        await rig.sim.mechanical_key("lock")
        await rig.sim.door("open")  # the inside handle
        await rig.event("unlocked", method="inside")
        assert rig.core.state.as_dict()["muted"] is True
        assert (await rig.sim.panel())["volume"] == 0
        await rig.sim.door("closed")
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("mute", muted=False)
        await rig.shows("volume", 2)


async def test_l63_after_a_factory_reset_a_touch_shows_the_initial_state(
    tmp_path: Path,
) -> None:
    """L-63: "一旦初始化，門鎖會清除所有使用者資訊"; then "鍵盤上的「↶」和「✓」會亮起".

    The reset clears the event log too (it names the household's users and their
    comings and goings); seq numbers keep increasing and the log starts again with one
    ``factory_reset`` event.
    """
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("unlocked", method="password")
        before = rig.core.events.last_seq
        await rig.sim.set_button("power_up")
        await rig.heard("factory_reset_confirm")
        await rig.keys("confirm")
        reset = await rig.event("factory_reset")
        await rig.heard("factory_reset_done")
        assert reset.seq > before
        assert [(e.seq, e.type) for e in rig.core.events.query(since=0)] == [
            (reset.seq, "factory_reset")
        ]

        async def dark() -> bool:
            return not (await rig.sim.panel())["leds"]

        await eventually(dark, "the keypad dark after the reset")
        welcomes = await rig.count("welcome_add_admin")
        await rig.keys()  # a touch
        await rig.heard("welcome_add_admin", welcomes + 1)
        await _lit(rig, "back")
        await _lit(rig, "confirm")
        await rig.keys("confirm")
        await rig.heard("enter_password")
