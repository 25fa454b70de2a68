"""One push connection per lock: state for the entities, events for the event entities.

The edge driver streams every event with a strictly increasing ``seq``. The last handled
seq is persisted, and each (re)connection subscribes from it, so nothing is lost across
disconnects or restarts of either side and nothing old is fired again as new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
import functools
import operator
import traceback
from typing import Any, Final, TypedDict, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
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
from .event_context import EventContexts
from .lock_issues import (
    LinkIssues,
    async_raise_incompatible,
    async_raise_issue,
    issue_id,
    versions,
)
from .module_templates import ModuleTemplateCheck

type EzlockConfigEntry = ConfigEntry[EzlockCoordinator]

STORAGE_VERSION: Final = 1
# Coalesces the writes of a burst of replayed events; flushed at unload and shutdown.
SAVE_DELAY: Final = 1.0
RECONNECT_MIN: Final = 1.0
RECONNECT_MAX: Final = 60.0


# What a state shows: every field but ``last_seq`` (the events carry it), read at once.
_shown: Final = operator.attrgetter(
    *(item.name for item in fields(LockState) if item.name != "last_seq")
)


class StoredSeq(TypedDict):
    """What is persisted per entry."""

    last_seq: int


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
        # The modules' templates against the credentials, as repairs.
        self.templates = ModuleTemplateCheck(hass, entry, client)
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
        # A link down over LINK_GRACE is a repair issue (lock_issues.py).
        self.link_issues = LinkIssues(hass, entry)
        # Where unexpected errors came from: each is logged with its traceback once.
        self._reported: set[tuple[str, str, int]] = set()
        # Who caused what (issue #11.6, event_context.py); ``update_context`` is that
        # of the update being written (None: the lock's own, each entity writes with a
        # fresh context).
        self.contexts = EventContexts(hass, entry)
        self.update_context: Context | None = None

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
            async_raise_issue(
                self.hass,
                self.config_entry,
                ISSUE_FINGERPRINT_CHANGED,
                ir.IssueSeverity.CRITICAL,
                fixable=True,
            )
            raise ConfigEntryError(
                translation_domain=DOMAIN, translation_key="fingerprint_changed"
            ) from err
        except EzlockIncompatibleError as err:
            async_raise_incompatible(self.hass, self.config_entry, err)
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="unsupported_api_version",
                translation_placeholders=versions(err),
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
        await self.templates.async_refresh()

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
        """Keep one WebSocket open, reconnecting with exponential backoff.

        Nothing ends this task but a pairing problem (the person must act) or the
        entry's unload: an unexpected error is logged, the entities go unavailable
        and the connection is opened again, as after a lost one.
        """
        delay = RECONNECT_MIN
        while True:
            try:
                await self.client.listen(
                    self.last_seq,
                    self._guarded(self._handle_event),
                    self._guarded(self._handle_state),
                )
            except EzlockError as err:
                streamed = self._streaming
                self._set_disconnected(err)
                if isinstance(err, EzlockAuthError):
                    self.config_entry.async_start_reauth(self.hass)
                    return
                if isinstance(err, EzlockFingerprintError):
                    async_raise_issue(
                        self.hass,
                        self.config_entry,
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
            except Exception as err:  # noqa: BLE001 - a bug must not end the push task
                streamed = self._streaming
                self._report(err, f"the push connection to {self.name}")
                self._set_disconnected(err)
            if streamed:
                delay = RECONNECT_MIN
            await self._async_sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)

    def _guarded[T](self, listener: Callable[[T], None]) -> Callable[[T], None]:
        """Return ``listener`` that logs its own failures instead of raising them.

        A listener's bug is not a lost connection: the stream goes on, and so do the
        other listeners.
        """

        @functools.wraps(listener)
        def guarded(item: T) -> None:
            self._call_guarded(listener, item)

        return guarded

    def _call_guarded[T](self, listener: Callable[[T], None], item: T) -> None:
        """Call ``listener`` with ``item``, logging its failure (as ``_guarded``).

        Called for every message: no wrapper is made for it.
        """
        try:
            listener(item)
        except Exception as err:  # noqa: BLE001 - logged, the stream goes on
            self._report(err, f"{_name(listener)} of {self.name}")

    def _report(self, err: Exception, what: str) -> None:
        """Log an unexpected error with its traceback once per place it comes from."""
        frames = traceback.extract_tb(err.__traceback__)
        where = (frames[-1].filename, frames[-1].lineno or 0) if frames else ("", 0)
        origin = (type(err).__qualname__, *where)
        if origin in self._reported:
            LOGGER.debug("Unexpected error again in %s: %r", what, err)
            return
        self._reported.add(origin)
        LOGGER.error("Unexpected error in %s (logged once)", what, exc_info=err)

    @callback
    @override
    def async_update_listeners(self) -> None:
        """Update every entity; one failing is logged once and the others still run."""
        for update_callback, _ in list(self._listeners.values()):
            try:
                update_callback()
            except Exception as err:  # noqa: BLE001 - logged, the others still run
                self._report(err, f"{_name(update_callback)} of {self.name}")

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
    def _set_disconnected(self, err: Exception) -> None:
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
            self.templates.on_reconnected()
        if self._shows_news(state):
            self.async_set_updated_data(state)
        else:
            self.data = state  # only the seq moved (the events carry it)
        self._call_guarded(self.access.on_admin, state.admin_exists)
        self._call_guarded(self.access.on_state, state)
        self.link_issues.async_follow(state)
        if first:
            replayed, self._replayed = self._replayed, []
            for event in replayed:
                self._dispatch(event)

    def _shows_news(self, state: LockState) -> bool:
        """Whether ``state`` differs from the shown one in more than ``last_seq``."""
        return not self.last_update_success or _shown(state) != _shown(self.data)

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
        self.contexts.async_claim(event)
        if event.type == "factory_reset":
            async_raise_issue(
                self.hass,
                self.config_entry,
                ISSUE_FACTORY_RESET,
                ir.IssueSeverity.ERROR,
                fixable=True,
            )
        self._call_guarded(self.access.on_event, event)
        self._call_guarded(self.templates.on_event, event)
        for listener in tuple(self._event_listeners):
            self._call_guarded(listener, event)

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
    def async_apply_settings(
        self, settings: Settings, context: Context | None = None
    ) -> None:
        """Show settings the edge driver confirmed at once, before its state push.

        ``context`` is the action's that changed them: the state changes it caused
        carry it.
        """
        self.update_context = context
        try:
            self.async_set_updated_data(self.data.with_settings(settings))
        finally:
            self.update_context = None

    @override
    async def async_shutdown(self) -> None:
        """Write the last handled seq now, so a restart resumes exactly there."""
        await super().async_shutdown()
        self.access.async_stop()
        self.link_issues.async_stop()
        self.contexts.async_cancel()
        if self.last_seq is not None:
            await self._store.async_save(StoredSeq(last_seq=self.last_seq))


def _name(listener: Callable[..., Any]) -> str:
    """Return how a listener is named in the log: its qualified name."""
    return getattr(listener, "__qualname__", repr(listener))


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Forget the last seq of a removed entry."""
    await Store[StoredSeq](hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}").async_remove()
