"""Property-based: anything track() accepts arrives intact at the (mock) server, and
anything it refuses raises TypeError or ValueError at the call, sending nothing.

One mock server serves every example of this module, with one client per mode
(batching off and on); the runs are bounded.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trodo
from trodo._core.validation import copy_properties
from trodo._wire.httpx_clients import dumps
from trodo.testing import MockTrodoServer

BOUNDED = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Text of any code points, lone surrogates included (hypothesis leaves them out by default).
surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
text = st.text(st.one_of(st.characters(), surrogates), max_size=12) | st.text(max_size=12)
# Ints beyond 64 bits up to the longest the interpreter writes (4,300 digits). Longer
# ones are refused (tests/test_input_refused_at_call.py); hypothesis cannot print them.
ints = (
    st.integers()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.sampled_from([2**63 - 1, 2**63, 2**64, -(2**63) - 1])
    | st.sampled_from([1, -1]).map(lambda sign: sign * (10**4300 - 1))
)
floats = st.floats(allow_nan=True, allow_infinity=True)


class Opaque:
    """A value JSON cannot carry."""


leaves = st.none() | st.booleans() | ints | floats | text | st.builds(Opaque)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(text, inner, max_size=4)
    ),
    max_leaves=12,
)
properties = st.dictionaries(text, values, max_size=5)


@pytest.fixture(scope="module")
def server() -> Iterator[MockTrodoServer]:
    with MockTrodoServer() as running:
        yield running
    assert running.violations == []


@pytest.fixture(scope="module", params=["direct", "batched"])
def client(server: MockTrodoServer, request: pytest.FixtureRequest) -> trodo.TrodoClient:
    return server.client(batch_enabled=request.param == "batched")


def refused(value: Any) -> bool:
    """Whether the documented rules refuse ``value`` (at any depth)."""
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return False
    if isinstance(value, int):
        try:
            return len(str(abs(value))) > 4300
        except ValueError:  # the interpreter's own limit: more than 4,300 digits
            return True
    if isinstance(value, list | tuple):
        return any(refused(item) for item in value)
    if isinstance(value, dict):
        return any(refused(k) or refused(v) for k, v in value.items())
    return True  # Opaque


def expected(value: Any) -> Any:
    """What arrives for an accepted value: tuples as lists, NaN and infinities as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [expected(item) for item in value]
    if isinstance(value, dict):
        return {k: expected(v) for k, v in value.items()}
    return value


def arrived(server: MockTrodoServer, client: trodo.TrodoClient, before: int) -> list[Any]:
    """The events that arrived since ``before`` (waiting for the batch, with batching on)."""
    assert client.flush(timeout=30)
    return server.events[before:]


@BOUNDED
@given(props=properties)
def test_accepted_properties_arrive_equal_and_refused_ones_raise_at_the_call(
    server: MockTrodoServer, client: trodo.TrodoClient, props: dict[str, Any]
) -> None:
    before = len(server.events)
    if refused(props):
        with pytest.raises((TypeError, ValueError)):
            client.track("user_42", "fuzzed", props)
        assert arrived(server, client, before) == []
        return
    client.track("user_42", "fuzzed", props)
    [event] = arrived(server, client, before)
    assert event["custom_properties"] == json.loads(json.dumps(expected(props)))


@BOUNDED
@given(distinct_id=text, event_name=text, category=text)
def test_accepted_ids_and_names_arrive_equal_and_refused_ones_raise_at_the_call(
    server: MockTrodoServer,
    client: trodo.TrodoClient,
    distinct_id: str,
    event_name: str,
    category: str,
) -> None:
    before = len(server.events)
    if not (distinct_id and event_name and category) or refused(
        [distinct_id, event_name, category]
    ):
        with pytest.raises((TypeError, ValueError)):
            client.track(distinct_id, event_name, None, category)
        assert arrived(server, client, before) == []
        return
    client.track(distinct_id, event_name, None, category)
    [event] = arrived(server, client, before)
    assert (event["user_id"], event["event_name"], event["event_category"]) == (
        distinct_id,
        event_name,
        category,
    )


@BOUNDED
@given(props=properties)
def test_the_size_counted_at_the_call_is_the_size_the_properties_take_on_the_wire(
    props: dict[str, Any],
) -> None:
    # The queue's byte bound adds this size up: quotes, backslashes and control
    # characters (escaped, 2 to 6 bytes each), UTF-8 and long numbers all count.
    if refused(props):
        return
    copy, size = copy_properties(props)
    assert size == len(dumps(copy))
