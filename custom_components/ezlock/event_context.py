"""Which Home Assistant context each event of the lock carries (issue #11.6).

An action about to make the lock write an event says so (``async_expect``); the first
such event this client's request wrote within ``EXPECT_WINDOW`` carries the action's
context, so the logbook and the entities name the user who acted. Everything else, what
happened at the lock or came from another client, gets a context of its own.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from .client import LockEvent
from .const import CONF_CLIENT_ID

# How long an action waits for the lock's event it caused (the bolt travels ~1 s).
EXPECT_WINDOW: Final = 10.0
# Contexts of the newest events, for listeners that act on one (the logbook line).
EVENT_CONTEXTS: Final = 64


@dataclass(eq=False)
class Expectation:
    """A Home Assistant action waiting for the lock event it causes (its ``context``)."""

    event_types: frozenset[str]
    context: Context
    # Once its request failed: the only event it still waits for (type, reason).
    failure: tuple[str, str] | None = None
    done: bool = False  # its event came, its request failed, or it waited too long
    cancel: CALLBACK_TYPE = field(default=lambda: None)

    def matches(self, event: LockEvent) -> bool:
        """Whether ``event`` (written for this client's request) is this action's.

        A collapsed repeat (``repeated``) sums up several requests: nobody's alone.
        """
        if self.done or "repeated" in event.data:
            return False
        if self.failure is not None:
            return (event.type, event.data.get("reason")) == self.failure
        return event.type in self.event_types

    def failed(self, event_type: str, reason: str) -> None:
        """Wait for the refusal's event only: ``event_type`` with ``reason``.

        The lock wrote it before refusing; it may still come after the refusal.
        """
        self.failure = (event_type, reason)


class EventContexts:
    """Actions waiting for their event, and the context of each recent event."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Nothing is expected, no event seen yet."""
        self._hass = hass
        self._entry = entry
        self._expected: list[Expectation] = []
        self._contexts: OrderedDict[int, Context] = OrderedDict()

    @callback
    def async_expect(
        self, event_types: frozenset[str], context: Context
    ) -> Expectation:
        """Note that an action with ``context`` is about to make the lock write an event.

        The first event of ``event_types`` this client's request wrote (``by_client``)
        within ``EXPECT_WINDOW`` then carries ``context``; cancel the expectation if
        the request failed without an event, or say which one it wrote (``failed``).
        """
        expectation = Expectation(event_types, context)

        @callback
        def _forget(_now: datetime | None = None) -> None:
            expectation.done = True
            unsubscribe()
            if expectation in self._expected:
                self._expected.remove(expectation)

        unsubscribe = async_call_later(self._hass, EXPECT_WINDOW, _forget)
        expectation.cancel = _forget
        self._expected.append(expectation)
        return expectation

    def _claim(self, event: LockEvent) -> Context:
        """Return the context of the action that caused ``event``, else a fresh one."""
        client = event.by_client
        if client is not None and client.id == self._entry.data.get(CONF_CLIENT_ID):
            for expectation in self._expected:
                if expectation.matches(event):
                    expectation.cancel()
                    return expectation.context
        return Context()

    def context_of(self, event: LockEvent) -> Context:
        """Return the context ``event`` and what follows from it carry.

        The action's that caused it, or one of its own for what happened at the lock
        (or came from another client): never a Home Assistant user's who only
        happened to act on the lock a few seconds before.
        """
        if (context := self._contexts.get(event.seq)) is None:
            context = self._contexts[event.seq] = Context()
        return context

    @callback
    def async_claim(self, event: LockEvent) -> None:
        """Keep the context a new event carries (the newest ``EVENT_CONTEXTS``)."""
        self._contexts[event.seq] = self._claim(event)
        while len(self._contexts) > EVENT_CONTEXTS:
            self._contexts.popitem(last=False)

    @callback
    def async_cancel(self) -> None:
        """Stop waiting for every pending action's event (the entry unloads)."""
        for expectation in tuple(self._expected):
            expectation.cancel()
