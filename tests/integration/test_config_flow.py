"""Config flow against the real edge driver: discovery, pairing (L-65), reauth, reconfigure.

Every step and every error path; the person's part (SET held, label read) is done on the
simulated lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import contextlib
from dataclasses import replace
from ipaddress import ip_address
import logging
from pathlib import Path
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF, ConfigFlowResult
from homeassistant.const import CONF_CODE, CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ezlock import config_flow
from custom_components.ezlock.client import API_VERSION, EzlockClient
from custom_components.ezlock.const import (
    CONF_CODE_HASH,
    CONF_CODE_SALT,
    CONF_FINGERPRINT,
    CONF_REQUIRE_CODE,
    CONF_VERIFICATION_CODE,
    DOMAIN,
)
from custom_components.ezlock.unlock_code import verify_code
from ezlock_edge.app import EdgeApp, EdgeOptions
from tests.support.lock import open_pairing, verification_code

from .common import paired_entry, start_edge

HOST = "127.0.0.1"


@pytest.fixture(autouse=True)
def fast_polling() -> Iterator[None]:
    """Poll the pairing window often and skip setting the entry up after the flow."""
    with (
        patch.object(config_flow, "PAIRING_POLL_INTERVAL", 0.02),
        patch("custom_components.ezlock.async_setup_entry", return_value=True),
    ):
        yield


def _zeroconf(edge: EdgeApp, serial: str | None) -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address(HOST),
        ip_addresses=[ip_address(HOST)],
        port=edge.port,
        hostname="ezlock.local.",
        type="_ezlock._tcp.local.",
        name=f"ezlock-{serial}._ezlock._tcp.local.",
        properties={"serial": serial} if serial else {},
    )


@contextlib.asynccontextmanager
async def _other_edge(
    tmp_path: Path, port: int, *, tls: bool = True
) -> AsyncIterator[EdgeApp]:
    """Run another lock (new identity, new certificate) at ``port`` while in the block."""
    other = await start_edge(
        EdgeOptions(
            data_dir=tmp_path / "other",
            port=port,
            motor_travel=0.02,
            tls=tls,
            simulate=True,
        )
    )
    try:
        yield other
    finally:
        await other.stop()


async def _wait_then_code_form(hass: HomeAssistant, flow_id: str) -> ConfigFlowResult:
    """Let the progress task finish and move to the step it chose."""
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(flow_id)


async def test_user_flow_pairs_and_pins(
    hass: HomeAssistant, edge: EdgeApp, caplog: pytest.LogCaptureFixture
) -> None:
    """L-65: host → hold SET (progress) → label code → entry with token and pin."""
    caplog.set_level(logging.DEBUG)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: edge.port}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "wait_for_window"

    await open_pairing(edge)
    result = await _wait_then_code_form(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "verification_code"

    result = await hass.config_entries.flow.async_configure(
        str(result["flow_id"]), {CONF_VERIFICATION_CODE: await verification_code(edge)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    info = edge.core.info
    assert result["title"] == f"ezlock {info.serial[-4:]}"
    assert result["result"].unique_id == info.serial
    data = result["data"]
    assert data[CONF_HOST] == HOST
    assert data[CONF_PORT] == edge.port
    assert data[CONF_FINGERPRINT] == edge.tls_fingerprint
    # The token works, over the pinned certificate.
    client = EzlockClient(
        async_get_clientsession(hass),
        HOST,
        edge.port,
        fingerprint=data[CONF_FINGERPRINT],
        token=data[CONF_TOKEN],
    )
    assert (await client.get_state()).admin_exists
    # Neither side logs the secrets of the pairing.
    for secret in (await verification_code(edge), data[CONF_TOKEN]):
        assert secret not in caplog.text


async def test_user_flow_plain_http(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path
) -> None:
    """An edge driver run with --insecure-http pairs without a pin."""
    edge = await start_edge(
        EdgeOptions(data_dir=tmp_path / "edge", tls=False, simulate=True)
    )
    try:
        await open_pairing(edge)
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_USER},
            data={CONF_HOST: HOST, CONF_PORT: edge.port},
        )
        result = await _wait_then_code_form(hass, result["flow_id"])
        result = await hass.config_entries.flow.async_configure(
            str(result["flow_id"]),
            {CONF_VERIFICATION_CODE: await verification_code(edge)},
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_FINGERPRINT] is None
    finally:
        await edge.stop()


async def test_user_flow_unreachable(hass: HomeAssistant, edge: EdgeApp) -> None:
    """Nothing listening: a form error, and the person can correct the port."""
    port = edge.port
    await edge.stop()
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={CONF_HOST: HOST, CONF_PORT: port},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_flow_already_configured_updates_host(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """The same lock cannot be added twice; its new address is kept."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=edge.core.info.serial,
        data={CONF_HOST: "192.0.2.1", CONF_PORT: 1},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={CONF_HOST: HOST, CONF_PORT: edge.port},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == {CONF_HOST: HOST, CONF_PORT: edge.port}


