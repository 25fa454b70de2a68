"""Set up a lock: find it, wait for its pairing window, pair with the label's code.

Pairing (L-65) needs the person at the lock: they hold SET on the rear panel until the
keypad's 0 blinks, which opens a 3-minute window, then type the verification code printed
on the lock's label. The token the lock returns is stored with the certificate fingerprint
it was obtained over; both identify the lock from then on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Final

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import probatio as vol

from .access_flows import SUBENTRY_FLOWS
from .client import (
    EzlockApiError,
    EzlockAuthError,
    EzlockClient,
    EzlockError,
    EzlockFingerprintError,
    EzlockIncompatibleError,
    LockInfo,
    PairResult,
    async_probe,
    ensure_supported,
)
from .const import (
    CLIENT_NAME,
    CONF_CLIENT_ID,
    CONF_FINGERPRINT,
    CONF_NAME_PLACE,
    CONF_VERIFICATION_CODE,
    DEFAULT_PORT,
    DOMAIN,
)
from .coordinator import EzlockConfigEntry
from .options_flow import EzlockOptionsFlow

# The lock's window lasts 3 minutes; give the person a little longer to reach the panel.
PAIRING_WAIT_TIMEOUT: Final = 200.0
PAIRING_POLL_INTERVAL: Final = 1.0

HOST_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): cv.string,
        vol.Required(CONF_PORT, default=DEFAULT_PORT): cv.port,
    }
)
CODE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_VERIFICATION_CODE): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
    }
)


def _title(info: LockInfo) -> str:
    """Name the lock after its advertised place, else ``ezlock`` and its serial's end."""
    return info.name or f"ezlock {info.serial[-4:]}"


NAME_SCHEMA = vol.Schema({vol.Optional(CONF_NAME_PLACE): TextSelector()})


