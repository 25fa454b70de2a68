"""Users and credentials at the lock (L-20 to L-29, L-32), driven on the keypad."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.errors import (
    AdminRequiredError,
    EnrollmentBusyError,
    EnrollmentNotFoundError,
    InvalidRequestError,
)
from ezlock_edge.core.models import CredentialType, Role
from tests.support.lock import ADMIN_PASSWORD
from tests.support.waiting import eventually

from .rig_support import running_lock, simulated_lock
from .sim_support import HexPort


async def test_l26_first_admin_by_password_on_a_fresh_lock(tmp_path: Path) -> None:
    """L-26: a fresh lock asks for an admin; nothing else works until one exists."""
    async with running_lock(tmp_path) as rig:
        assert not rig.core.state.admin_exists
        with pytest.raises(AdminRequiredError):
            await rig.core.create_user("Bob")
        await rig.keys()
        await rig.heard("welcome_add_admin")
        await rig.keys("confirm")
        await rig.heard("enter_password")
        await rig.type_password(ADMIN_PASSWORD)
        await rig.heard("enter_password_again")
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("user_added")
        await rig.heard("success")
        [admin] = await rig.core.list_users()
        assert (admin.number, admin.role) == (1, Role.ADMIN)
        with pytest.raises(InvalidRequestError) as err:
            await rig.core.create_user("Eve", role="owner")  # L-20: two roles only
        assert err.value.fields == {"role": "admin, user"}
        assert rig.core.state.as_dict()["admin_exists"]
        await rig.event("credential_added")
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event(
            "unlocked", method="password", user={"number": 1, "name": admin.name}
        )


async def test_l25_keypad_refuses_simple_and_mismatched_passwords(
    tmp_path: Path,
) -> None:
    """L-25: runs and repeats are too simple; the second entry must match the first."""
    async with running_lock(tmp_path) as rig:
        await rig.keys("confirm")
        await rig.heard("enter_password")
        await rig.type_password("123456")
        await rig.heard("password_too_simple")
        await rig.type_password("111111")
        await rig.type_password(ADMIN_PASSWORD)
        await rig.heard("enter_password_again")
        await rig.type_password("482916")
        await rig.heard("password_mismatch")
        assert await rig.core.list_users() == []


async def test_l20_l21_menu_adds_a_user_who_cannot_enter_the_menu(
    tmp_path: Path,
) -> None:
    """L-20, L-21: admin adds user 002 with a password; a user opens but has no menu."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.enter_menu()
        await rig.keys("2")
        await rig.heard("choose_credential")
        await rig.keys("4")
        await rig.type_password("730461")
        await rig.type_password("730461")
        await rig.event("user_added", user={"number": 2, "name": "User 002"})
        users = await rig.core.list_users()
        assert [(u.number, u.role) for u in users] == [(1, Role.ADMIN), (2, Role.USER)]
        await rig.keys("back")
        await rig.type_password("730461")
        await rig.event("unlocked", user={"number": 2, "name": "User 002"})
        failures, menus = await rig.count("failure"), await rig.count("menu")
        await rig.sim.set_button("short")
        await rig.heard("verify_admin", 2)
        await rig.type_password("730461")
        await rig.heard("failure", failures + 1)
        assert await rig.count("menu") == menus


async def test_l23_l24_fingerprint_enrolled_on_the_keypad_once(tmp_path: Path) -> None:
    """L-09, L-23, L-24: a finger takes four captures; the same finger cannot be added twice."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.enter_menu()
        await rig.keys("2", "3")
        await rig.heard("present_finger")
        await rig.present_finger("bob-thumb")
        added = await rig.event(
            "credential_added",
            lambda e: e.data["credential"]["type"] == "fingerprint",
        )
        credential = added.data["credential"]
        assert (credential["type"], credential["user"]["number"]) == ("fingerprint", 2)
        await rig.heard("menu", 2)
        await rig.keys("1", "3")
        await rig.heard("present_finger", 2)
        await rig.present_finger("bob-thumb")
        await rig.heard("already_enrolled")
        kinds = [c.type for c in await rig.core.list_credentials()]
        assert kinds.count(CredentialType.FINGERPRINT) == 1
        await rig.keys("back")
        await rig.sim.finger("bob-thumb")
        unlocked = await rig.event("unlocked", method="fingerprint")
        assert unlocked.data["slot"] == credential["slot"]


async def test_l27_delete_users_on_the_keypad_but_not_the_last_admin(
    tmp_path: Path,
) -> None:
    """L-27: the last admin stays; an unknown number fails; a user is deleted."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        bob = await rig.core.create_user("Bob")
        await rig.core.set_password(bob.number, "730461")
        await rig.enter_menu()
        await rig.keys("3")
        await rig.heard("enter_user_number")
        await rig.keys("1", "confirm")
        await rig.heard("cannot_delete_last_admin")
        await rig.keys("9", "confirm")
        await rig.heard("failure")
        await rig.keys("2", "confirm")
        await rig.heard("user_deleted")
        await rig.event("user_deleted", user={"number": 2, "name": "Bob"})
        assert [u.number for u in await rig.core.list_users()] == [1]


