"""Pieces of the API that stand alone: TLS identity, tokens, throttle, schemas, config."""

from __future__ import annotations

from datetime import UTC, datetime
import hashlib
from pathlib import Path
import secrets
import stat

from cryptography import x509
from cryptography.hazmat.primitives import serialization
import pytest
import voluptuous as vol
from zeroconf.asyncio import AsyncZeroconf

from ezlock_edge.api import schemas
from ezlock_edge.api.auth import AuthThrottle, new_token, token_hash
from ezlock_edge.api.discovery import (
    SERVICE_TYPE,
    Advertisement,
    Advertiser,
    advertised_addresses,
)
from ezlock_edge.api.errors import ApiError, status_for_core_code
from ezlock_edge.api.tls import TlsIdentityError, load_or_create
from ezlock_edge.clock import ManualClock
from ezlock_edge.config import (
    DEFAULT_PORT,
    ConfigError,
    HardwarePorts,
    build,
    from_environment,
    load,
)


@pytest.mark.parametrize("separate_process", [False, True])
def test_tls_identity_created_once_with_private_key(
    tmp_path: Path, separate_process: bool
) -> None:
    identity = load_or_create(
        tmp_path / "tls", "ezlock-TEST", separate_process=separate_process
    )
    assert stat.S_IMODE(identity.key_path.stat().st_mode) == 0o600
    der = x509.load_pem_x509_certificate(identity.cert_path.read_bytes()).public_bytes(
        serialization.Encoding.DER
    )
    assert identity.fingerprint == hashlib.sha256(der).hexdigest()
    assert len(identity.fingerprint) == 64
    cert = x509.load_pem_x509_certificate(identity.cert_path.read_bytes())
    assert cert.subject.rfc4514_string() == "CN=ezlock-TEST"
    # A restart keeps the identity: a new one would look like an impersonation.
    again = load_or_create(tmp_path / "tls", "ezlock-TEST")
    assert again.fingerprint == identity.fingerprint
    assert again.server_context() is not None


def test_tls_identity_child_failure_is_a_clear_error(tmp_path: Path) -> None:
    # X.509 limits a common name to 64 characters: the child process fails, says why,
    # and nothing is written.
    with pytest.raises(TlsIdentityError, match="could not create the TLS identity"):
        load_or_create(tmp_path, "x" * 65, separate_process=True)
    assert not (tmp_path / "cert.pem").exists()
    assert not (tmp_path / "key.pem").exists()


def test_tls_identity_recreated_when_key_is_missing(tmp_path: Path) -> None:
    identity = load_or_create(tmp_path, "ezlock-TEST")
    identity.key_path.unlink()
    assert load_or_create(tmp_path, "ezlock-TEST").fingerprint != identity.fingerprint


def test_tokens_are_random_and_hashed() -> None:
    first, second = new_token(), new_token()
    assert first != second
    assert len(first) >= 43
    assert token_hash(first) == hashlib.sha256(first.encode()).hexdigest()
    assert first not in token_hash(first)


def test_throttle_blocks_repeated_failures_with_growing_delay() -> None:
    clock = ManualClock()
    throttle = AuthThrottle(clock, free_failures=2, max_block=4)
    throttle.failure("10.0.0.9")
    throttle.failure("10.0.0.9")
    throttle.check("10.0.0.9")  # two mistakes are free
    throttle.failure("10.0.0.9")
    with pytest.raises(ApiError) as err:
        throttle.check("10.0.0.9")
    assert err.value.status == 429
    assert err.value.headers == {"Retry-After": "1"}
    throttle.check("10.0.0.10")  # other addresses are not affected
    clock.advance(1)
    throttle.check("10.0.0.9")
    throttle.failure("10.0.0.9")
    assert throttle.retry_after("10.0.0.9") == 2
    for _ in range(5):
        throttle.failure("10.0.0.9")
    assert throttle.retry_after("10.0.0.9") == 4  # capped
    throttle.success("10.0.0.9")
    assert throttle.retry_after("10.0.0.9") is None


def test_throttle_memory_is_bounded() -> None:
    throttle = AuthThrottle(ManualClock(), free_failures=0, max_addresses=3)
    for host in range(10):
        throttle.failure(f"10.0.0.{host}")
    assert throttle.retry_after("10.0.0.0") is None
    assert throttle.retry_after("10.0.0.9") == 1


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("user_not_found", 404),
        ("password_policy", 400),
        ("pairing_closed", 403),
        ("invalid_verification_code", 401),
        ("lock_offline", 503),
        ("last_admin", 409),
        ("something_new", 409),
    ],
)
def test_core_codes_map_to_statuses(code: str, status: int) -> None:
    assert status_for_core_code(code) == status