class EzlockConfigFlow(ConfigFlow, domain=DOMAIN):
    """Discovery or manual host, then pairing."""

    VERSION = 1
    MINOR_VERSION = 1

    # Set by the step that reached the lock, before any step that uses it.
    _info: LockInfo

    def __init__(self) -> None:
        """Nothing is known before the first step."""
        self._host = ""
        self._port = DEFAULT_PORT
        self._wait_task: asyncio.Task[str | None] | None = None
        self._pair_error = ""
        self._name = ""

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """People and visitor codes / Bluetooth keys, each a row of the entry."""
        return dict(SUBENTRY_FLOWS)

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: EzlockConfigEntry) -> EzlockOptionsFlow:
        """Options decided by the integration itself."""
        return EzlockOptionsFlow()

    async def _async_probe(self, host: str, port: int) -> LockInfo:
        """Read the lock's identity; refuse an API version this integration cannot use."""
        info = await async_probe(async_get_clientsession(self.hass), host, port)
        ensure_supported(info)
        return info

    def _pairing_client(self) -> EzlockClient:
        """Pinned to the fingerprint the lock announced, so the code goes nowhere else."""
        return EzlockClient(
            async_get_clientsession(self.hass),
            self._host,
            self._port,
            fingerprint=self._info.tls_fingerprint,
        )

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the edge driver's host and port."""
        errors: dict[str, str] = {}
        if user_input is not None:
            host, port = user_input[CONF_HOST], user_input[CONF_PORT]
            try:
                info = await self._async_probe(host, port)
            except EzlockIncompatibleError:
                errors["base"] = "unsupported_api_version"
            except EzlockError:
                errors["base"] = "cannot_connect"
            else:
                await self.async_set_unique_id(info.serial)
                self._abort_if_unique_id_configured(
                    updates={CONF_HOST: host, CONF_PORT: port}
                )
                self._host, self._port, self._info = host, port, info
                return await self.async_step_pair()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(HOST_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_zeroconf(
        self, discovery_info: ZeroconfServiceInfo
    ) -> ConfigFlowResult:
        """Handle a lock that announced itself; update the address of a known one."""
        serial = discovery_info.properties.get("serial")
        if not serial:
            return self.async_abort(reason="not_ezlock")
        host, port = discovery_info.host, discovery_info.port or DEFAULT_PORT
        await self.async_set_unique_id(serial)
        self._abort_if_unique_id_configured(updates={CONF_HOST: host, CONF_PORT: port})
        try:
            info = await self._async_probe(host, port)
        except EzlockIncompatibleError:
            return self.async_abort(reason="unsupported_api_version")
        except EzlockError:
            return self.async_abort(reason="cannot_connect")
        if info.serial != serial:
            return self.async_abort(reason="not_ezlock")
        self._host, self._port, self._info = host, port, info
        self.context["title_placeholders"] = {"name": _title(info)}
        return await self.async_step_zeroconf_confirm()

    async def async_step_zeroconf_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Never add a discovered lock without the person's consent."""
        if user_input is not None:
            return await self.async_step_pair()
        self._set_confirm_only()
        return self.async_show_form(
            step_id="zeroconf_confirm",
            description_placeholders={
                "model": self._info.model,
                "serial": self._info.serial,
                "host": self._host,
            },
        )

    async def async_step_pair(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Wait, with a progress message, until the person opens the pairing window."""
        if self._wait_task is None:
            self._wait_task = self.hass.async_create_task(
                self._async_wait_for_window(), eager_start=False
            )
        if not self._wait_task.done():
            return self.async_show_progress(
                step_id="pair",
                progress_action="wait_for_window",
                progress_task=self._wait_task,
            )
        error = self._wait_task.result()
        self._wait_task = None
        if error is not None:
            self._pair_error = error
            return self.async_show_progress_done(next_step_id="pair_failed")
        return self.async_show_progress_done(next_step_id="verification_code")

    async def _async_wait_for_window(self) -> str | None:
        """Poll ``/info`` until the window is open; an error key otherwise.

        A connection error does not end the wait (the person may be walking to the
        lock while the network hiccups); it is what the person is told if the wait
        times out. A certificate other than the announced one ends it at once.
        """
        client = self._pairing_client()
        failure = "window_timeout"
        deadline = self.hass.loop.time() + PAIRING_WAIT_TIMEOUT
        while self.hass.loop.time() < deadline:
            try:
                if (await client.get_info()).pairing_open:
                    return None
                failure = "window_timeout"
            except EzlockFingerprintError:
                return "fingerprint_mismatch"
            except EzlockError:
                failure = "cannot_connect"
            await asyncio.sleep(PAIRING_POLL_INTERVAL)
        return failure

    async def async_step_pair_failed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say why pairing could not go on; submitting waits for the window again."""
        if user_input is not None:
            return await self.async_step_pair()
        return self.async_show_form(
            step_id="pair_failed", errors={"base": self._pair_error}
        )

    async def async_step_verification_code(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pair with the code from the lock's label."""
        errors: dict[str, str] = {}
        naming = self.source != SOURCE_REAUTH
        if user_input is not None and naming:
            self._name = str(user_input.get(CONF_NAME_PLACE, "")).strip()
        if user_input is not None:
            try:
                result = await self._pairing_client().pair(
                    CLIENT_NAME, user_input[CONF_VERIFICATION_CODE].strip()
                )
            except EzlockFingerprintError:
                errors["base"] = "fingerprint_mismatch"
            except EzlockApiError as err:
                if err.code == "pairing_closed":
                    self._pair_error = "pairing_closed"
                    return await self.async_step_pair_failed()
                errors["base"] = "invalid_verification_code"
            except EzlockError:
                errors["base"] = "cannot_connect"
            else:
                return self._async_paired(result)
        schema = CODE_SCHEMA.extend(NAME_SCHEMA.schema) if naming else CODE_SCHEMA
        return self.async_show_form(
            step_id="verification_code",
            data_schema=self.add_suggested_values_to_schema(
                schema, {CONF_NAME_PLACE: self._name or _title(self._info)}
            ),
            errors=errors,
            description_placeholders={"serial": self._info.serial},
        )

    def _async_paired(self, result: PairResult) -> ConfigFlowResult:
        """Store the token and pin the certificate it was obtained over."""
        data = {
            CONF_HOST: self._host,
            CONF_PORT: self._port,
            CONF_FINGERPRINT: self._info.tls_fingerprint,
            CONF_TOKEN: result.token,
            CONF_CLIENT_ID: result.client_id,
        }
        if self.source == SOURCE_REAUTH:
            return self.async_update_reload_and_abort(
                self._get_reauth_entry(), data_updates=data
            )
        # The device takes this name (the lock's place), and its entity ids follow it.
        return self.async_create_entry(
            title=self._name or _title(self._info), data=data
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Pair again: the token was revoked, or the lock was reset or replaced."""
        self._host, self._port = entry_data[CONF_HOST], entry_data[CONF_PORT]
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain, then check it is the same lock before waiting for its window."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                info = await self._async_probe(self._host, self._port)
            except EzlockIncompatibleError:
                errors["base"] = "unsupported_api_version"
            except EzlockError:
                errors["base"] = "cannot_connect"
            else:
                await self.async_set_unique_id(info.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_lock")
                self._info = info
                return await self.async_step_pair()
        return self.async_show_form(
            step_id="reauth_confirm",
            errors=errors,
            description_placeholders={"title": self._get_reauth_entry().title},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move the lock to a new host or port, keeping its pairing."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            host, port = user_input[CONF_HOST], user_input[CONF_PORT]
            client = EzlockClient(
                async_get_clientsession(self.hass),
                host,
                port,
                fingerprint=entry.data[CONF_FINGERPRINT],
                token=entry.data[CONF_TOKEN],
            )
            try:
                info = await client.get_info()
                ensure_supported(info)
                if info.serial == entry.unique_id:  # another lock is refused below
                    await client.get_state()
            except EzlockIncompatibleError:
                errors["base"] = "unsupported_api_version"
            except EzlockFingerprintError:
                errors["base"] = "fingerprint_mismatch"
            except EzlockAuthError:
                errors["base"] = "invalid_auth"
            except EzlockError:
                errors["base"] = "cannot_connect"
            else:
                await self.async_set_unique_id(info.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_lock")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_HOST: host, CONF_PORT: port}
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                HOST_SCHEMA, user_input or entry.data
            ),
            errors=errors,
        )
