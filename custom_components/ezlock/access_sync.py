"""Who can open the door, kept as config subentries in step with the lock.

Each person and each visitor code or Bluetooth key of the lock is one subentry of the
lock's entry (a row on the integration page with reconfigure and delete). The lock is
the truth: people added at the keypad and changes made by other clients arrive as
events, and the subentries follow without a reload. A subentry the owner deletes on the
integration page is deleted at the lock; if the lock refuses (the last admin, L-27), the
row comes back and a repair says why. A visitor's row says where it stands when it is not
active (``Weekend guest (Expired)``): the lock keeps an ended one listed for 30 days, and
the rows are read again when the lock says a status changes with time alone (its dates,
its weekly windows: ``status_until``), so the status stays true.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigSubentry,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .client import (
    EzlockApiError,
    EzlockClient,
    EzlockError,
    LockEvent,
    LockState,
    User,
    VisitorCredential,
    VisitorKind,
    VisitorStatus,
)
from .const import DOMAIN, ISSUE_DELETE_REFUSED, ISSUE_NO_ADMIN, LOGGER
from .forms import Words, async_load_words
from .rerun import Rerun

SUBENTRY_PERSON: Final = "person"
SUBENTRY_VISITOR_CODE: Final = "visitor_code"
SUBENTRY_BLUETOOTH_KEY: Final = "bluetooth_key"
SUBENTRY_TYPES: Final = {
    SUBENTRY_PERSON: None,
    SUBENTRY_VISITOR_CODE: VisitorKind.TEMPORARY_PASSWORD,
    SUBENTRY_BLUETOOTH_KEY: VisitorKind.BLUETOOTH_KEY,
}
KIND_SUBENTRY: Final = {
    VisitorKind.TEMPORARY_PASSWORD: SUBENTRY_VISITOR_CODE,
    VisitorKind.BLUETOOTH_KEY: SUBENTRY_BLUETOOTH_KEY,
}

# The events after which the people or the visitors of the lock may have changed.
_CLOCK_SLACK: Final = timedelta(seconds=1)
_CHANGES: Final = (
    "user_",
    "credential_",
    "temporary_password_",
    "bluetooth_key_",
    "factory_reset",
)


def visitor_title(visitor: VisitorCredential, words: Words) -> str:
    """Title a visitor's row: its name, and its status unless it is active."""
    if visitor.status is VisitorStatus.ACTIVE:
        return visitor.name
    return f"{visitor.name} ({words.option('visitor_status', visitor.status.value)})"


def _next_change(visitors: list[VisitorCredential], now: datetime) -> datetime | None:
    """When the lock says a visitor's status next changes with time alone."""
    moments = [v.status_until for v in visitors if v.status_until is not None]
    if not moments:
        return None
    # Never in the past: a clock a little ahead of the lock's would read it again and
    # again, each time before the lock's clock got there.
    return max(min(moments), now + _CLOCK_SLACK)


def person_unique_id(number: int) -> str:
    """Key a person's subentry by their user number (L-21)."""
    return f"user-{number}"


