"""The lock entity: the bolt's state, who moved it last, lock and unlock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
import contextlib
from dataclasses import dataclass
from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityDescription
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import (
    PASSWORD_LENGTH,
    BoltState,
    EzlockApiError,
    Link,
    LockedEvent,
    LockEvent,
    UnlockedEvent,
)
from .const import CONF_CODE_HASH, CONF_CODE_SALT, DOMAIN
from .coordinator import EzlockConfigEntry, EzlockCoordinator
from .entity import EzlockEntity, EzlockEntityDescription
from .errors import translate_errors
from .event_context import Expectation
from .unlock_code import CODE_FORMAT, verify_code

PARALLEL_UPDATES = 0
# A bolt takes about a second to travel; the lock answers ``busy`` meanwhile.
BOLT_WAIT = 10.0
_MOVING = frozenset({BoltState.LOCKING, BoltState.UNLOCKING})
# How an operation's bolt movement shows, by the end it goes to.
_ON_THE_WAY = {
    BoltState.LOCKED: frozenset(
        {BoltState.LOCKING, BoltState.LOCKED, BoltState.JAMMED}
    ),
    BoltState.UNLOCKED: frozenset(
        {BoltState.UNLOCKING, BoltState.UNLOCKED, BoltState.JAMMED}
    ),
}
# The movement itself, by the end it goes to.
_TOWARDS = {
    BoltState.LOCKED: BoltState.LOCKING,
    BoltState.UNLOCKED: BoltState.UNLOCKING,
}
# What an operation from Home Assistant makes the lock write, and the refusals of a
# remote unlock that it writes as ``unlock_failed`` with a reason (docs/api.md).
_UNLOCK_EVENTS = frozenset({"unlocked", "unlock_failed"})
_LOCK_EVENTS = frozenset({"locked"})
_UNLOCK_REFUSALS = {
    "remote_unlock_disabled": "disabled",
    "locked_out": "locked_out",
    "invalid_pin": "wrong_pin",
    "lock_offline": "lock_offline",
}
# With require_pin_for_remote the code is a lock admin's password, checked by the lock;
# locking needs none (docs/api.md, Remote PIN), so an empty code passes too.
PIN_FORMAT = rf"^(\d{{{PASSWORD_LENGTH.minimum},{PASSWORD_LENGTH.maximum}}})?$"


@dataclass(frozen=True, kw_only=True)
class EzlockLockEntityDescription(LockEntityDescription, EzlockEntityDescription):
    """The lock's description: it reads and moves the bolt over the MCU link."""