async def test_zeroconf_flow(hass: HomeAssistant, edge: EdgeApp) -> None:
    """A discovered lock is confirmed, then paired."""
    serial = edge.core.info.serial
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(edge, serial)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "zeroconf_confirm"
    assert result["description_placeholders"] == {
        "model": edge.core.info.model,
        "serial": serial,
        "host": HOST,
    }
    await open_pairing(edge)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await _wait_then_code_form(hass, result["flow_id"])
    result = await hass.config_entries.flow.async_configure(
        str(result["flow_id"]), {CONF_VERIFICATION_CODE: await verification_code(edge)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == serial


async def test_zeroconf_known_lock_moved(hass: HomeAssistant, edge: EdgeApp) -> None:
    """Discovery updates the address of a lock that is already set up."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=edge.core.info.serial,
        data={CONF_HOST: "192.0.2.1", CONF_PORT: 1},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=_zeroconf(edge, edge.core.info.serial),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == HOST
    assert entry.data[CONF_PORT] == edge.port


@pytest.mark.parametrize(
    ("serial", "running", "reason"),
    [
        (None, True, "not_ezlock"),
        ("EZL-SOMEONE-ELSE", True, "not_ezlock"),
        ("EZL-GONE", False, "cannot_connect"),
    ],
)
async def test_zeroconf_aborts(
    hass: HomeAssistant,
    edge: EdgeApp,
    serial: str | None,
    running: bool,
    reason: str,
) -> None:
    """No serial, another lock at the address, or nothing there: no flow."""
    info = _zeroconf(edge, serial)
    if not running:
        await edge.stop()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def _at_code_form(hass: HomeAssistant, edge: EdgeApp) -> str:
    """Run the flow up to the verification code form; return the flow id."""
    await open_pairing(edge)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={CONF_HOST: HOST, CONF_PORT: edge.port},
    )
    result = await _wait_then_code_form(hass, result["flow_id"])
    assert result["step_id"] == "verification_code"
    return str(result["flow_id"])


async def test_wrong_code_then_right_code(hass: HomeAssistant, edge: EdgeApp) -> None:
    """A wrong code is a form error; the window stays open for the right one."""
    flow_id = await _at_code_form(hass, edge)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_VERIFICATION_CODE: "WRONG1"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_verification_code"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_VERIFICATION_CODE: await verification_code(edge)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_window_closed_before_code(hass: HomeAssistant, edge: EdgeApp) -> None:
    """Someone else used the window's one pairing: wait for a new window, then pair."""
    flow_id = await _at_code_form(hass, edge)
    intruder = EzlockClient(
        async_get_clientsession(hass), HOST, edge.port, fingerprint=edge.tls_fingerprint
    )
    await intruder.pair("other", await verification_code(edge))

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_VERIFICATION_CODE: await verification_code(edge)}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pair_failed"
    assert result["errors"] == {"base": "pairing_closed"}

    await open_pairing(edge)
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    result = await _wait_then_code_form(hass, flow_id)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_VERIFICATION_CODE: await verification_code(edge)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_window_never_opens(hass: HomeAssistant, edge: EdgeApp) -> None:
    """The flow's own timeout ends the wait with a translated error."""
    with patch.object(config_flow, "PAIRING_WAIT_TIMEOUT", 0.1):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_USER},
            data={CONF_HOST: HOST, CONF_PORT: edge.port},
        )
        result = await _wait_then_code_form(hass, result["flow_id"])
    assert result["step_id"] == "pair_failed"
    assert result["errors"] == {"base": "window_timeout"}