def test_schemas_are_strict_about_types() -> None:
    with pytest.raises(vol.Invalid):
        schemas.COUNTDOWN_LOCK({"seconds": True})
    with pytest.raises(vol.Invalid):
        schemas.COUNTDOWN_LOCK({"seconds": "30"})
    with pytest.raises(vol.Invalid):
        schemas.COUNTDOWN_LOCK({"seconds": 30, "extra": 1})
    with pytest.raises(vol.Invalid):
        schemas.SETTINGS_PATCH({})
    with pytest.raises(vol.Invalid):
        schemas.USER_CREATE({"name": "Bob", "valid_from": "2026-01-01T00:00:00"})
    with pytest.raises(vol.Invalid):
        schemas.USER_CREATE({"name": "Bob\n"})
    user = schemas.USER_CREATE({"name": "Bob", "valid_until": "2026-01-01T00:00:00Z"})
    assert user == {
        "name": "Bob",
        "role": "user",
        "valid_until": datetime(2026, 1, 1, tzinfo=UTC),
    }
    assert schemas.EVENTS_QUERY({"since": "7"}) == {"since": 7}
    with pytest.raises(vol.Invalid):
        schemas.EVENTS_QUERY({"limit": "1001"})
    with pytest.raises(vol.Invalid):
        schemas.USER_NUMBER("٣")  # a digit, but not an ASCII one


def test_advertisement_txt_record() -> None:
    advert = Advertisement("EZL123", "M1", "1.0", 8765, "ab" * 32)
    assert advert.properties() == {
        "serial": "EZL123",
        "model": "M1",
        "fw": "1.0",
        "api": "1",
        "fp": "ab" * 32,
    }
    assert "fp" not in Advertisement("EZL123", "M1", "1.0", 8765, None).properties()
    info = advert.service_info(["192.168.1.20"])
    assert info.name == "ezlock-EZL123._ezlock._tcp.local."
    assert info.port == 8765
    assert advertised_addresses("192.168.1.20") == ["192.168.1.20"]
    assert "127.0.0.1" not in advertised_addresses("0.0.0.0")  # noqa: S104


async def test_advertisement_is_found_on_the_network() -> None:
    # A name of its own: runs in parallel (xdist workers, other checkouts on the same
    # machine) share the loopback multicast group, and a second "ezlock-EZL123" is
    # renamed by the responder, so a browser asking for the first name missed it.
    serial = f"EZL{secrets.token_hex(4).upper()}"
    advert = Advertisement(serial, "M1", "1.0", 8765, "cd" * 32)
    advertiser = Advertiser(advert, "127.0.0.1")
    await advertiser.start()
    browser = AsyncZeroconf(interfaces=["127.0.0.1"])
    try:
        info = await browser.async_get_service_info(
            SERVICE_TYPE, advert.instance_name, timeout=3000
        )
    finally:
        await browser.async_close()
        await advertiser.stop()
    assert info is not None
    assert info.port == 8765
    assert info.parsed_addresses() == ["127.0.0.1"]
    assert info.decoded_properties["fp"] == "cd" * 32


def test_config_layers_later_wins(tmp_path: Path) -> None:
    file = tmp_path / "edge.toml"
    file.write_text('port = 9000\nhost = "10.0.0.2"\nlog_level = "debug"\n')
    config = load(
        {"host": "10.0.0.3", "port": None},
        {"EZLOCK_PORT": "9100", "EZLOCK_DATA_DIR": str(tmp_path)},
        file,
    )
    assert config.port == 9100
    assert config.host == "10.0.0.3"
    assert config.log_level == "DEBUG"
    assert config.data_dir == tmp_path
    # Issue #11.1: no ports is not the simulator; ``run`` refuses such a config.
    assert not config.simulate
    assert config.hardware is None
    with pytest.raises(ConfigError, match="pass --simulate"):
        config.check_runnable()
    simulated = load({"simulate": True}, {"EZLOCK_DATA_DIR": str(tmp_path)})
    simulated.check_runnable()
    assert simulated.simulate


def test_config_hardware_needs_all_four_ports(tmp_path: Path) -> None:
    ports = {"mcu": "/dev/a", "fingerprint": "/dev/b", "face": "/dev/c"}
    with pytest.raises(ConfigError, match="palm"):
        build({"data_dir": str(tmp_path), **ports})
    config = build({"data_dir": str(tmp_path), **ports, "palm": "socket://h:1"})
    assert config.hardware == HardwarePorts(
        "/dev/a", "/dev/b", "/dev/c", "socket://h:1"
    )
    assert not config.simulate
    config.check_runnable()
    assert config.port == DEFAULT_PORT
    with pytest.raises(ConfigError, match="simulate"):
        build({**ports, "palm": "/dev/d", "simulate": True})


@pytest.mark.parametrize(
    "layer",
    [
        {"port": "eighty"},
        {"port": 70000},
        {"colour": "red"},
        {"insecure_http": "maybe"},
    ],
)
def test_config_refuses_bad_values(layer: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="invalid configuration"):
        build(layer)


def test_config_file_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("port = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load({}, {}, bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load({}, {}, tmp_path / "missing.toml")


def test_environment_variables_are_prefixed() -> None:
    assert from_environment({"EZLOCK_MCU": "/dev/x", "MCU": "/dev/y", "PATH": "/"}) == {
        "mcu": "/dev/x"
    }