async def test_l28_credentials_work_only_inside_the_validity_period(
    tmp_path: Path,
) -> None:
    """L-28: outside the period the password is refused with its own reason."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        start = rig.clock.now() + timedelta(hours=1)
        guest = await rig.core.create_user(
            "Guest", valid_from=start, valid_until=start + timedelta(hours=1)
        )
        await rig.core.set_password(guest.number, "730461")
        await rig.type_password("730461")
        await rig.event("unlock_failed", reason="not_yet_valid")
        await rig.heard("not_in_validity_period")
        await rig.advance(3600)
        await rig.type_password("730461")
        await rig.event("unlocked", user={"number": 2, "name": "Guest"})
        await rig.advance(3600)
        await rig.type_password("730461")
        await rig.event("unlock_failed", reason="expired")


async def test_l29_l41_duress_password_inside_decoy_digits(tmp_path: Path) -> None:
    """L-29, L-41: a duress password hidden among digits opens and raises a silent alarm."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        bob = await rig.core.create_user("Bob")
        credential = await rig.core.set_password(bob.number, "730461")
        await rig.core.set_duress(credential.id, True)
        await rig.type_password("99" + "730461" + ADMIN_PASSWORD + "5")
        unlocked = await rig.event("unlocked")
        assert unlocked.data["user"] == {"number": 2, "name": "Bob"}
        assert unlocked.data["credential_id"] == credential.id
        await rig.event("alarm", alarm="duress")
        panel = await rig.sim.panel()
        assert not panel["siren"]
        assert "tamper_alarm" not in await rig.prompts()


async def test_l32_nothing_secret_in_events_or_the_database(tmp_path: Path) -> None:
    """L-32: passwords never appear in the stored data or in any event."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.type_password(ADMIN_PASSWORD)
        await rig.event("unlocked")
        dump = "".join(str(e.as_dict()) for e in rig.core.events.query(limit=1000))
        assert ADMIN_PASSWORD not in dump
        raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("lock.db*"))
        assert ADMIN_PASSWORD.encode() not in raw


async def test_l20_menu_ends_after_20_seconds_without_a_touch(tmp_path: Path) -> None:
    """L-03, L-20: a menu left alone closes; the next keys are an ordinary entry."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.enter_menu()
        await rig.advance(20)
        await rig.keys("2", "doorbell")
        await rig.event("doorbell")
        assert await rig.count("choose_credential") == 0


async def test_l09_enrollment_from_the_app_times_out_and_is_exclusive(
    tmp_path: Path,
) -> None:
    """L-09: nobody at the reader: the enrollment ends with ``timeout``; one at a time."""
    async with running_lock(tmp_path, enroll_timeout=1.0) as rig:
        await rig.create_first_admin()
        enrollment = await rig.core.start_enrollment(1, "fingerprint")
        assert enrollment.steps == 4
        with pytest.raises(EnrollmentBusyError):
            await rig.core.start_enrollment(1, "face")
        await rig.heard("present_finger")
        await rig.advance(1.0)  # nobody came
        await rig.event("enrollment", status="timeout", enrollment_id=enrollment.id)
        await rig.heard("timeout")
        kinds = [c.type for c in await rig.core.list_credentials(1)]
        assert kinds == [CredentialType.PASSWORD]


async def test_l27_l32_a_deleted_user_is_forgotten_by_the_modules(
    tmp_path: Path,
) -> None:
    """L-27, L-32: deleting a user deletes their face template on the module too."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        bob = await rig.core.create_user("Bob")
        await rig.enroll_from_app(bob.number, "face", "bob")
        await rig.sim.face("bob")
        await rig.event("unlocked", method="face", user={"number": 2, "name": "Bob"})
        await rig.core.delete_user(bob.number)
        await rig.sim.face("bob")
        await rig.event("unlock_failed", method="face", reason="no_match")


async def test_l20_an_admin_face_opens_the_menu(tmp_path: Path) -> None:
    """L-20: any admin credential verifies for the menu, a face too."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        await rig.enroll_from_app(1, "face", "alice")
        await rig.sim.set_button("short")
        await rig.heard("verify_admin")
        await rig.sim.face("alice")
        await rig.heard("menu")
        assert "unlocked" not in rig.types()  # verifying for the menu opens nothing


