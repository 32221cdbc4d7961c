"""Whatever the wire or the encoder would refuse is refused at the call, with the key path.

Nothing refused is sent (not even the session registration), and nothing that
passes the call fails later: every accepted value arrives as it was tracked.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

import trodo
from trodo.testing import Answer, MockTrodoServer

from .delivery_support import ErrorLog, names

LONE = "\ud83d"  # half of a surrogate pair: Python holds it, UTF-8 cannot encode it


def plus(hours: int) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours))


# -- timestamps -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    [
        dt.datetime(1, 1, 1, tzinfo=plus(5)),  # 0000-12-31T19:00Z
        dt.datetime(9999, 12, 31, 22, tzinfo=plus(-5)),  # 10000-01-01T03:00Z
    ],
    ids=["before-year-1-in-utc", "after-year-9999-in-utc"],
)
def test_a_timestamp_whose_utc_form_is_out_of_range_is_refused_before_anything_is_sent(
    trodo_server: MockTrodoServer, timestamp: dt.datetime
) -> None:
    errors = ErrorLog()
    client = trodo_server.client(on_error=errors)
    with pytest.raises(ValueError, match=r"timestamp .*out of range"):
        client.track("user_42", "late", timestamp=timestamp)
    assert trodo_server.requests == []  # no session was registered for it
    assert errors.errors == []


def test_a_timestamp_at_the_edges_of_the_range_is_delivered_as_it_was_given(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client()
    client.track("user_42", "first", timestamp=dt.datetime(1, 1, 1, 5, tzinfo=plus(5)))
    client.track("user_42", "last", timestamp=dt.datetime(9999, 12, 31, 18, tzinfo=plus(-5)))
    stamps = [e["timestamp"] for e in trodo_server.events]
    parsed = [dt.datetime.fromisoformat(s.replace("Z", "+00:00")) for s in stamps]
    assert parsed == [
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC),
    ]


# -- capture_error with exceptions that cannot describe themselves ---------------------


class UnprintableError(Exception):
    """str() and repr() both raise, as some library exceptions do when half-built."""

    def __str__(self) -> str:
        raise RuntimeError("str failed")

    def __repr__(self) -> str:
        raise RuntimeError("repr failed")


class UnformattableError(Exception):
    """traceback.format_exception raises on it (a broken __notes__)."""

    def __str__(self) -> str:
        raise RuntimeError("str failed")

    @property
    def __notes__(self) -> list[str]:  # type: ignore[override]
        raise RuntimeError("notes failed")


@pytest.mark.parametrize("kind", [UnprintableError, UnformattableError])
def test_capture_error_reports_an_exception_whose_str_raises_with_a_fallback_message(
    trodo_server: MockTrodoServer, kind: type[Exception]
) -> None:
    client = trodo_server.client()
    try:
        raise kind()
    except Exception as exc:
        client.capture_error("user_42", exc)
    [event] = trodo_server.events
    props = event["custom_properties"]
    assert event["event_name"] == "server_error"
    assert props["error_type"] == kind.__name__
    assert kind.__name__ in props["message"]
    assert "str() raised" in props["message"]
    assert isinstance(props["stack"], str)
    assert props["stack"]


def test_capture_error_replaces_lone_surrogates_in_the_message(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client()
    client.capture_error("user_42", ValueError(f"bad byte {LONE} here"))
    [event] = trodo_server.events
    assert event["custom_properties"]["message"] == "bad byte \ufffd here"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_uncaught_exception_whose_str_raises_is_still_reported_by_auto_events(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(auto_events=True)

    def boom() -> None:
        raise UnprintableError()

    thread = threading.Thread(target=boom)
    thread.start()
    thread.join()
    client.disable_auto_events()
    [event] = trodo_server.events
    assert event["custom_properties"]["error_type"] == "UnprintableError"
    assert event["custom_properties"]["severity"] == "critical"


# -- lone surrogates, anywhere ---------------------------------------------------------


@pytest.mark.parametrize(
    ("properties", "path"),
    [
        ({f"k{LONE}": 1}, "properties"),
        ({"cart": {f"k{LONE}": 1}}, "properties['cart']"),
        ({"plan": f"pro{LONE}"}, "properties['plan']"),
        ({"cart": {"items": ["ok", f"x{LONE}"]}}, "properties['cart']['items'][1]"),
        ({"tags": (f"x{LONE}",)}, "properties['tags'][0]"),
    ],
    ids=["key", "nested-key", "value", "nested-value", "tuple-item"],
)
def test_a_lone_surrogate_in_properties_is_refused_at_the_call_naming_the_key_path(
    trodo_server: MockTrodoServer, properties: dict[str, Any], path: str
) -> None:
    client = trodo_server.client()
    with pytest.raises(ValueError, match="surrogate") as raised:
        client.track("user_42", "e", properties)
    assert path in str(raised.value)
    assert trodo_server.requests == []


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda c: c.track("user_42", f"e{LONE}"), "event_name"),
        (lambda c: c.track("user_42", "e", None, f"c{LONE}"), "category"),
        (lambda c: c.track(f"u{LONE}", "e"), "distinct_id"),
        (lambda c: c.for_user("user_42", session_id=f"s{LONE}"), "session_id"),
        (lambda c: c.identify(f"db{LONE}"), "distinct_id"),
        (lambda c: c.for_user("user_42").identify(f"db{LONE}"), "identify_id"),
        (lambda c: c.wallet_address("user_42", f"0x{LONE}"), "address"),
    ],
    ids=[
        "event-name",
        "category",
        "distinct-id",
        "session-id",
        "identify",
        "identify-id",
        "wallet",
    ],
)
def test_a_lone_surrogate_in_an_id_or_name_is_refused_at_the_call_naming_the_argument(
    trodo_server: MockTrodoServer, call: Any, name: str
) -> None:
    client = trodo_server.client()
    with pytest.raises(ValueError, match=f"{name}.*surrogate"):
        call(client)
    assert trodo_server.requests == []


def test_a_lone_surrogate_is_refused_with_batching_on_too_and_nothing_is_queued(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(batch_enabled=True)
    with pytest.raises(ValueError, match=r"properties\['plan'\].*surrogate"):
        client.track("user_42", "e", {"plan": f"pro{LONE}"})
    client.track("user_42", "fine", {"plan": "pro\U0001f600"})
    assert client.flush(timeout=10)
    assert names(trodo_server.events) == ["fine"]
    assert trodo_server.events[0]["custom_properties"] == {"plan": "pro\U0001f600"}
    assert client.stats().dropped == {}


# -- ints -------------------------------------------------------------------------------


def test_an_int_too_long_to_write_as_json_is_refused_at_the_call_naming_the_key_path(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client()
    with pytest.raises(ValueError, match=r"properties\['n'\]\[0\].*digits"):
        client.track("user_42", "e", {"n": [10**5000]})
    assert trodo_server.requests == []


@pytest.mark.parametrize("batch_enabled", [False, True], ids=["direct", "batched"])
def test_ints_beyond_64_bits_are_delivered_exactly(
    trodo_server: MockTrodoServer, batch_enabled: bool
) -> None:
    client = trodo_server.client(batch_enabled=batch_enabled)
    values = {"big": 2**64, "neg": -(2**63) - 1, "huge": 10**4000 + 7, "small": 3}
    client.track("user_42", "ints", values)
    assert client.flush(timeout=10)
    assert trodo_server.events[0]["custom_properties"] == values


# -- size -------------------------------------------------------------------------------


def test_an_event_larger_than_max_request_bytes_is_refused_at_the_call(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(max_request_bytes=4096)
    with pytest.raises(ValueError, match="max_request_bytes"):
        client.track("user_42", "big", {"blob": "x" * 5000})
    client.track("user_42", "fits", {"blob": "x" * 1000})
    assert names(trodo_server.events) == ["fits"]


def test_the_size_check_counts_json_escapes_so_an_event_that_grows_when_encoded_is_refused(
    trodo_server: MockTrodoServer,
) -> None:
    # 1,000 characters, 6,000 bytes on the wire: each one is written as \u0001.
    client = trodo_server.client(max_request_bytes=4096)
    with pytest.raises(ValueError, match="max_request_bytes"):
        client.track("user_42", "escaped", {"blob": "\x01" * 1000})
    assert trodo_server.requests == []


def test_an_oversized_event_is_refused_with_batching_on_instead_of_failing_later(
    trodo_server: MockTrodoServer,
) -> None:
    errors = ErrorLog()
    client = trodo_server.client(batch_enabled=True, max_request_bytes=4096, on_error=errors)
    with pytest.raises(ValueError, match="max_request_bytes"):
        client.track("user_42", "big", {"blob": "é" * 3000})
    assert client.flush(timeout=10)
    assert errors.errors == []


class CountingMapping(Mapping[str, Any]):
    """A mapping that counts how often it is walked."""

    walks = 0

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        CountingMapping.walks += 1
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def shared_levels(levels: int) -> Mapping[str, Any]:
    """Each level holds the level below twice: 2**levels leaves, ``levels`` objects."""
    node: Mapping[str, Any] = CountingMapping({"leaf": 1})
    for _ in range(levels):
        node = CountingMapping({"a": node, "b": node})
    return node


def test_shared_sub_objects_are_walked_once_and_delivered_expanded(
    trodo_server: MockTrodoServer,
) -> None:
    CountingMapping.walks = 0
    client = trodo_server.client()
    client.track("user_42", "shared", {"tree": shared_levels(6)})
    assert CountingMapping.walks <= 7  # each of the 7 objects once, not 2**7 - 1 times
    expected: Any = {"leaf": 1}
    for _ in range(6):
        expected = {"a": expected, "b": expected}
    assert trodo_server.events[0]["custom_properties"] == {"tree": expected}


def test_a_deep_structure_of_shared_sub_dicts_is_refused_as_too_large_without_expanding_it(
    trodo_server: MockTrodoServer,
) -> None:
    # The case: 22 levels expand to 4 million leaves on the wire.
    CountingMapping.walks = 0
    client = trodo_server.client()
    with pytest.raises(ValueError, match="max_request_bytes"):
        client.track("user_42", "shared", {"tree": shared_levels(22)})
    assert CountingMapping.walks <= 23
    assert trodo_server.requests == []


def test_properties_nested_deeper_than_the_cap_are_refused_naming_the_path(
    trodo_server: MockTrodoServer,
) -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(40):
        node["d"] = {}
        node = node["d"]
    client = trodo_server.client()
    with pytest.raises(ValueError, match=r"properties\['d'\]\['d'\].*levels deep"):
        client.track("user_42", "deep", {"d": deep})
    assert trodo_server.requests == []


def test_a_cyclic_structure_is_refused_as_cyclic(trodo_server: MockTrodoServer) -> None:
    cart: dict[str, Any] = {"items": []}
    cart["items"].append(cart)
    client = trodo_server.client()
    with pytest.raises(ValueError, match=r"properties\['cart'\]\['items'\]\[0\].*itself"):
        client.track("user_42", "cyclic", {"cart": cart})


def test_a_list_too_long_for_any_request_is_refused(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client()
    with pytest.raises(ValueError, match="max_request_bytes"):
        client.track("user_42", "long", {"ids": list(range(1_000_000))})
    assert trodo_server.requests == []


def test_what_was_accepted_before_a_refused_call_is_still_delivered(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(batch_enabled=True)
    client.track("user_42", "before")
    with pytest.raises(ValueError, match="surrogate"):
        client.track("user_42", "refused", {"v": LONE})
    client.track("user_42", "after")
    assert client.flush(timeout=10)
    assert names(trodo_server.events) == ["before", "after"]


def test_the_module_level_track_refuses_the_same_way(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    trodo.init(trodo_server.site_id, api_base=trodo_server.url)
    with pytest.raises(ValueError, match=r"properties\['v'\].*surrogate"):
        trodo.track("user_42", "e", {"v": LONE})


def test_capture_error_cuts_a_huge_message_and_stack_so_the_event_fits_a_request(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(max_request_bytes=20_000)
    client.capture_error("user_42", ValueError("\x01" * 1_000_000))  # 6 MB as JSON
    [event] = trodo_server.events
    message = event["custom_properties"]["message"]
    assert message.startswith("\x01" * 100)
    assert "characters cut" in message
    assert len(trodo_server.requests[-1].body) <= 20_000


def test_a_merged_id_a_server_answers_with_a_lone_surrogate_is_not_followed(
    trodo_server: MockTrodoServer,
) -> None:
    trodo_server.respond_with(
        lambda path, body: Answer(200, {"success": True, "newDistinctId": f"x{LONE}"}),
        path="/api/sdk/identify",
    )
    client = trodo_server.client()
    user = client.for_user("user_42")
    result = user.identify("db_1")
    assert (result.merged, result.distinct_id) == (False, "user_42")
    user.track("after_identify")
    assert [e["user_id"] for e in trodo_server.events] == ["user_42"]