async def test_edge_gone_while_waiting(hass: HomeAssistant, edge: EdgeApp) -> None:
    """The edge driver stops while the person walks to the lock and stays away."""
    with patch.object(config_flow, "PAIRING_WAIT_TIMEOUT", 0.3):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_USER},
            data={CONF_HOST: HOST, CONF_PORT: edge.port},
        )
        await edge.stop()
        result = await _wait_then_code_form(hass, result["flow_id"])
    assert result["errors"] == {"base": "cannot_connect"}


async def test_certificate_swapped_while_waiting(
    hass: HomeAssistant, edge: EdgeApp, tmp_path: Path
) -> None:
    """Another certificate than the announced one: refused, possible impersonation."""
    port = edge.port
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={CONF_HOST: HOST, CONF_PORT: port},
    )
    await edge.stop()
    async with _other_edge(tmp_path, port):
        result = await _wait_then_code_form(hass, result["flow_id"])
        assert result["errors"] == {"base": "fingerprint_mismatch"}


async def test_certificate_swapped_before_code(
    hass: HomeAssistant, edge: EdgeApp, tmp_path: Path
) -> None:
    """The verification code is never sent to a server with another certificate."""
    flow_id = await _at_code_form(hass, edge)
    port = edge.port
    await edge.stop()
    async with _other_edge(tmp_path, port) as impostor:
        await open_pairing(impostor)
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_VERIFICATION_CODE: await verification_code(impostor)}
        )
        assert result["errors"] == {"base": "fingerprint_mismatch"}
        assert impostor.core.pairing_open  # nothing reached it


async def test_edge_gone_before_code(hass: HomeAssistant, edge: EdgeApp) -> None:
    """Unreachable when the code is sent: a form error."""
    flow_id = await _at_code_form(hass, edge)
    code = await verification_code(edge)
    await edge.stop()
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_VERIFICATION_CODE: code}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_closing_the_dialog_cancels_the_wait(
    hass: HomeAssistant, edge: EdgeApp
) -> None:
    """Aborting the flow while it waits leaves no polling task behind."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={CONF_HOST: HOST, CONF_PORT: edge.port},
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    assert not hass.config_entries.flow.async_progress()


async def test_reauth_pairs_again(hass: HomeAssistant, edge: EdgeApp) -> None:
    """A revoked token: pair again, the entry keeps its id and gets a new token."""
    entry = await paired_entry(hass, edge)
    old_token = entry.data[CONF_TOKEN]
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert placeholders["title"] == entry.title

    await open_pairing(edge)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await _wait_then_code_form(hass, result["flow_id"])
    result = await hass.config_entries.flow.async_configure(
        str(result["flow_id"]), {CONF_VERIFICATION_CODE: await verification_code(edge)}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_TOKEN] != old_token


async def test_reauth_unreachable(hass: HomeAssistant, edge: EdgeApp) -> None:
    """Reauth explains the error when the edge driver does not answer."""
    entry = await paired_entry(hass, edge)
    await edge.stop()
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "cannot_connect"}


async def test_reauth_other_lock(
    hass: HomeAssistant, edge: EdgeApp, tmp_path: Path
) -> None:
    """Another lock now answers at the entry's address: refuse to re-pair it."""
    entry = await paired_entry(hass, edge)
    port = edge.port
    await edge.stop()
    async with _other_edge(tmp_path, port):
        result = await entry.start_reauth_flow(hass)
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "wrong_lock"


async def test_reconfigure_new_port(
    hass: HomeAssistant, edge: EdgeApp, edge_options: EdgeOptions
) -> None:
    """The edge driver moved; its pinned certificate and token still work."""
    entry = await paired_entry(hass, edge)
    await edge.stop()
    moved = EdgeApp(edge_options)
    await moved.start()
    try:
        result = await entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "reconfigure"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: HOST, CONF_PORT: moved.port}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert entry.data[CONF_PORT] == moved.port
    finally:
        await moved.stop()


async def test_reconfigure_errors(
    hass: HomeAssistant, edge: EdgeApp, tmp_path: Path
) -> None:
    """Unreachable, revoked token, another certificate: form errors."""
    entry = await paired_entry(hass, edge)
    port = edge.port
    result = await entry.start_reconfigure_flow(hass)
    flow_id = result["flow_id"]

    edge.core.revoke_client(entry.data["client_id"])
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: HOST, CONF_PORT: port}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    await edge.stop()
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: HOST, CONF_PORT: port}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    async with _other_edge(tmp_path, port):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_HOST: HOST, CONF_PORT: port}
        )
        assert result["errors"] == {"base": "fingerprint_mismatch"}


