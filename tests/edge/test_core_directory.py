"""Users, credentials and visitors (L-20 to L-32) at the directory level."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ezlock_edge.clock import ManualClock
from ezlock_edge.core.directory import Directory
from ezlock_edge.core.errors import (
    CapacityFullError,
    DuplicateCredentialError,
    InvalidValidityError,
    LastAdminError,
    PasswordPolicyError,
    UserCredentialLimitError,
    UserNotFoundError,
)
from ezlock_edge.core.events import EventLog
from ezlock_edge.core.models import CredentialType, Role, VisitorKind
from ezlock_edge.core.secrets import DeviceSecret
from ezlock_edge.core.store import Store
from ezlock_edge.core.visitors import Visitors

UTC_ZONE = ZoneInfo("UTC")


@pytest.fixture
def directory(store: Store, clock: ManualClock) -> Directory:
    return Directory(
        store, EventLog(store, clock), clock, DeviceSecret(b"s" * 32), UTC_ZONE
    )


def _types(store: Store, clock: ManualClock) -> list[str]:
    return [event.type for event in EventLog(store, clock).query(limit=1000)]


def test_l20_l21_roles_and_numbers(directory: Directory) -> None:
    """L-20, L-21: admins and users, numbered from 001."""
    admin = directory.create_user("Alice", Role.ADMIN)
    user = directory.create_user("Bob", Role.USER)
    assert (admin.number, admin.role) == (1, Role.ADMIN)
    assert (user.number, user.role) == (2, Role.USER)
    assert directory.admin_exists


def test_l26_no_admin_in_initial_state(directory: Directory) -> None:
    """L-26: a fresh lock has no admin."""
    assert not directory.admin_exists
    first = directory.new_user(Role.ADMIN)
    assert first.number == 1
    assert not directory.admin_exists  # new_user does not store


def test_l27_last_admin_cannot_be_deleted_or_demoted(directory: Directory) -> None:
    """L-27: the last admin stays; an unknown number is a clear error."""
    admin = directory.create_user("Alice", Role.ADMIN)
    with pytest.raises(LastAdminError):
        directory.delete_user(admin.number)
    with pytest.raises(LastAdminError):
        directory.update_user(admin.number, {"role": Role.USER})
    with pytest.raises(UserNotFoundError) as err:
        directory.delete_user(7)
    assert err.value.code == "user_not_found"
    second = directory.create_user("Carol", Role.ADMIN)
    directory.delete_user(admin.number)
    assert [u.number for u in directory.users()] == [second.number]


def test_l22_l23_capacity_and_per_user_limits(directory: Directory) -> None:
    """L-22, L-23: 50 per type in the lock, 3 faces / 2 palms / 5 fingers / 1 password each."""
    users = [directory.create_user(f"u{n}", Role.USER) for n in range(26)]
    for slot in range(2):
        directory.add_biometric(users[0], CredentialType.PALM, slot)
    with pytest.raises(UserCredentialLimitError) as err:
        directory.check_room(users[0], CredentialType.PALM)
    assert err.value.code == "user_credential_limit"
    slot = 2
    for user in users[1:]:
        for _ in range(2):
            if slot < 50:
                directory.add_biometric(user, CredentialType.PALM, slot)
                slot += 1
    with pytest.raises(CapacityFullError):
        directory.check_room(users[-1], CredentialType.PALM)


def test_l25_password_policy_and_one_password_per_user(
    directory: Directory, store: Store, clock: ManualClock
) -> None:
    """L-25: policy enforced; setting a new password replaces the old one."""
    user = directory.create_user("Alice", Role.ADMIN)
    with pytest.raises(PasswordPolicyError):
        directory.set_password(user, "123456")
    first = directory.set_password(user, "482915")
    second = directory.set_password(user, "730461")
    assert first.id == second.id
    assert len(directory.credentials(user.number)) == 1
    assert [m.user for m in directory.match_entry("730461")] == [user]
    assert directory.match_entry("482915") == []
    assert _types(store, clock)[-2:] == ["credential_added", "credential_updated"]


def test_l25_two_users_cannot_share_a_password(directory: Directory) -> None:
    """An entry must name one person: a second user may not take the same password."""
    alice = directory.create_user("Alice", Role.ADMIN)
    bob = directory.create_user("Bob", Role.USER)
    directory.set_password(alice, "482915")
    with pytest.raises(DuplicateCredentialError):
        directory.set_password(bob, "482915")


def test_l28_validity_period(directory: Directory, clock: ManualClock) -> None:
    """L-28: a user can be valid only in a period; until must follow from."""
    start = clock.now() + timedelta(hours=1)
    with pytest.raises(InvalidValidityError):
        directory.create_user("Eve", Role.USER, start, start)
    user = directory.create_user("Eve", Role.USER, start, start + timedelta(hours=2))
    assert user.refusal(clock.now(), UTC_ZONE) == "not_yet_valid"
    assert user.refusal(start, UTC_ZONE) is None
    assert user.refusal(start + timedelta(hours=2), UTC_ZONE) == "expired"


def test_l32_only_hashes_and_slots_are_stored(
    directory: Directory, store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    """L-32: neither a password nor a visitor code appears in the database file."""
    user = directory.create_user("Alice", Role.ADMIN)
    directory.set_password(user, "48291573")
    visitors = Visitors(
        store, EventLog(store, clock), clock, DeviceSecret(b"s" * 32), UTC_ZONE
    )
    _, code = visitors.create(
        VisitorKind.TEMPORARY_PASSWORD, "Cleaner", clock.now() + timedelta(days=1)
    )
    directory.add_biometric(user, CredentialType.FINGERPRINT, 3)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("lock.db*"))
    assert b"48291573" not in raw
    assert code.encode() not in raw
    slots = {c.type: c.slot for c in directory.credentials(user.number)}
    assert slots == {CredentialType.PASSWORD: None, CredentialType.FINGERPRINT: 3}
