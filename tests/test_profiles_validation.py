"""Wrong input to a profile, group or upsert call raises at the call site, naming the
argument, and nothing is queued or sent; the vendor's int distinct ids are accepted.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import trodo
from trodo.testing import MockTrodoServer

Call = Callable[[Any], Any]  # given a client (sync or async), makes the call

BAD_CALLS: list[tuple[str, Call, type[Exception], str]] = [
    (
        "set-not-a-mapping",
        lambda c: c.people_set("u", ["plan"]),
        TypeError,
        "properties must be a mapping",
    ),
    ("set-none", lambda c: c.people_set("u", None), TypeError, "properties must be a mapping"),
    ("set-odd-value", lambda c: c.people_set("u", {"x": object()}), TypeError, "properties['x']"),
    ("set-int-key", lambda c: c.people_set("u", {1: "x"}), TypeError, "keys must be str"),
    ("set_once-not-a-mapping", lambda c: c.people_set_once("u", "plan"), TypeError, "properties"),
    ("unset-empty-list", lambda c: c.people_unset("u", []), ValueError, "keys"),
    ("unset-empty-key", lambda c: c.people_unset("u", ""), ValueError, "keys"),
    ("unset-int-key", lambda c: c.people_unset("u", ["a", 3]), TypeError, "keys[1]"),
    ("unset-none", lambda c: c.people_unset("u", None), TypeError, "keys"),
    ("increment-empty-key", lambda c: c.people_increment("u", ""), ValueError, "key"),
    ("increment-str-amount", lambda c: c.people_increment("u", "k", "1"), TypeError, "amount"),
    ("increment-nan", lambda c: c.people_increment("u", "k", math.nan), ValueError, "amount"),
    ("increment-inf", lambda c: c.people_increment("u", "k", math.inf), ValueError, "amount"),
    ("increment-bool", lambda c: c.people_increment("u", "k", True), TypeError, "amount"),
    ("append-str-values", lambda c: c.people_append("u", "k", "pricing"), TypeError, "values"),
    ("append-odd-value", lambda c: c.people_append("u", "k", [object()]), TypeError, "values[0]"),
    ("union-none-key", lambda c: c.people_union("u", None, ["a"]), TypeError, "key"),
    ("remove-dict-values", lambda c: c.people_remove("u", "k", {"a": 1}), TypeError, "values"),
    ("charge-nan", lambda c: c.people_track_charge("u", math.nan), ValueError, "amount"),
    ("charge-str", lambda c: c.people_track_charge("u", "49.5"), TypeError, "amount"),
    (
        "charge-bad-properties",
        lambda c: c.people_track_charge("u", 1, ["x"]),
        TypeError,
        "properties",
    ),
    ("set_group-empty-key", lambda c: c.set_group("u", "", "acme"), ValueError, "group_key"),
    ("set_group-int-id", lambda c: c.set_group("u", "company", 42), TypeError, "group_id"),
    (
        "set_group-id-list-of-int",
        lambda c: c.set_group("u", "company", ["a", 1]),
        TypeError,
        "group_id[1]",
    ),
    ("add_group-list", lambda c: c.add_group("u", "company", ["acme"]), TypeError, "group_id"),
    ("remove_group-empty-id", lambda c: c.remove_group("u", "company", ""), ValueError, "group_id"),
    ("get_group-empty-key", lambda c: c.get_group("u", "", "acme"), ValueError, "group_key"),
    ("get_group-list-id", lambda c: c.get_group("u", "company", ["acme"]), TypeError, "group_id"),
    (
        "group-set-not-mapping",
        lambda c: c.get_group("u", "g", "1").set("x"),
        TypeError,
        "properties",
    ),
    ("group-union-str", lambda c: c.get_group("u", "g", "1").union("l", "x"), TypeError, "values"),
    (
        "group-union-empty-name",
        lambda c: c.get_group("u", "g", "1").union("", ["x"]),
        ValueError,
        "list_name",
    ),
    (
        "group-remove-odd",
        lambda c: c.get_group("u", "g", "1").remove("l", object()),
        TypeError,
        "value",
    ),
    ("group-unset-none", lambda c: c.get_group("u", "g", "1").unset(None), TypeError, "property"),
    (
        "group-increment-str",
        lambda c: c.get_group("u", "g", "1").increment("p", "2"),
        TypeError,
        "value",
    ),
    (
        "group-append-odd",
        lambda c: c.get_group("u", "g", "1").append("p", {1: 2}),
        TypeError,
        "value",
    ),
    ("upsert-empty-id", lambda c: c.upsert_user(""), ValueError, "distinct_id"),
    ("upsert-bool-id", lambda c: c.upsert_user(True), TypeError, "distinct_id"),
    (
        "upsert-properties-list",
        lambda c: c.upsert_user("u", properties=["x"]),
        TypeError,
        "properties",
    ),
    ("upsert-set_once-str", lambda c: c.upsert_user("u", set_once="x"), TypeError, "set_once"),
    (
        "upsert-fixed-odd-value",
        lambda c: c.upsert_user("u", fixed_properties={"last_location_city": 3}),
        TypeError,
        "fixed_properties['last_location_city']",
    ),
    ("unset-surrogate", lambda c: c.people_unset("u", "\ud800"), ValueError, "keys holds a lone"),
    (
        "set-surrogate",
        lambda c: c.people_set("u", {"a": "\ud800"}),
        ValueError,
        "properties['a'] holds a lone",
    ),
    (
        "append-surrogate",
        lambda c: c.people_append("u", "k", ["\udfff"]),
        ValueError,
        "values[0] holds a lone",
    ),
    (
        "group-key-surrogate",
        lambda c: c.add_group("u", "\ud800", "acme"),
        ValueError,
        "group_key holds a lone",
    ),
    ("people-bool-id", lambda c: c.people_set(False, {"a": 1}), TypeError, "distinct_id"),
    ("people-empty-id", lambda c: c.people_delete_user(""), ValueError, "distinct_id"),
]


@pytest.fixture(scope="module")
def server() -> Iterator[MockTrodoServer]:
    with MockTrodoServer() as mock:
        yield mock


@pytest.fixture(params=["sync", "async"])
def clients(request: pytest.FixtureRequest, server: MockTrodoServer) -> Iterator[list[Any]]:
    """Two clients of the kind, batching on and off (the check comes before either path)."""
    server.clear()
    cls = trodo.TrodoClient if request.param == "sync" else trodo.AsyncTrodoClient
    made = [cls(server.site_id, api_base=server.url, batch_enabled=b) for b in (False, True)]
    yield made
    for client in made:
        result = client.shutdown()
        if asyncio.iscoroutine(result):
            asyncio.run(result)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [pytest.param(call, error, message, id=name) for name, call, error, message in BAD_CALLS],
)
def test_a_bad_argument_raises_at_the_call_and_nothing_is_sent(
    clients: list[Any], server: MockTrodoServer, call: Call, error: type[Exception], message: str
) -> None:
    for client in clients:
        with pytest.raises(error, match=_literal(message)):
            _run(call, client)
        assert client.stats().queued == 0
    assert server.requests == []


def _run(call: Call, client: Any) -> Any:
    """Make the call; the async client's is awaited (it raises there, as its track does)."""
    outcome = call(client)
    if asyncio.iscoroutine(outcome):
        return asyncio.run(outcome)
    return outcome


