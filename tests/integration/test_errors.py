"""Client failures from the real edge driver become translated Home Assistant errors."""

from __future__ import annotations

from collections.abc import Awaitable

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest

from custom_components.ezlock.client import EzlockClient, EzlockError
from custom_components.ezlock.errors import translate_errors
from ezlock_edge.app import EdgeApp


def _client(
    hass: HomeAssistant, edge: EdgeApp, *, fingerprint: str | None, token: str
) -> EzlockClient:
    return EzlockClient(
        async_get_clientsession(hass),
        "127.0.0.1",
        edge.port,
        fingerprint=fingerprint,
        token=token,
    )


async def _translated(action: Awaitable[object]) -> HomeAssistantError:
    with pytest.raises(HomeAssistantError) as raised, translate_errors():
        await action
    assert isinstance(raised.value.__cause__, EzlockError)
    return raised.value


async def test_unknown_token(hass: HomeAssistant, edge: EdgeApp) -> None:
    """401: the lock must be paired again."""
    client = _client(hass, edge, fingerprint=edge.tls_fingerprint, token="x" * 43)
    error = await _translated(client.get_state())
    assert error.translation_key == "auth_failed"


async def test_other_certificate(hass: HomeAssistant, edge: EdgeApp) -> None:
    """A certificate that is not the pinned one is never talked to."""
    client = _client(hass, edge, fingerprint="ab" * 32, token="x" * 43)
    error = await _translated(client.get_state())
    assert error.translation_key == "fingerprint_changed"


async def test_unreachable(hass: HomeAssistant, edge: EdgeApp) -> None:
    """Nothing listening: a communication error that says what happened."""
    client = _client(hass, edge, fingerprint=edge.tls_fingerprint, token="x" * 43)
    await edge.stop()
    error = await _translated(client.get_state())
    assert error.translation_key == "cannot_connect"
    assert error.translation_placeholders is not None
    assert error.translation_placeholders["error"]
    assert not isinstance(error, ServiceValidationError)


async def test_refusal_without_own_message(hass: HomeAssistant, edge: EdgeApp) -> None:
    """A code without its own message still says which code the lock refused with."""
    client = _client(hass, edge, fingerprint=edge.tls_fingerprint, token="")
    error = await _translated(client.pair("Home Assistant", "ABCDEF"))
    assert error.translation_key == "refused"
    assert error.translation_placeholders is not None
    assert error.translation_placeholders["code"] == "pairing_closed"
