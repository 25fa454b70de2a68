"""Opening the door (L-30, L-31, L-40 to L-43): every method, anti-peep, lockout, remote."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.errors import LockedOutError, RemoteUnlockDisabledError
from ezlock_edge.core.models import VisitorKind
from ezlock_edge.vocabulary.mcu import Sensor
from tests.support.lock import ADMIN_PASSWORD
from tests.support.waiting import eventually

from .rig_support import Rig, running_lock, simulated_lock

ADMIN = {"number": 1, "name": "User 001"}


async def test_l40_face_and_palm_unlock_name_method_user_and_slot(
    tmp_path: Path,
) -> None:
    """L-10, L-11, L-40: enrolled from the app, recognised at the door."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        face = await rig.enroll_from_app(1, "face", "alice")
        await rig.heard("turn_right")  # L-10: the five poses were asked for
        palm = await rig.enroll_from_app(1, "palm", "alice-right")
        credentials = {c.id: c for c in await rig.core.list_credentials()}
        await rig.sim.face("alice")
        unlocked = await rig.event("unlocked", method="face")
        assert unlocked.data["user"] == ADMIN
        assert unlocked.data["credential_id"] == face["credential_id"]
        assert unlocked.data["slot"] == credentials[str(face["credential_id"])].slot
        await rig.sim.palm("alice-right")
        unlocked = await rig.event("unlocked", method="palm")
        assert unlocked.data["credential_id"] == palm["credential_id"]
        assert await rig.bolt() == "unlocked"


async def test_l40_unknown_or_spoofed_biometrics_fail(tmp_path: Path) -> None:
    """L-40: an unknown face fails with no_match, a photo with liveness."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.face("mallory")
        await rig.event("unlock_failed", method="face", reason="no_match")
        await rig.sim.face("mallory", spoof=True)
        await rig.event("unlock_failed", method="face", reason="liveness")
        await rig.sim.finger("mallory-thumb")
        await rig.event("unlock_failed", method="fingerprint", reason="no_match")
        assert await rig.bolt() == "locked"


async def test_l40_l42_presenting_again_during_a_match_is_matched_too(
    tmp_path: Path,
) -> None:
    """L-40, L-42: a second face while the first is still being refused is not lost.

    Both presentations come at once: the second wake reaches the core while the first
    match is still running (the module's answer for the first, then the failure prompt
    on the MCU link, are behind the second wake on the wire), so before the fix the
    second wake was dropped and the spoof never reported.
    """
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.face("mallory")
        await rig.sim.face("mallory", spoof=True)
        await rig.event("unlock_failed", method="face", reason="no_match")
        await rig.event("unlock_failed", method="face", reason="liveness")


async def test_l40_mechanical_key_and_inside_handle(tmp_path: Path) -> None:
    """L-07, L-40: the key and the inside handle are reported, with no user."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.sim.mechanical_key("unlock")
        await rig.event("unlocked", method="mechanical_key", user=None)
        await rig.sim.mechanical_key("lock")
        await rig.event("locked", source="mechanical_key")
        await rig.sim.door("open")
        await rig.event("unlocked", method="inside", user=None)
        await rig.event("door", state="open")


async def test_l41_anti_peep_up_to_32_digits(tmp_path: Path) -> None:
    """L-41: extra digits around the password still open; more than 32 digits do not."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.type_password("0" * 26 + ADMIN_PASSWORD)
        await rig.event("unlocked", method="password", user=ADMIN)
        await rig.type_password("0" * 27 + ADMIN_PASSWORD)
        await rig.event("unlock_failed", method="password", reason="no_match")


def _failures(rig: Rig) -> int:
    return sum(e.type == "unlock_failed" for e in rig.events)


async def test_l42_unknown_and_spoofed_count_nobody_does_not(tmp_path: Path) -> None:
    """L-40, L-42: unknown and spoofed are counted attempts; nobody is no attempt.

    The modules' own answers (REJECTED, UNKNOWN_USER, LIVENESS_CHECK, TIMEOUT) decide.
    """
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        for present, reason in (
            (rig.sim.face("mallory"), "no_match"),  # face module: REJECTED
            (rig.sim.face("mallory", spoof=True), "liveness"),  # LIVENESS_CHECK
            (rig.sim.palm("mallory"), "no_match"),  # palm module: UNKNOWN_USER
            (rig.sim.palm("mallory", spoof=True), "liveness"),
        ):
            failed = _failures(rig)
            await present

            def more(failed: int = failed) -> bool:
                return _failures(rig) > failed

            await eventually(more, f"a failed attempt ({reason})")
            assert rig.events[-1].data["reason"] == reason
        # Nobody in view: a keypad touch starts a face match (L-10), the module
        # answers TIMEOUT, and that is no attempt at all.
        await rig.advance(30)  # the keypad goes dark first (L-03)
        face_link, mcu = rig.sim._ports["face"], rig.sim._mcu
        assert mcu is not None
        sent_before = face_link.received
        await rig.keys()
        await eventually(lambda: not mcu.pending_events, "the keypad's wake handled")
        await rig.advance(1.0)  # the match's second passes with nobody in view
        await eventually(
            lambda: Sensor.FACE not in rig.core._identification._running,
            "the face module's TIMEOUT",
        )
        assert face_link.received > sent_before  # a VERIFY went out and ended
        assert "alarm" not in rig.types()
        await rig.sim.finger("mallory-thumb")  # the fifth failure
        await rig.event("alarm", alarm="lockout")
        assert [e.type for e in rig.events].count("unlock_failed") == 5


async def test_l42_l61_five_failures_lock_out_for_three_minutes(tmp_path: Path) -> None:
    """L-42, L-61: 5 failures in 5 min: alarm, 3 min locked, then by itself open again."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        for _ in range(4):
            await rig.type_password("000000")
        await rig.advance(200)
        await rig.sim.finger("mallory-thumb")
        await rig.event("alarm", alarm="lockout")
        await rig.heard("system_locked")
        assert rig.core.state.lockout_until == rig.clock.now() + timedelta(minutes=3)
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("unlock_failed", reason="locked_out")
        await rig.core.update_settings(remote_unlock_enabled=True)
        with pytest.raises(LockedOutError):
            await rig.core.unlock_remote("c_test")
        assert await rig.bolt() == "locked"
        await rig.advance(180)
        await rig.event("alarm_cleared", alarm="lockout")
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("unlocked", method="password")