def _literal(text: str) -> str:
    import re

    return re.escape(text)


def test_fixed_properties_outside_the_four_columns_are_refused_naming_them(
    clients: list[Any],
) -> None:
    for client in clients:
        with pytest.raises(ValueError, match="browser") as raised:
            _run(
                lambda c: c.upsert_user(
                    "u", fixed_properties={"browser": "Firefox", "city": "Paris"}
                ),
                client,
            )
        message = str(raised.value)
        for column in (
            "first_location_country",
            "last_location_country",
            "first_location_city",
            "last_location_city",
        ):
            assert column in message
        assert "'city'" in message


def test_properties_are_copied_at_the_call(server: MockTrodoServer) -> None:
    server.clear()
    with trodo.TrodoClient(server.site_id, api_base=server.url, batch_enabled=True) as client:
        properties: dict[str, Any] = {"plan": "free", "tags": ["a"]}
        client.people_set("u", properties)
        properties["plan"] = "pro"
        properties["tags"].append("b")
        client.flush()
    [update] = server.profile_updates
    assert update.body["properties"] == {"plan": "free", "tags": ["a"]}


def test_property_values_convert_as_track_properties_do(server: MockTrodoServer) -> None:
    import datetime as dt
    import decimal

    server.clear()
    with trodo.TrodoClient(server.site_id, api_base=server.url) as client:
        when = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
        client.people_set("u", {"at": when, "price": decimal.Decimal("9.5"), "ratio": math.nan})
        client.people_union("u", "tags", ("a", "b"))
        client.get_group("u", "g", "1").append("when", when)
    bodies = [u.body for u in server.profile_updates]
    assert bodies[0]["properties"] == {
        "at": "2026-11-27T10:00:00+00:00",
        "price": 9.5,
        "ratio": None,
    }
    assert bodies[1]["values"] == ["a", "b"]
    assert bodies[2]["value"] == "2026-11-27T10:00:00+00:00"


