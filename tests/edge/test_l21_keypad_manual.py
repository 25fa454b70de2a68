"""What the person at the keypad sees and hears, sentence by sentence of the manual.

Issue #13, L-21, L-25, L-44, L-48, L-63, L-64: each test quotes the manual's sentence
(``ezviz-lock-manual.zh-Hant.txt``) and checks it on the simulated lock's panel: its
lit keys and its voice. The lock handles MCU events one at a time, in order, so a
doorbell press after some keys is answered only once those keys were handled: that is
how a test knows the lock had its chance to light a key it must not light.
"""

from __future__ import annotations

from datetime import timedelta
import logging
from pathlib import Path

import pytest

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
        # The face match the keypad touch started (L-10) finds nobody: until it ends,
        # the face module cannot be emptied.
        await rig.advance(1.0)
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


async def _leds(rig: Rig) -> dict[str, str]:
    leds: dict[str, str] = (await rig.sim.panel())["leds"]
    return leds


async def test_l21_the_new_number_s_digits_blink_slowly_one_after_the_other(
    tmp_path: Path,
) -> None:
    """L-21: "與使用者編號對應的數字預設從 001 開始亮起 ... 001 這三個數字會依序緩慢閃爍一次"."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.enter_menu()
        await rig.keys("2")  # add a user: number 002
        await rig.heard("choose_credential")
        shown = []
        for _ in range(3):
            shown.append(await _leds(rig))  # a digit, lit for 0.6 s
            await rig.sim.clock(advance=0.6)
            shown.append(await _leds(rig))  # then dark for 0.4 s
            await rig.sim.clock(advance=0.4)
        assert shown == [{"0": "on"}, {}, {"0": "on"}, {}, {"2": "on"}, {}]
        # Then the choices of 新增人臉 / 掌靜脈 / 指紋 / 密碼, and back.
        assert await _leds(rig) == dict.fromkeys(("1", "2", "3", "4", "back"), "on")


async def test_l21_l27_a_wrong_number_lights_up_digit_by_digit(tmp_path: Path) -> None:
    """L-27: "如果您按下錯誤的使用者編號，您將看到使用者編號逐漸亮起，隨著出現故障聲"."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.enter_menu()
        await rig.keys("3")
        await rig.heard("enter_user_number")
        await rig.keys("0", "4", "2", "confirm")
        await rig.heard("failure")
        shown = []
        for _ in range(3):
            shown.append(await _leds(rig))
            await rig.sim.clock(advance=1)
        assert shown == [{"0": "on"}, {"4": "on"}, {"2": "on"}]


async def test_l48_the_keypad_flashes_twice_visibly(tmp_path: Path) -> None:
    """L-48: "按住「0」鍵直到鍵盤閃爍兩次，表示該功能已開啟" (the only feedback: muted)."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.clock(advance=20)  # the keypad has gone dark
        await rig.keys(hold="0")
        await rig.event("mute", muted=True)
        every_key = dict.fromkeys(
            (*"0123456789", "back", "confirm", "away", "doorbell"), "on"
        )
        shown = []
        for _ in range(2):
            shown.append(await _leds(rig))  # lit for 0.3 s
            await rig.sim.clock(advance=0.3)
            shown.append(await _leds(rig))  # dark for 0.3 s
            await rig.sim.clock(advance=0.3)
        assert shown == [every_key, {}, every_key, {}]
        assert await _leds(rig) == {}
        assert (await rig.sim.panel())["volume"] == 0


def _spelled(text: str) -> str:
    words = {".": "point", "-": "dash"}
    return " ".join(words.get(char, char) for char in text.upper())


async def test_l64_system_information_is_read_out_then_the_menu_returns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """L-64: "鎖具將用英文依次廣播鎖具序號、目前裝置版本和驗證碼 ... 系統在完成廣播後會自動返回到上一層級"."""
    caplog.set_level(logging.DEBUG)
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.enter_menu()
        menus = await rig.count("menu")
        await rig.keys("confirm")
        await rig.heard("system_info")
        await rig.sim.clock(advance=60)
        await rig.heard("menu", menus + 1)
        label = await rig.sim.label()
        panel = await rig.sim.panel()
        spoken = [(p["prompt"], p["text"]) for p in panel["prompts"]]
        start = spoken.index(("system_info", "System information"))
        assert spoken[start + 1 : start + 5] == [
            ("serial_number", f"Serial number: {_spelled(label['serial'])}"),
            (
                "firmware_version",
                f"Firmware version: {_spelled(rig.core.info.firmware)}",
            ),
            (
                "verification_code",
                f"Verification code: {_spelled(label['verification_code'])}",
            ),
            ("menu", spoken[start + 4][1]),
        ]
        # The code is heard at the door, and goes nowhere else (docs/security.md).
        code = label["verification_code"]
        assert all(code not in str(event.data) for event in rig.events)
        assert code not in str(rig.core.state.as_dict())
        # serialx logs raw UART bytes at DEBUG; logs.setup keeps it at INFO or above.
        ours = [
            r.getMessage()
            for r in caplog.records
            if r.name != "serialx" and not r.name.startswith("serialx.")
        ]
        assert all(code not in message for message in ours)


async def test_l64_back_stops_the_read_out(tmp_path: Path) -> None:
    """L-64: "按下「<」即可返回上一層"."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.enter_menu()
        menus = await rig.count("menu")
        await rig.keys("confirm")
        await rig.heard("system_info")
        await rig.sim.clock(advance=2)  # the serial number is being read
        await rig.keys("back")
        await rig.heard("menu", menus + 1)
        await rig.sim.clock(advance=17)  # the whole read-out would be over by now
        names = await rig.prompts()
        assert "serial_number" in names
        assert "verification_code" not in names
        assert names.count("menu") == menus + 1
        await rig.keys("1")  # still in the menu: add an admin
        await rig.heard("choose_credential")
