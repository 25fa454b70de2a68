"""The lock entity: the bolt's state, who moved it last, lock and unlock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import BoltState, EzlockApiError, Link
from .const import CONF_CODE_HASH, CONF_CODE_SALT, DOMAIN
from .coordinator import EzlockConfigEntry, EzlockCoordinator
from .entity import EzlockEntity, EzlockEntityDescription
from .errors import translate_errors
from .unlock_code import CODE_FORMAT, verify_code

PARALLEL_UPDATES = 0
# A bolt takes about a second to travel; the lock answers ``busy`` meanwhile.
BOLT_WAIT = 10.0
_MOVING = frozenset({BoltState.LOCKING, BoltState.UNLOCKING})


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
        """Ask for a code before unlocking when the options say so."""
        super().__init__(coordinator, LOCK)
        options = coordinator.config_entry.options
        self._code_hash: str | None = options.get(CONF_CODE_HASH)
        self._code_salt: str | None = options.get(CONF_CODE_SALT)
        self._attr_code_format = CODE_FORMAT if self._code_hash else None

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
        await self._operate(self.coordinator.client.lock)

    async def async_unlock(self, **kwargs: Any) -> None:
        """Retract the bolt, after checking the code if one is configured."""
        if self._code_hash and self._code_salt:
            code: str = kwargs.get("code", "")
            if not code or not await self.hass.async_add_executor_job(
                verify_code, code, self._code_salt, self._code_hash
            ):
                raise ServiceValidationError(
                    translation_domain=DOMAIN, translation_key="wrong_unlock_code"
                )
        await self._operate(self.coordinator.client.unlock)

    async def _operate(self, command: Callable[[], Awaitable[Any]]) -> None:
        """Send ``command``; while the bolt moves (``busy``) wait for it, retry once."""
        with translate_errors():
            try:
                await command()
            except EzlockApiError as err:
                if err.code != "busy":
                    raise
                await self._bolt_settled()
                await command()

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
