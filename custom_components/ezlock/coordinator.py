"""One push connection per lock: state for the entities, events for the event entities.

The edge driver streams every event with a strictly increasing ``seq``. The last handled
seq is persisted, and each (re)connection subscribes from it, so nothing is lost across
disconnects or restarts of either side and nothing old is fired again as new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Final, TypedDict, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .access_sync import AccessSync
from .client import (
    EzlockAuthError,
    EzlockClient,
    EzlockError,
    EzlockFingerprintError,
    EzlockIncompatibleError,
    LockEvent,
    LockInfo,
    LockState,
    Settings,
    ensure_supported,
)
from .const import (
    DOMAIN,
    ISSUE_EDGE_OUTDATED,
    ISSUE_FACTORY_RESET,
    ISSUE_FINGERPRINT_CHANGED,
    ISSUE_INTEGRATION_OUTDATED,
    LOGGER,
)

type EzlockConfigEntry = ConfigEntry[EzlockCoordinator]

STORAGE_VERSION: Final = 1
# Coalesces the writes of a burst of replayed events; flushed at unload and shutdown.
SAVE_DELAY: Final = 1.0
RECONNECT_MIN: Final = 1.0
RECONNECT_MAX: Final = 60.0


class StoredSeq(TypedDict):
    """What is persisted per entry."""

    last_seq: int


def issue_id(kind: str, entry_id: str) -> str:
    """Repair issues are per lock."""
    return f"{kind}_{entry_id}"


def _versions(err: EzlockIncompatibleError) -> dict[str, str]:
    return {"edge_version": str(err.api_version), "supported": str(err.supported)}


class EzlockCoordinator(DataUpdateCoordinator[LockState]):
    """Holds the lock's state and fans its events out to the entities."""

    config_entry: EzlockConfigEntry
    info: LockInfo

    def __init__(
        self, hass: HomeAssistant, entry: EzlockConfigEntry, client: EzlockClient
    ) -> None:
        """Push only: no polling interval."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=None,
        )
        self.client = client
        # Who can open the door, as subentries of the entry (access_sync.py).
        self.access = AccessSync(hass, entry, client)
        self.last_seq: int | None = None
        self._store: Store[StoredSeq] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}"
        )
        self._event_listeners: list[Callable[[LockEvent], None]] = []
        self._lost = False
        self._streaming = False
        # Events replayed before a connection's first state: entities are still
        # unavailable then, so they are fired right after that state.
        self._replayed: list[LockEvent] = []

    @contextmanager
    def _setup_errors(self) -> Iterator[None]:
        """Turn client failures into what config entry setup understands."""
        try:
            yield
        except EzlockAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        except EzlockFingerprintError as err:
            self._raise_issue(
                ISSUE_FINGERPRINT_CHANGED, ir.IssueSeverity.CRITICAL, fixable=True
            )
            raise ConfigEntryError(
                translation_domain=DOMAIN, translation_key="fingerprint_changed"
            ) from err
        except EzlockIncompatibleError as err:
            self._raise_incompatible(err)
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="unsupported_api_version",
                translation_placeholders=_versions(err),
            ) from err
        except EzlockError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err

    @override
    async def _async_setup(self) -> None:
        """Read the lock's identity, refuse an API it does not speak, load the seq."""
        with self._setup_errors():
            self.info = await self.client.get_info()
            ensure_supported(self.info)
        for kind in (ISSUE_EDGE_OUTDATED, ISSUE_INTEGRATION_OUTDATED):
            ir.async_delete_issue(
                self.hass, DOMAIN, issue_id(kind, self.config_entry.entry_id)
            )
        if stored := await self._store.async_load():
            self.last_seq = stored["last_seq"]
        with self._setup_errors():
            await self.access.async_refresh()

    @override
    async def _async_update_data(self) -> LockState:
        """Fetch the state; used for the first refresh (test before setup)."""
        with self._setup_errors():
            state = await self.client.get_state()
        if self.last_seq is None:
            # First start: the history before pairing is not news.
            self.last_seq = state.last_seq
        self.access.on_admin(state.admin_exists)
        return state

    @callback
    def async_start(self) -> None:
        """Open the push connection for as long as the entry is loaded."""
        self.config_entry.async_create_background_task(
            self.hass, self._async_run(), f"{DOMAIN} push {self.info.serial}"
        )

    async def _async_run(self) -> None:
        """Keep one WebSocket open, reconnecting with exponential backoff."""
        delay = RECONNECT_MIN
        while True:
            try:
                await self.client.listen(
                    self.last_seq, self._handle_event, self._handle_state
                )
            except EzlockError as err:
                streamed = self._streaming
                self._set_disconnected(err)
                if isinstance(err, EzlockAuthError):
                    self.config_entry.async_start_reauth(self.hass)
                    return
                if isinstance(err, EzlockFingerprintError):
                    self._raise_issue(
                        ISSUE_FINGERPRINT_CHANGED,
                        ir.IssueSeverity.CRITICAL,
                        fixable=True,
                    )
                    return
                if isinstance(err, EzlockIncompatibleError):
                    # The edge driver was replaced by one of another API version:
                    # set up again, which fails with the repair issue.
                    self.hass.config_entries.async_schedule_reload(
                        self.config_entry.entry_id
                    )
                    return
            if streamed:
                delay = RECONNECT_MIN
            await self._async_sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)

    @property
    def streaming(self) -> bool:
        """Whether the push connection is up and has delivered the current state."""
        return self._streaming

    async def _async_sleep(self, delay: float) -> None:
        """Sleep on Home Assistant's timer, so tests can move time instead of waiting."""
        wake = self.hass.loop.create_future()

        @callback
        def _wake(_now: datetime) -> None:
            wake.set_result(None)

        cancel = async_call_later(self.hass, delay, _wake)
        try:
            await wake
        finally:
            cancel()

    @callback
    def _set_disconnected(self, err: EzlockError) -> None:
        """Mark entities unavailable; log the loss once, not at every retry."""
        self._streaming = False
        self._replayed.clear()  # not handled yet: the next connection replays them
        if not self._lost:
            self._lost = True
            LOGGER.warning("Lost the connection to %s: %s", self.name, err)
        self.last_exception = err
        if self.last_update_success:
            self.last_update_success = False
            self.async_update_listeners()

    @callback
    def _handle_state(self, state: LockState) -> None:
        first = not self._streaming
        self._streaming = True
        if self._lost:
            self._lost = False
            LOGGER.info("Connection to %s is back", self.name)
        self.async_set_updated_data(state)
        self.access.on_admin(state.admin_exists)
        if first:
            replayed, self._replayed = self._replayed, []
            for event in replayed:
                self._dispatch(event)

    @callback
    def _handle_event(self, event: LockEvent) -> None:
        if self._streaming:
            self._dispatch(event)
        else:
            self._replayed.append(event)

    @callback
    def _dispatch(self, event: LockEvent) -> None:
        """Fire a new event to the listeners once, then remember its seq."""
        if self.last_seq is not None and event.seq <= self.last_seq:
            return  # already handled before a reconnection
        self.last_seq = seq = event.seq
        self._store.async_delay_save(lambda: StoredSeq(last_seq=seq), SAVE_DELAY)
        if event.type == "factory_reset":
            self._raise_issue(ISSUE_FACTORY_RESET, ir.IssueSeverity.ERROR, fixable=True)
        self.access.on_event(event)
        for listener in tuple(self._event_listeners):
            listener(event)

    @callback
    def async_add_event_listener(
        self, listener: Callable[[LockEvent], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with every new event; returns the unsubscribe function."""
        self._event_listeners.append(listener)

        @callback
        def _remove() -> None:
            self._event_listeners.remove(listener)

        return _remove

    @callback
    def async_apply_settings(self, settings: Settings) -> None:
        """Show settings the edge driver confirmed at once, before its state push."""
        self.async_set_updated_data(self.data.with_settings(settings))

    @callback
    def _raise_incompatible(self, err: EzlockIncompatibleError) -> None:
        """Say which side to update (repair-issues: the person must act outside HA)."""
        self._raise_issue(
            ISSUE_EDGE_OUTDATED if err.edge_outdated else ISSUE_INTEGRATION_OUTDATED,
            ir.IssueSeverity.ERROR,
            fixable=False,
            placeholders=_versions(err),
        )

    @callback
    def _raise_issue(
        self,
        kind: str,
        severity: ir.IssueSeverity,
        *,
        fixable: bool,
        placeholders: dict[str, str] | None = None,
    ) -> None:
        """Tell the person to act; re-pairing issues are fixed by a repair flow."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(kind, self.config_entry.entry_id),
            is_fixable=fixable,
            severity=severity,
            translation_key=kind,
            translation_placeholders={"title": self.config_entry.title}
            | (placeholders or {}),
            data={"entry_id": self.config_entry.entry_id},
        )

    @override
    async def async_shutdown(self) -> None:
        """Write the last handled seq now, so a restart resumes exactly there."""
        await super().async_shutdown()
        self.access.async_stop()
        if self.last_seq is not None:
            await self._store.async_save(StoredSeq(last_seq=self.last_seq))


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Forget the last seq of a removed entry."""
    await Store[StoredSeq](hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}").async_remove()