# -- int distinct ids (the vendor's, e.g. Django's request.user.pk) --------------------------


INT_ID_CALLS: list[tuple[str, Call, str]] = [
    ("for_user", lambda c: c.for_user(42).people.set({"a": 1}), "userId"),
    ("people_set", lambda c: c.people_set(42, {"a": 1}), "userId"),
    ("set_group", lambda c: c.set_group(42, "company", "acme"), "userId"),
    ("get_group", lambda c: c.get_group(42, "company", "acme").delete(), "userId"),
    ("upsert_user", lambda c: c.upsert_user(42), "distinctId"),
    ("users.upsert", lambda c: c.users.upsert(42), "distinctId"),
]


@pytest.mark.parametrize(
    ("call", "key"), [pytest.param(call, key, id=name) for name, call, key in INT_ID_CALLS]
)
def test_an_int_distinct_id_is_sent_as_its_decimal_string(
    server: MockTrodoServer, call: Call, key: str
) -> None:
    server.clear()
    with trodo.TrodoClient(server.site_id, api_base=server.url) as client:
        call(client)
    [update] = server.profile_updates
    assert update.body[key] == "42"


def test_an_int_distinct_id_is_the_same_user_as_its_string(server: MockTrodoServer) -> None:
    server.clear()
    with trodo.TrodoClient(server.site_id, api_base=server.url) as client:
        assert client.for_user(42) is client.for_user("42")
        client.track(7, "signed_up")
        client.identify(8)
        client.wallet_address(9, "0xabc")
        client.capture_error(10, ValueError("x"))
        client.reset(7)
    assert [e["user_id"] for e in server.events] == ["7", "10"]
    assert server.identifies[0]["identifyId"] == "8"
    assert server.wallet_addresses[0]["distinctId"] == "9"
    assert server.resets[0]["distinctId"] == "7"


@pytest.mark.parametrize("bad", [True, False, 4.0, None, b"42"], ids=repr)
def test_a_distinct_id_that_is_not_str_or_int_is_refused(
    server: MockTrodoServer, bad: object
) -> None:
    with trodo.TrodoClient(server.site_id, api_base=server.url) as client:
        with pytest.raises(TypeError, match="distinct_id"):
            client.for_user(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="distinct_id"):
            client.track(bad, "e")  # type: ignore[arg-type]


def test_the_async_client_takes_int_distinct_ids_too(server: MockTrodoServer) -> None:
    server.clear()

    async def scenario() -> None:
        async with trodo.AsyncTrodoClient(server.site_id, api_base=server.url) as client:
            assert client.for_user(42) is client.for_user("42")
            await client.people_set(42, {"a": 1})
            await client.upsert_user(43)
            await client.track(44, "e")

    asyncio.run(scenario())
    assert [u.user_id for u in server.profile_updates] == ["42", "43"]
    assert server.events[0]["user_id"] == "44"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_disabled_client_checks_profile_writes_and_sends_none(kind: str) -> None:
    async def scenario() -> None:
        client = trodo.AsyncTrodoClient(disabled=True)
        result = await client.people_set("u", {"plan": "pro"})
        assert (result.status, result.ok) == ("disabled", True)
        assert (await client.upsert_user("u")).response is None
        with pytest.raises(TypeError, match="properties"):
            await client.people_set("u", ["plan"])
        assert client.stats().disabled == 2
        await client.shutdown()

    if kind == "async":
        asyncio.run(scenario())
        return
    with trodo.TrodoClient(disabled=True) as client:  # no site id, no connection
        result = client.get_group("u", "company", "acme").set({"seats": 3})
        assert (result.status, result.ok) == ("disabled", True)
        with pytest.raises(ValueError, match="fixed_properties"):
            client.upsert_user("u", fixed_properties={"browser": "x"})
        assert client.stats().disabled == 1


@pytest.mark.parametrize("batched", [False, True])
def test_a_write_larger_than_one_request_is_refused_at_the_call(
    server: MockTrodoServer, batched: bool
) -> None:
    server.clear()
    options: dict[str, Any] = {"batch_enabled": batched, "max_request_bytes": 2048}
    with trodo.TrodoClient(server.site_id, api_base=server.url, **options) as client:
        with pytest.raises(
            ValueError, match=r"people\.set write is .* more than max_request_bytes"
        ):
            client.people_set("u", {"essay": "x" * 4096})
        client.people_set("u", {"essay": "x" * 1024})  # fits: sent
        assert client.flush()
        assert client.stats().queued == 0
    assert [len(u.body["properties"]["essay"]) for u in server.profile_updates] == [1024]