async def test_reconfigure_other_lock_plain_http(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path
) -> None:
    """Without a pin, the serial tells that another lock answers at the new address."""
    first = await start_edge(
        EdgeOptions(data_dir=tmp_path / "first", tls=False, simulate=True)
    )
    try:
        async with _other_edge(tmp_path, 0, tls=False) as second:
            entry = await paired_entry(hass, first)
            result = await entry.start_reconfigure_flow(hass)
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {CONF_HOST: HOST, CONF_PORT: second.port}
            )
            assert result["type"] is FlowResultType.ABORT
            assert result["reason"] == "wrong_lock"
    finally:
        await first.stop()


async def _unlock_code_form(
    hass: HomeAssistant, entry: MockConfigEntry
) -> ConfigFlowResult:
    """Open the options' menu and choose the unlock code."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["overview", "unlock_code"]
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "unlock_code"}
    )


async def test_options_unlock_code(hass: HomeAssistant) -> None:
    """The unlock code is kept only as a salted hash; it can be kept or removed."""
    entry = MockConfigEntry(domain=DOMAIN, data={})
    entry.add_to_hass(hass)

    result = await _unlock_code_form(hass, entry)
    assert result["step_id"] == "unlock_code"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_REQUIRE_CODE: True}
    )
    assert result["errors"] == {CONF_CODE: "code_required"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_REQUIRE_CODE: True, CONF_CODE: "12ab"}
    )
    assert result["errors"] == {CONF_CODE: "invalid_code_format"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_REQUIRE_CODE: True, CONF_CODE: "2468"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = dict(entry.options)
    assert "2468" not in str(options)
    assert verify_code("2468", options[CONF_CODE_SALT], options[CONF_CODE_HASH])

    # Submitting without a new code keeps the current one.
    result = await _unlock_code_form(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_REQUIRE_CODE: True}
    )
    assert dict(entry.options) == options

    result = await _unlock_code_form(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_REQUIRE_CODE: False}
    )
    assert dict(entry.options) == {}


async def test_other_api_version_refused_then_recovered(
    hass: HomeAssistant, edge: EdgeApp, edge_options: EdgeOptions
) -> None:
    """Each flow refuses an edge driver of another API version; updated, it goes on."""
    entry = await paired_entry(hass, edge)
    same_address = replace(edge_options, port=edge.port)
    await edge.stop()
    other = await start_edge(replace(same_address, api_version=API_VERSION + 1))
    try:
        user = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
        user = await hass.config_entries.flow.async_configure(
            user["flow_id"], {CONF_HOST: HOST, CONF_PORT: other.port}
        )
        assert user["errors"] == {"base": "unsupported_api_version"}

        zeroconf = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_ZEROCONF},
            data=_zeroconf(other, "EZL-NEWLOCK"),
        )
        assert zeroconf["type"] is FlowResultType.ABORT
        assert zeroconf["reason"] == "unsupported_api_version"

        reauth = await entry.start_reauth_flow(hass)
        reauth = await hass.config_entries.flow.async_configure(reauth["flow_id"], {})
        assert reauth["errors"] == {"base": "unsupported_api_version"}

        reconfigure = await entry.start_reconfigure_flow(hass)
        reconfigure = await hass.config_entries.flow.async_configure(
            reconfigure["flow_id"], {CONF_HOST: HOST, CONF_PORT: other.port}
        )
        assert reconfigure["errors"] == {"base": "unsupported_api_version"}
    finally:
        await other.stop()

    updated = await start_edge(same_address)
    try:
        user = await hass.config_entries.flow.async_configure(
            user["flow_id"], {CONF_HOST: HOST, CONF_PORT: updated.port}
        )
        assert user["type"] is FlowResultType.ABORT  # the lock is already set up
        assert user["reason"] == "already_configured"
        reauth = await hass.config_entries.flow.async_configure(reauth["flow_id"], {})
        assert reauth["type"] is FlowResultType.SHOW_PROGRESS
        reconfigure = await hass.config_entries.flow.async_configure(
            reconfigure["flow_id"], {CONF_HOST: HOST, CONF_PORT: updated.port}
        )
        assert reconfigure["reason"] == "reconfigure_successful"
    finally:
        for flow in hass.config_entries.flow.async_progress():
            hass.config_entries.flow.async_abort(flow["flow_id"])
        await updated.stop()