async def test_l24_a_template_the_lock_lost_track_of_is_adopted(tmp_path: Path) -> None:
    """L-24, L-32: a face the module holds but the lock forgot (a crash) is re-used."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        first = await rig.enroll_from_app(1, "face", "alice")
        # The power failed after the module stored the face, before the lock's commit.
        rig.core._store.delete_credential(str(first["credential_id"]))
        enrollment = await rig.core.start_enrollment(1, "face")

        async def adopted() -> bool:
            await rig.sim.face("alice")  # she stands in view until the lock takes her
            return any(
                e.data.get("enrollment_id") == enrollment.id
                and e.data["status"] == "completed"
                for e in rig.events
            )

        await eventually(adopted, "the face was adopted")
        done = await rig.event(
            "enrollment", status="completed", enrollment_id=enrollment.id
        )
        await rig.sim.face("alice")
        unlocked = await rig.event("unlocked", method="face")
        assert unlocked.data["credential_id"] == done.data["credential_id"]


async def test_l22_l24_templates_another_host_stored_are_reported_and_never_overwritten(
    tmp_path: Path,
) -> None:
    """L-22, L-24: a module set up on another host keeps its templates.

    Before the lock ever ran, another host stored a stranger's finger in page 0 and in
    page 150 of the R503's 200 (the manual's commands, as literal bytes). The lock reports
    both at start (its whole library, not only the lock's 50 pages), enrolls
    Alice's finger into another page, and adopts page 0 when the stranger enrolls.
    Templates the lock's credentials need but a module lost are reported too.
    """
    clock = ManualClock()
    async with simulated_lock(tmp_path, clock) as sim:
        other_host = await HexPort.open(sim.ports["fingerprint"], 57600)
        h = "EF 01 FF FF FF FF"
        for img2tz in ("01 00 04 02 01 00 08", "01 00 04 02 02 00 09"):
            await sim.finger("stranger")
            await other_host.exchange(
                f"{h} 01 00 03 01 00 05", f"{h} 07 00 03 00 00 0A"
            )
            await other_host.exchange(f"{h} {img2tz}", f"{h} 07 00 03 00 00 0A")
        await other_host.exchange(f"{h} 01 00 03 05 00 09", f"{h} 07 00 03 00 00 0A")
        await other_host.exchange(  # Store buffer 1 into page 0
            f"{h} 01 00 06 06 01 00 00 00 0E", f"{h} 07 00 03 00 00 0A"
        )
        await other_host.exchange(  # and into page 150, beyond the lock's 50 pages
            f"{h} 01 00 06 06 01 00 96 00 A4", f"{h} 07 00 03 00 00 0A"
        )
        other_host.close()
        async with running_lock(tmp_path, clock=clock, sim=sim) as rig:
            found = await rig.event("templates_mismatch", credential_type="fingerprint")
            assert (found.data["unknown_slots"], found.data["missing_slots"]) == (
                [0, 150],
                [],
            )
            await rig.create_first_admin()
            alice = await rig.core.start_enrollment(1, "fingerprint")
            await rig.present_finger("alice-thumb")
            done = await rig.event(
                "enrollment", status="completed", enrollment_id=alice.id
            )
            slots = {c.id: c.slot for c in await rig.core.list_credentials(1)}
            assert slots[str(done.data["credential_id"])] == 1
            # The stranger, now a user, enrolls: the module knows the finger (page 0).
            stranger = await rig.core.create_user("Stranger")
            enrollment = await rig.core.start_enrollment(stranger.number, "fingerprint")
            await rig.present_finger("stranger")
            adopted = await rig.event(
                "enrollment", status="completed", enrollment_id=enrollment.id
            )
            slots = {c.id: c.slot for c in await rig.core.list_credentials()}
            assert slots[str(adopted.data["credential_id"])] == 0
            face = await rig.enroll_from_app(1, "face", "alice")
        # Meanwhile another host emptied the face module (FM22x DELALL).
        face_host = await HexPort.open(sim.ports["face"], 115200)
        await face_host.exchange("EF AA 21 00 00 21", "EF AA 00 00 02 21 00 23")
        face_host.close()
        async with running_lock(tmp_path, clock=clock, sim=sim) as rig:
            lost = await rig.event("templates_mismatch", credential_type="face")
            credentials = {c.id: c.slot for c in await rig.core.list_credentials()}
            slot = credentials[str(face["credential_id"])]
            assert (lost.data["unknown_slots"], lost.data["missing_slots"]) == (
                [],
                [slot],
            )


async def test_l10_an_app_enrollment_says_what_the_lock_asks_and_can_be_cancelled(
    tmp_path: Path,
) -> None:
    """Each ``enrollment`` event names the prompt; a cancel ends it and frees the lock."""
    async with running_lock(tmp_path) as rig:
        await rig.create_first_admin()
        enrollment = await rig.core.start_enrollment(1, "face")
        started = await rig.event("enrollment", status="started")
        assert started.data["prompt"] == "look_straight"
        await rig.sim.face("alice")
        first = await rig.event("enrollment", status="progress", step=1)
        assert first.data["prompt"] == "raise_head"
        await rig.core.cancel_enrollment(enrollment.id)
        await rig.event("enrollment", status="cancelled", enrollment_id=enrollment.id)
        with pytest.raises(EnrollmentNotFoundError):
            await rig.core.cancel_enrollment(enrollment.id)
        again = await rig.core.start_enrollment(1, "fingerprint")  # the lock is free
        await rig.core.cancel_enrollment(again.id)
        await rig.event("enrollment", status="cancelled", enrollment_id=again.id)
        assert [c.type for c in await rig.core.list_credentials(1)] == [
            CredentialType.PASSWORD
        ]