LOCK = EzlockLockEntityDescription(key="lock", name=None, link=Link.MCU)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EzlockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the lock."""
    async_add_entities([EzlockLock(entry.runtime_data)])


class EzlockLock(EzlockEntity, LockEntity):
    """The lock; its bolt states come straight from the motor (L-01)."""

    def __init__(self, coordinator: EzlockCoordinator) -> None:
        """Ask for a code before unlocking when the options or the lock say so."""
        super().__init__(coordinator, LOCK)
        options = coordinator.config_entry.options
        self._code_hash: str | None = options.get(CONF_CODE_HASH)
        self._code_salt: str | None = options.get(CONF_CODE_SALT)
        # Who moves the bolt now (issue #11.6): the operation whose event came, and
        # a command of ours whose event has not come yet.
        self._operation: _Operation | None = None
        self._pending: _Operation | None = None

    async def async_added_to_hass(self) -> None:
        """Follow the lock's operations, to give each movement its own context."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_event_listener(self._handle_lock_event)
        )

    @property
    def code_format(self) -> str | None:
        """The lock's PIN when it requires one, else the integration's own code."""
        if self.coordinator.data.require_pin_for_remote:
            return PIN_FORMAT
        return CODE_FORMAT if self._code_hash else None

    @property
    def is_locked(self) -> bool | None:
        """Locked, or unknown while the bolt reports nothing usable."""
        bolt = self.coordinator.data.bolt
        if bolt in (BoltState.LOCKED, BoltState.UNLOCKED):
            return bolt is BoltState.LOCKED
        return None

    @property
    def is_locking(self) -> bool:
        """The motor is throwing the bolt."""
        return self.coordinator.data.bolt is BoltState.LOCKING

    @property
    def is_unlocking(self) -> bool:
        """The motor is retracting the bolt."""
        return self.coordinator.data.bolt is BoltState.UNLOCKING

    @property
    def is_jammed(self) -> bool:
        """The bolt is stuck (L-67)."""
        return self.coordinator.data.bolt is BoltState.JAMMED

    @property
    def changed_by(self) -> str | None:
        """Who last operated the lock: the person's or the visitor code's name.

        How (fingerprint, keypad, ...) is in the logbook line and the access event.
        """
        last = self.coordinator.data.last_operation
        return last.who if last is not None else None

    async def async_lock(self, **kwargs: Any) -> None:
        """Throw the bolt; locking never needs the code."""
        await self._operate(
            self.coordinator.client.lock, _LOCK_EVENTS, {}, BoltState.LOCKED
        )

    async def async_unlock(self, **kwargs: Any) -> None:
        """Retract the bolt, after the code: the lock's PIN, or the options' code."""
        code: str = kwargs.get("code") or ""
        client = self.coordinator.client
        if self.coordinator.data.require_pin_for_remote:
            # The lock checks it (and counts wrong ones towards its lockout, L-42).
            client = client.with_pin(code or None)
        elif self._code_hash and self._code_salt:
            matches = bool(code) and await self.hass.async_add_executor_job(
                verify_code, code, self._code_salt, self._code_hash
            )
            if not matches:
                raise ServiceValidationError(
                    translation_domain=DOMAIN, translation_key="wrong_unlock_code"
                )
        await self._operate(
            client.unlock, _UNLOCK_EVENTS, _UNLOCK_REFUSALS, BoltState.UNLOCKED
        )

    async def _operate(
        self,
        command: Callable[[], Awaitable[Any]],
        events: frozenset[str],
        refusals: Mapping[str, str],
        target: BoltState,
    ) -> None:
        """Send ``command``; while the bolt moves (``busy``) wait for it, retry once.

        The movement it causes, and its event, carry this action's context; so does
        the ``unlock_failed`` a refusal in ``refusals`` (error code: reason) writes.
        """
        expected = self.coordinator.contexts.async_expect(
            events, self._context or Context()
        )
        self._pending = pending = _Operation(target, expected.context, expected)
        with translate_errors():
            try:
                try:
                    await command()
                except EzlockApiError as err:
                    if err.code != "busy":
                        raise
                    await self._bolt_settled()
                    await command()
            except BaseException as err:
                pending.arrived = True  # the bolt does not move for it
                code = err.code if isinstance(err, EzlockApiError) else None
                if (reason := refusals.get(code or "")) is not None:
                    expected.failed("unlock_failed", reason)
                else:
                    expected.cancel()
                raise

    async def _bolt_settled(self) -> None:
        """Wait for the next state in which the bolt is not moving (or BOLT_WAIT)."""
        settled = asyncio.Event()

        def check() -> None:
            if self.coordinator.data.bolt not in _MOVING:
                settled.set()

        unsubscribe = self.coordinator.async_add_listener(check)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(BOLT_WAIT):
                    await settled.wait()
        finally:
            unsubscribe()

    @callback
    def _handle_lock_event(self, event: LockEvent) -> None:
        """Give the bolt movement an unlock or lock starts that operation's context."""
        if isinstance(event, UnlockedEvent):
            target = BoltState.UNLOCKED
        elif isinstance(event, LockedEvent):
            target = BoltState.LOCKED
        else:
            return
        self._operation = _Operation(
            target, self.coordinator.contexts.context_of(event)
        )

    def _update_context(self) -> Context:
        """Return the context of the operation moving the bolt, else a fresh one.

        An operation's context lasts until its bolt arrives; a change at the lock
        after that (a finger, the keypad, the key) is never a Home Assistant user's.
        """
        bolt = self.coordinator.data.bolt
        for operation in (self._operation, self._pending):
            if operation is None or not operation.active:
                continue
            if bolt in _ON_THE_WAY[operation.target]:
                if bolt is not _TOWARDS[operation.target]:
                    operation.arrived = True  # what follows is not its doing
                return operation.context
        if bolt in _MOVING:
            self._operation = None  # moving for something no event has named yet
        return super()._update_context()


@dataclass(eq=False)
class _Operation:
    """An unlock or lock: where its bolt goes, and the context its movement carries."""

    target: BoltState
    context: Context
    # A command of ours still waiting for its event (the bolt may report first).
    expected: Expectation | None = None
    arrived: bool = False

    @property
    def active(self) -> bool:
        """Still moving the bolt (a command of ours: still waiting for its event)."""
        if self.arrived:
            return False
        return self.expected is None or not self.expected.done