async def test_l42_lockout_survives_restart_and_clears_from_the_app(
    tmp_path: Path,
) -> None:
    """L-42: a restart keeps the lockout; the app can clear it or switch it off."""
    clock = ManualClock()
    async with simulated_lock(tmp_path, clock) as sim:
        async with running_lock(tmp_path, sim=sim, clock=clock) as rig:
            await rig.create_first_admin()
            for _ in range(5):
                await rig.type_password("000000")
            await rig.event("alarm", alarm="lockout")
        async with running_lock(tmp_path, sim=sim, clock=clock) as rig:
            assert rig.core.state.lockout_until is not None
            await rig.core.clear_lockout()
            await rig.event("alarm_cleared", alarm="lockout")
            await rig.core.update_settings(lockout_protection=False)
            for _ in range(6):
                await rig.type_password("000000")
            await rig.type_password(ADMIN_PASSWORD)
            await rig.event("unlocked", method="password")
            assert "alarm" not in rig.types()


async def test_l43_remote_unlock_only_when_enabled(tmp_path: Path) -> None:
    """L-43: refused with remote_unlock_disabled until switched on."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        with pytest.raises(RemoteUnlockDisabledError) as err:
            await rig.core.unlock_remote("c_test")
        assert err.value.code == "remote_unlock_disabled"
        await rig.event("unlock_failed", method="remote", reason="disabled")
        await rig.core.update_settings(remote_unlock_enabled=True)
        await rig.core.unlock_remote("c_test")
        await rig.event("unlocked", method="remote", user=None)
        await rig.event("bolt", state="unlocked")


async def test_l30_temporary_password_one_time_by_default(tmp_path: Path) -> None:
    """L-30: a visitor code opens once, inside its window, and is then used up."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        temporary, code = await rig.core.create_visitor(
            VisitorKind.TEMPORARY_PASSWORD,
            "Cleaner",
            rig.clock.now() + timedelta(hours=2),
        )
        await rig.type_password("12" + code)
        unlocked = await rig.event("unlocked", method="temporary_password")
        assert unlocked.data["credential_id"] == temporary.id
        assert unlocked.data["visitor"] == {"id": temporary.id, "name": "Cleaner"}
        await rig.event("temporary_password_used", id=temporary.id, name="Cleaner")
        await rig.type_password(code)
        await rig.event("unlock_failed", method="temporary_password", reason="used_up")
        later, later_code = await rig.core.create_visitor(
            VisitorKind.TEMPORARY_PASSWORD,
            "Plumber",
            rig.clock.now() + timedelta(hours=2),
            max_uses=None,
        )
        await rig.core.revoke_visitor(VisitorKind.TEMPORARY_PASSWORD, later.id)
        await rig.type_password(later_code)
        refused = await rig.event(
            "unlock_failed", method="temporary_password", reason="revoked"
        )
        assert refused.data["visitor"] == {"id": later.id, "name": "Plumber"}
        # Forgotten (deleted again), the code is one the lock never knew.
        await rig.core.revoke_visitor(VisitorKind.TEMPORARY_PASSWORD, later.id)
        await rig.type_password(later_code)
        await rig.event("unlock_failed", method="password", reason="no_match")


