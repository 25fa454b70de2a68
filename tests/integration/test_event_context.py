"""Which context an event carries (issue #11.6): the edges of ``EventContexts``.

test_context.py drives the common path through the real edge driver (an action's
event carries its user's context); these are the cases it cannot reach in a few
seconds: a collapsed repeat, an expectation ended twice, more events than are kept.
"""

from __future__ import annotations

from homeassistant.core import Context, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ezlock.client import LockEvent, parse_event
from custom_components.ezlock.const import CONF_CLIENT_ID, DOMAIN
from custom_components.ezlock.event_context import EVENT_CONTEXTS, EventContexts

CLIENT = {"id": "cl_home_assistant", "name": "Home Assistant"}


def _doorbell(seq: int, **data: object) -> LockEvent:
    """Return a doorbell event as the lock writes it for this client's request."""
    return parse_event(
        {"seq": seq, "type": "doorbell", "time": "2026-01-01T00:00:00Z"}
        | {"by_client": CLIENT}
        | data
    )


def _contexts(hass: HomeAssistant) -> EventContexts:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_CLIENT_ID: CLIENT["id"]})
    return EventContexts(hass, entry)


async def test_a_collapsed_repeat_is_nobody_s(hass: HomeAssistant) -> None:
    """A ``repeated`` event sums up several requests: not the waiting action's."""
    contexts = _contexts(hass)
    action = Context()
    contexts.async_expect(frozenset({"doorbell"}), action)
    repeat = _doorbell(1, repeated=3)
    contexts.async_claim(repeat)
    assert contexts.context_of(repeat) is not action
    mine = _doorbell(2)
    contexts.async_claim(mine)
    assert contexts.context_of(mine) is action  # still waiting, then its own
    later = _doorbell(3)
    contexts.async_claim(later)
    assert contexts.context_of(later) is not action  # an action has one event


async def test_an_expectation_ends_once(hass: HomeAssistant) -> None:
    """Cancelled after its request failed, then again at unload: no error, no match."""
    contexts = _contexts(hass)
    action = Context()
    expectation = contexts.async_expect(frozenset({"doorbell"}), action)
    expectation.cancel()
    contexts.async_cancel()
    expectation.cancel()
    event = _doorbell(1)
    contexts.async_claim(event)
    assert contexts.context_of(event) is not action


async def test_only_the_newest_events_keep_their_context(hass: HomeAssistant) -> None:
    """An event older than the newest ``EVENT_CONTEXTS`` gets a context of its own."""
    contexts = _contexts(hass)
    action = Context()
    contexts.async_expect(frozenset({"doorbell"}), action)
    first = _doorbell(1)
    contexts.async_claim(first)
    assert contexts.context_of(first) is action
    for seq in range(2, EVENT_CONTEXTS + 2):
        contexts.async_claim(_doorbell(seq))
    forgotten = contexts.context_of(first)
    assert forgotten is not action
    assert contexts.context_of(first) is forgotten  # and keeps that one
