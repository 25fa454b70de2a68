"""Random and malformed input on every route never gets a 5xx, and always the error shape."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings, strategies as st

from ezlock_edge.api import camera
from ezlock_edge.api.openapi import SCHEMAS
from ezlock_edge.api.routes import PREFIX, ROUTES, WS_ROUTE
from tests.support.waiting import WAIT

from .api_support import NO_BODY, ApiClient

ROUTE_TABLE = [
    (method, path.removeprefix(PREFIX))
    for method, path, handler, _ in ROUTES
    # The socket and the live view never end on their own (their own tests read them).
    if handler not in {WS_ROUTE, camera.stream}
]
FIELD_NAMES = sorted(
    {name for schema in SCHEMAS.values() for name in schema.get("properties", {})}
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Objects that look like real requests: known field names with wrong or random values.
plausible_bodies = st.dictionaries(
    st.sampled_from(FIELD_NAMES), json_values, max_size=5
)
bodies = st.one_of(
    plausible_bodies.map(lambda body: json.dumps(body).encode()),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=200),
    st.just(b""),
)
path_values = st.one_of(
    st.integers(min_value=-5, max_value=2000).map(str),
    st.text(
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
        min_size=1,
        max_size=20,
    ).filter(lambda text: "/" not in text and text not in {".", ".."}),
)
queries = st.dictionaries(
    st.sampled_from(["since", "limit", "user", "x"]),
    st.one_of(st.integers(-5, 2**64).map(str), st.text(max_size=8)),
    max_size=3,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    route=st.sampled_from(ROUTE_TABLE),
    number=path_values,
    object_id=path_values,
    query=queries,
    body=bodies,
    authenticated=st.booleans(),
)
async def test_random_requests_never_fail_the_server(
    api: ApiClient,
    route: tuple[str, str],
    number: str,
    object_id: str,
    query: dict[str, str],
    body: bytes,
    authenticated: bool,
) -> None:
    method, template = route
    path = template.replace("{number}", _quote(number)).replace(
        "{id}", _quote(object_id)
    )
    reply = await api.call(
        method,
        path + _query(query),
        NO_BODY,
        raw=body,
        token=None if authenticated else "",
    )
    assert reply.status < 500, (method, path, body, reply.body)
    if reply.status >= 400:
        _assert_error_shape(reply.body)


def _assert_error_shape(body: Any) -> None:
    assert isinstance(body, dict)
    assert set(body) <= {"error", "message", "fields", "reason"}
    assert isinstance(body["error"], str)
    assert isinstance(body["message"], str)
    assert "Traceback" not in body["message"]


def _quote(value: str) -> str:
    return quote(value, safe="")


def _query(params: dict[str, str]) -> str:
    return f"?{urlencode(params)}" if params else ""


ws_messages = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"type": st.sampled_from(["subscribe", "ping", "auth", "event"])},
        optional={"since": json_values, "token": json_values},
    ),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(messages=st.lists(ws_messages, max_size=4))
async def test_random_websocket_messages_keep_the_connection(
    api: ApiClient, messages: list[Any]
) -> None:
    """Garbage on the socket gets error replies; the connection stays usable."""
    ws = await api.ws()
    try:
        assert (await ws.receive_json(timeout=WAIT))["type"] == "auth_ok"
        for message in messages:
            await ws.send_json(message)
        await ws.send_json({"type": "ping"})
        while (reply := await ws.receive_json(timeout=WAIT))["type"] != "pong":
            assert reply["type"] in {"error", "event", "state", "subscribed"}
    finally:
        await ws.close()