async def test_l42_a_revoked_code_counts_towards_the_lockout(tmp_path: Path) -> None:
    """A code the owner took back is refused as ``revoked`` and counts as a wrong one."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        revoked, code = await rig.core.create_visitor(
            VisitorKind.TEMPORARY_PASSWORD,
            "Former cleaner",
            rig.clock.now() + timedelta(days=1),
            max_uses=None,
        )
        await rig.core.revoke_visitor(VisitorKind.TEMPORARY_PASSWORD, revoked.id)
        for _ in range(4):
            await rig.type_password(code)
        assert "alarm" not in rig.types()
        await rig.type_password(code)
        await rig.event("alarm", alarm="lockout")
        refusals = [e for e in rig.events if e.type == "unlock_failed"]
        assert {e.data["reason"] for e in refusals} == {"revoked"}


async def test_l31_bluetooth_key_inside_its_window(tmp_path: Path) -> None:
    """L-31: a visitor's phone opens with its key until the key expires."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        key, code = await rig.core.create_visitor(
            VisitorKind.BLUETOOTH_KEY, "Guest", rig.clock.now() + timedelta(hours=1)
        )
        await rig.sim.bluetooth(code)
        unlocked = await rig.event("unlocked", method="bluetooth")
        assert unlocked.data["credential_id"] == key.id
        await rig.advance(3600)
        await rig.sim.bluetooth(code)
        await rig.event("unlock_failed", method="bluetooth", reason="expired")
        await rig.sim.bluetooth("000000000000")
        await rig.event("unlock_failed", method="bluetooth", reason="no_match")


async def test_l12_l31_the_phone_locks_while_the_bolt_still_retracts(
    tmp_path: Path,
) -> None:
    """L-12, L-31, L-40: the guest locks behind them before the unlock's motor stopped.

    The MCU refuses a motor command while its motor runs (BUSY): the lock goes to it
    once the motor has stopped. The report that ends the unlock is the phone's
    movement, not a hand at the inside handle, and the lock is not refused as offline.
    """
    clock = ManualClock()
    async with (
        simulated_lock(tmp_path, clock, motor_travel=1.0) as sim,
        running_lock(tmp_path, clock=clock, sim=sim) as rig,
    ):
        await rig.create_first_admin()
        key, code = await rig.core.create_visitor(
            VisitorKind.BLUETOOTH_KEY, "Guest", clock.now() + timedelta(hours=1)
        )
        await rig.sim.bluetooth(code)
        await rig.event("unlocked", method="bluetooth")
        await rig.event("bolt", state="unlocking")
        await rig.sim.bluetooth(code, action="lock")
        await rig.advance(3.0)  # the unlock's travel, then the lock's
        locked = await rig.event("locked", source="bluetooth")
        assert locked.data["visitor"] == {"id": key.id, "name": "Guest"}
        await rig.event("bolt", state="locked")
        assert await rig.bolt() == "locked"
        moves = [
            (e.type, e.data.get("method", e.data.get("source")))
            for e in rig.events
            if e.type in {"unlocked", "locked", "lock_failed"}
        ]
        assert moves == [("unlocked", "bluetooth"), ("locked", "bluetooth")]


async def test_l12_l31_a_bluetooth_key_locks_too(tmp_path: Path) -> None:
    """L-12, L-31: the visitor's phone locks the door with its key, and is named.

    Locking opens nothing: a one-time key whose use is spent still locks, and so does a
    key during a lockout; an unknown or expired key is refused (``lock_failed``).
    """
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        key, code = await rig.core.create_visitor(
            VisitorKind.BLUETOOTH_KEY, "Guest", rig.clock.now() + timedelta(hours=1)
        )
        guest = {"id": key.id, "name": "Guest"}
        await rig.sim.bluetooth(code)
        await rig.event("unlocked", method="bluetooth", visitor=guest)
        await rig.sim.bluetooth(code, action="lock")
        locked = await rig.event("locked", source="bluetooth")
        assert locked.data["visitor"] == guest
        await rig.shows("bolt", "locked")
        state = rig.core.state.as_dict()["last_operation"]
        assert (state["type"], state["source"], state["visitor"]) == (
            "locked",
            "bluetooth",
            guest,
        )
        for _ in range(5):  # L-42: five wrong passwords lock the keypad out
            await rig.type_password("000000")
        await rig.event("alarm", alarm="lockout")
        await rig.sim.bluetooth(code)
        await rig.event("unlock_failed", method="bluetooth", reason="locked_out")
        await rig.sim.mechanical_key("unlock")
        await rig.shows("bolt", "unlocked")
        await rig.sim.bluetooth(code, action="lock")
        await rig.event("locked", lambda e: e.seq > locked.seq, source="bluetooth")
        await rig.shows("bolt", "locked")
        await rig.sim.bluetooth("000000000000", action="lock")
        await rig.event("lock_failed", source="bluetooth", reason="no_match")
        await rig.advance(3600)
        await rig.sim.mechanical_key("unlock")
        await rig.sim.bluetooth(code, action="lock")
        refused = await rig.event("lock_failed", reason="expired")
        assert refused.data["visitor"] == guest
        await rig.shows("bolt", "unlocked")
