"""Password policy (L-25) and the anti-peep matcher (L-41), as pure functions."""

from __future__ import annotations

import pytest

from ezlock_edge.core.errors import PasswordPolicyError
from ezlock_edge.core.policy import check_password, entry_windows, match_entry
from ezlock_edge.core.secrets import DeviceSecret

SECRET = DeviceSecret(b"k" * 32)


def _digest(value: str) -> bytes:
    return SECRET.digest("password", value)


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("12345", "length"),
        ("12345678901", "length"),
        ("12a456", "digits_only"),
        ("\uff11\uff12\uff13\uff19\uff15\uff17", "digits_only"),
        ("123456", "sequential"),
        ("654321", "sequential"),
        ("3456789", "sequential"),
        ("111111", "repeated"),
        ("9999999999", "repeated"),
    ],
)
def test_l25_refuses_weak_passwords(password: str, rule: str) -> None:
    """L-25: 6-10 digits, no runs, no repeated digit; the error names the rule."""
    with pytest.raises(PasswordPolicyError) as err:
        check_password(password)
    assert err.value.code == "password_policy"
    assert err.value.fields == {"password": rule}


@pytest.mark.parametrize(
    "password", ["1234567890", "0987654321", "890123", "2345678901", "3210987654"]
)
def test_l25_zero_follows_nine(password: str) -> None:
    """L-25: "6-10 位連續數字，例如 123456/654321" counts the keypad's order, 1 to 9 then 0.

    Our decision (docs/lock-behaviour.md): 0 follows 9 and precedes 1, so a run may
    pass from 9 to 0 and on; "1234567890" is the whole keypad typed in order.
    """
    with pytest.raises(PasswordPolicyError) as err:
        check_password(password)
    assert err.value.fields == {"password": "sequential"}


@pytest.mark.parametrize("password", ["135790", "2345678912", "2580147369", "901235"])
def test_l25_accepts_reasonable_passwords(password: str) -> None:
    """L-25: anything else of 6-10 digits is fine."""
    check_password(password)


def test_l41_password_hidden_among_extra_digits_matches() -> None:
    """L-41: the right password with digits before and after still matches."""
    candidates = [(_digest("482915"), "alice"), (_digest("7391046"), "bob")]
    assert match_entry("0000482915999", candidates, _digest) == ["alice"]
    assert match_entry("7391046", candidates, _digest) == ["bob"]
    assert match_entry("48291", candidates, _digest) == []


def test_l41_every_candidate_in_one_entry_is_reported() -> None:
    """L-41: no early exit: two passwords inside one entry are both found."""
    candidates = [(_digest("482915"), "normal"), (_digest("730461"), "duress")]
    assert match_entry("48291573046155", candidates, _digest) == ["normal", "duress"]


def test_l41_entry_over_32_digits_never_matches() -> None:
    """L-41 (our decision): at most 32 digits in all."""
    candidates = [(_digest("482915"), "alice")]
    assert match_entry("1" * 26 + "482915", candidates, _digest) == ["alice"]
    assert match_entry("1" * 27 + "482915", candidates, _digest) == []


def test_l41_windows_cover_every_length_and_position() -> None:
    """L-41: every contiguous window of 6-10 digits is tried."""
    windows = entry_windows("0123456789ab"[:12].replace("a", "0").replace("b", "1"))
    assert len(windows) == 7 + 6 + 5 + 4 + 3
    assert len(entry_windows("1" * 32)) == 27 + 26 + 25 + 24 + 23


def test_l32_keyed_hash_depends_on_device_secret() -> None:
    """L-32: a password hash is useless without the device's own secret."""
    other = DeviceSecret(b"o" * 32)
    assert SECRET.digest("password", "482915") != other.digest("password", "482915")
    assert SECRET.digest("password", "482915") != SECRET.digest("temporary", "482915")
    assert SECRET.matches("password", "482915", _digest("482915"))