class AccessSync:
    """The lock's people and visitors, and their subentries."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, client: EzlockClient
    ) -> None:
        """Nothing is read before :meth:`async_refresh`."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self.users: dict[int, User] = {}
        self.visitors: dict[str, VisitorCredential] = {}
        self._known: dict[str, str] = {}  # subentry id -> unique id, as last reconciled
        self._holds = 0
        self._admin_exists: bool | None = None  # as its repair issue was last set
        self._refresh = Rerun(
            hass, entry, self._async_refresh_quietly, f"{DOMAIN} access sync"
        )
        self._timer: CALLBACK_TYPE | None = None
        self._unsubscribe = async_dispatcher_connect(
            hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._entry_changed
        )

    @callback
    def async_stop(self) -> None:
        """Stop following the entry (at unload)."""
        self._unsubscribe()
        self._cancel_timer()

    @callback
    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None

    # reading the lock

    async def async_refresh(self) -> None:
        """Read people and visitors from the lock, then reconcile the subentries."""
        users = await self._client.list_users()
        visitors = [
            visitor
            for kind in VisitorKind
            for visitor in await self._client.list_visitors(kind)
        ]
        await async_load_words(self._hass)
        self.users = {user.number: user for user in users}
        self.visitors = {visitor.id: visitor for visitor in visitors}
        self._reconcile()
        self._cancel_timer()
        if (moment := _next_change(visitors, dt_util.utcnow())) is not None:
            self._timer = async_track_point_in_utc_time(
                self._hass, self._status_changes, moment
            )

    @callback
    def _status_changes(self, _now: datetime) -> None:
        """Read the visitors again: the lock said a status changes now."""
        self._timer = None
        self._refresh.request()

    @callback
    def on_event(self, event: LockEvent) -> None:
        """Refresh after a change of who can open the door, once per burst."""
        if event.type.startswith(_CHANGES):
            self._refresh.request()

    async def _async_refresh_quietly(self) -> None:
        try:
            await self.async_refresh()
        except EzlockError as err:
            LOGGER.debug("Could not read who can open the door: %s", err)

    @callback
    def on_state(self, state: LockState) -> None:
        """Read the visitors again when the lock counts other active ones than listed.

        A status changes on the lock's clock with no event (a weekly window opens or
        closes); the lock announces its new count then, and the rows follow it even
        when Home Assistant's clock and the lock's disagree.
        """
        listed = Counter(
            visitor.kind
            for visitor in self.visitors.values()
            if visitor.status is VisitorStatus.ACTIVE
        )
        if (state.temporary_passwords, state.bluetooth_keys) != (
            listed[VisitorKind.TEMPORARY_PASSWORD],
            listed[VisitorKind.BLUETOOTH_KEY],
        ):
            self._refresh.request()

    @callback
    def on_admin(self, admin_exists: bool) -> None:
        """L-26: a lock without an admin asks for one at the keypad (a repair).

        Every state push comes here: the issue is set only when that changes.
        """
        if admin_exists is self._admin_exists:
            return
        self._admin_exists = admin_exists
        issue = f"{ISSUE_NO_ADMIN}_{self._entry.entry_id}"
        if admin_exists:
            ir.async_delete_issue(self._hass, DOMAIN, issue)
            return
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_NO_ADMIN,
            translation_placeholders={"title": self._entry.title},
        )

    # flows that add a person or a visitor hold the reconciliation until they are done

    @callback
    def begin_hold(self) -> None:
        """Keep from adding subentries while a flow creates its own."""
        self._holds += 1

    @callback
    def end_hold(self) -> None:
        """Catch up on what a holding flow did not add, once it ended."""
        self._holds -= 1
        self._reconcile()

    # subentries

    def _wanted(self) -> dict[str, tuple[str, str, dict[str, str | int]]]:
        wanted: dict[str, tuple[str, str, dict[str, str | int]]] = {
            person_unique_id(user.number): (
                SUBENTRY_PERSON,
                user.name,
                {"number": user.number},
            )
            for user in self.users.values()
        }
        words = Words(self._hass)
        for visitor in self.visitors.values():
            wanted[visitor.id] = (
                KIND_SUBENTRY[visitor.kind],
                visitor_title(visitor, words),
                {"id": visitor.id},
            )
        return wanted

    @callback
    def _reconcile(self) -> None:
        entries = self._hass.config_entries
        wanted = self._wanted()
        ours = {
            subentry.unique_id: subentry
            for subentry in self._entry.subentries.values()
            if subentry.subentry_type in SUBENTRY_TYPES and subentry.unique_id
        }
        for unique_id, subentry in ours.items():
            if unique_id not in wanted:
                self._known.pop(subentry.subentry_id, None)
                entries.async_remove_subentry(self._entry, subentry.subentry_id)
            elif subentry.title != wanted[unique_id][1]:
                entries.async_update_subentry(
                    self._entry, subentry, title=wanted[unique_id][1]
                )
        if not self._holds:
            for unique_id, (kind, title, data) in wanted.items():
                if unique_id not in ours:
                    entries.async_add_subentry(
                        self._entry,
                        ConfigSubentry(
                            data=MappingProxyType(data),
                            subentry_type=kind,
                            title=title,
                            unique_id=unique_id,
                        ),
                    )
        self._remember()

    @callback
    def _remember(self) -> None:
        self._known = {
            subentry.subentry_id: subentry.unique_id
            for subentry in self._entry.subentries.values()
            if subentry.subentry_type in SUBENTRY_TYPES and subentry.unique_id
        }

    @callback
    def forget(self, subentry_id: str) -> None:
        """Forget a subentry a flow removed itself, after deleting at the lock."""
        self._known.pop(subentry_id, None)

    @callback
    def _entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry) -> None:
        """Delete at the lock what the owner deleted on the integration page."""
        if (
            entry.entry_id != self._entry.entry_id
            or change != ConfigEntryChange.UPDATED
        ):
            return
        gone = {
            subentry_id: unique_id
            for subentry_id, unique_id in self._known.items()
            if subentry_id not in entry.subentries
        }
        self._remember()
        for unique_id in gone.values():
            self._entry.async_create_background_task(
                self._hass, self._async_delete(unique_id), f"{DOMAIN} delete access"
            )

    async def _async_delete(self, unique_id: str) -> None:
        # Held, so that a refresh between the revocation and the forgetting of a
        # visitor does not bring its row back as revoked.
        self.begin_hold()
        try:
            await self._async_delete_held(unique_id)
        finally:
            self.end_hold()

    async def _async_delete_held(self, unique_id: str) -> None:
        name = unique_id
        try:
            if unique_id.startswith("user-"):
                number = int(unique_id.removeprefix("user-"))
                if (user := self.users.get(number)) is not None:
                    name = user.name
                await self._client.delete_user(number)
            elif (visitor := self.visitors.get(unique_id)) is not None:
                name = visitor.name
                # The owner deleted the row: revoke and forget, so it does not come
                # back as revoked.
                await self._client.delete_visitor(visitor.kind, unique_id)
        except EzlockApiError as err:
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                f"{ISSUE_DELETE_REFUSED}_{self._entry.entry_id}",
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_DELETE_REFUSED,
                translation_placeholders={"name": name, "reason": err.message},
            )
        except EzlockError as err:
            LOGGER.warning("Could not delete %s at the lock: %s", name, err)
        try:
            await self.async_refresh()
        except EzlockError:
            return
