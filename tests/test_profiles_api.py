"""Profiles, groups and upsert: every operation in every public form, on both clients.

Each case is one operation: how to call it on a user's context, how to call
it distinct id first (on a client, and the same names at module level), and
the body protocol.md says goes on the wire. Every combination runs against
the mock server, which validates each request against the spec, with
batching on and off. The async client is driven through :class:`Awaiting`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import trodo
from trodo.testing import MockTrodoServer, ProfileUpdate

SITE = "test-site"


class Awaiting:
    """An object whose methods' awaitable results are awaited on one loop.

    Attributes that are objects of the SDK (``user.people``, ``client.users``)
    and results that are (a group profile, a user context) come back wrapped
    too, so one call chain drives both clients.
    """

    def __init__(self, target: Any, runner: asyncio.Runner | None) -> None:
        self._target = target
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return self._wrap(attribute)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            if inspect.isawaitable(result):
                assert self._runner is not None, f"{name}() of the sync API returned an awaitable"
                result = self._runner.run(_awaited(result))
            return self._wrap(result)

        return call

    def _wrap(self, value: Any) -> Any:
        if type(value).__module__.startswith("trodo.") and not _is_result(value):
            return Awaiting(value, self._runner)
        return value


def _is_result(value: Any) -> bool:
    return isinstance(value, trodo.WriteResult | trodo.IdentifyResult | trodo.Stats)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


@dataclass(frozen=True)
class Case:
    """One operation: its forms, and its wire body beside siteId/userId."""

    operation: str  # the mock's ProfileUpdate.operation
    on_user: Callable[[Any], Any]
    distinct_id_first: Callable[[Any, str], Any]
    body: dict[str, Any]


PROPS = {"plan": "pro", "seats": 5}
GROUP = {"groupKey": "company", "groupId": "acme"}

CASES = [
    Case(
        "people.set",
        lambda u: u.people.set(PROPS),
        lambda c, d: c.people_set(d, PROPS),
        {"properties": PROPS},
    ),
    Case(
        "people.set_once",
        lambda u: u.people.set_once({"first_plan": "free"}),
        lambda c, d: c.people_set_once(d, {"first_plan": "free"}),
        {"properties": {"first_plan": "free"}},
    ),
    Case(
        "people.unset",
        lambda u: u.people.unset("trial_ends"),
        lambda c, d: c.people_unset(d, ["trial_ends", "coupon"]),
        {"keys": ["trial_ends"]},
    ),
    Case(
        "people.increment",
        lambda u: u.people.increment("logins"),
        lambda c, d: c.people_increment(d, "logins", amount=1),
        {"key": "logins", "amount": 1},
    ),
    Case(
        "people.append",
        lambda u: u.people.append("viewed", ["pricing"]),
        lambda c, d: c.people_append(d, "viewed", ["pricing"]),
        {"key": "viewed", "values": ["pricing"]},
    ),
    Case(
        "people.union",
        lambda u: u.people.union("features", ["export", "sso"]),
        lambda c, d: c.people_union(d, "features", ["export", "sso"]),
        {"key": "features", "values": ["export", "sso"]},
    ),
    Case(
        "people.remove",
        lambda u: u.people.remove("features", ["sso"]),
        lambda c, d: c.people_remove(d, "features", ["sso"]),
        {"key": "features", "values": ["sso"]},
    ),
    Case(
        "people.track_charge",
        lambda u: u.people.track_charge(49.5),
        lambda c, d: c.people_track_charge(d, 49.5, None),
        {"amount": 49.5, "properties": {}},
    ),
    Case(
        "people.clear_charges",
        lambda u: u.people.clear_charges(),
        lambda c, d: c.people_clear_charges(d),
        {},
    ),
    Case(
        "people.delete_user",
        lambda u: u.people.delete_user(),
        lambda c, d: c.people_delete_user(d),
        {},
    ),
    Case(
        "groups.set_group",
        lambda u: u.set_group("company", ["acme", "globex"]),
        lambda c, d: c.set_group(d, "company", ["acme", "globex"]),
        {"groupKey": "company", "groupId": ["acme", "globex"]},
    ),
    Case(
        "groups.add_group",
        lambda u: u.add_group("company", "acme"),
        lambda c, d: c.add_group(d, "company", "acme"),
        GROUP,
    ),
    Case(
        "groups.remove_group",
        lambda u: u.remove_group("company", "acme"),
        lambda c, d: c.remove_group(d, "company", "acme"),
        GROUP,
    ),
    Case(
        "groups.profile.set",
        lambda u: u.get_group("company", "acme").set({"plan": "enterprise"}),
        lambda c, d: c.get_group(d, "company", "acme").set({"plan": "enterprise"}),
        {**GROUP, "properties": {"plan": "enterprise"}},
    ),
    Case(
        "groups.profile.set_once",
        lambda u: u.get_group("company", "acme").set_once({"founded": 2019}),
        lambda c, d: c.get_group(d, "company", "acme").set_once({"founded": 2019}),
        {**GROUP, "properties": {"founded": 2019}},
    ),
    Case(
        "groups.profile.union",
        lambda u: u.get_group("company", "acme").union("regions", ["eu"]),
        lambda c, d: c.get_group(d, "company", "acme").union("regions", ["eu"]),
        {**GROUP, "listName": "regions", "values": ["eu"]},
    ),
    Case(
        "groups.profile.remove",
        lambda u: u.get_group("company", "acme").remove("regions", "us"),
        lambda c, d: c.get_group(d, "company", "acme").remove("regions", "us"),
        {**GROUP, "listName": "regions", "value": "us"},
    ),
    Case(
        "groups.profile.unset",
        lambda u: u.get_group("company", "acme").unset("trial_ends"),
        lambda c, d: c.get_group(d, "company", "acme").unset("trial_ends"),
        {**GROUP, "property": "trial_ends"},
    ),
    Case(
        "groups.profile.increment",
        lambda u: u.get_group("company", "acme").increment("seats"),
        lambda c, d: c.get_group(d, "company", "acme").increment("seats", value=1),
        {**GROUP, "property": "seats", "value": 1},
    ),
    Case(
        "groups.profile.append",
        lambda u: u.get_group("company", "acme").append("integrations", {"name": "slack"}),
        lambda c, d: c.get_group(d, "company", "acme").append("integrations", {"name": "slack"}),
        {**GROUP, "property": "integrations", "value": {"name": "slack"}},
    ),
    Case(
        "groups.profile.delete",
        lambda u: u.get_group("company", "acme").delete(),
        lambda c, d: c.get_group(d, "company", "acme").delete(),
        GROUP,
    ),
]
# The distinct-id-first form of unset sends two keys (a list), the context form one.
_BODY_OF_FORM = {("people.unset", "client"): {"keys": ["trial_ends", "coupon"]}}

UPSERT_ARGS = {
    "properties": {"plan": "pro"},
    "set_once": {"signup_date": "2026-01-04"},
    "fixed_properties": {"last_location_country": "India"},
}
UPSERT_BODY = {
    "distinctId": "user_42",
    "properties": {"plan": "pro"},
    "setOnce": {"signup_date": "2026-01-04"},
    "fixedProperties": {"last_location_country": "India"},
}


@pytest.fixture(scope="module")
def server() -> Iterator[MockTrodoServer]:
    with MockTrodoServer(site_id=SITE) as mock:
        yield mock


@pytest.fixture
def fresh(server: MockTrodoServer) -> Iterator[MockTrodoServer]:
    server.clear()
    server.clear_faults()
    yield server
    assert server.violations == [], "\n".join(str(v) for v in server.violations)


ClientKind = str  # "sync" or "async"


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> ClientKind:
    return str(request.param)


@pytest.fixture
def make(kind: ClientKind, fresh: MockTrodoServer) -> Iterator[Callable[..., Awaiting]]:
    """Make a client of the parametrised kind on the mock server (shut down after)."""
    made: list[Awaiting] = []
    with asyncio.Runner() as runner:

        def make_client(**options: Any) -> Awaiting:
            cls = trodo.TrodoClient if kind == "sync" else trodo.AsyncTrodoClient
            client = Awaiting(
                cls(SITE, api_base=fresh.url, **options), runner if kind == "async" else None
            )
            made.append(client)
            return client

        yield make_client
        for client in made:
            client.shutdown()


def _expected(case: Case, form: str) -> ProfileUpdate:
    body = {
        "siteId": SITE,
        "userId": "user_42",
        **_BODY_OF_FORM.get((case.operation, form), case.body),
    }
    return ProfileUpdate(case.operation, body)


def _check_result(result: Any, case_operation: str, batched: bool) -> None:
    assert isinstance(result, trodo.WriteResult)
    assert result.operation == case_operation
    assert result.distinct_id == "user_42"
    assert result.status == ("queued" if batched else "sent")


@pytest.mark.parametrize("batched", [False, True], ids=["direct", "batched"])
@pytest.mark.parametrize("case", CASES, ids=[c.operation for c in CASES])
def test_each_operation_on_a_user_context_sends_the_protocol_body(
    make: Callable[..., Awaiting], fresh: MockTrodoServer, case: Case, batched: bool
) -> None:
    client = make(batch_enabled=batched)
    result = case.on_user(client.for_user("user_42"))
    _check_result(result, case.operation, batched)
    if not batched:  # sent before the call returned
        assert fresh.profile_updates == [_expected(case, "user")]
    assert client.flush() is True
    assert fresh.profile_updates == [_expected(case, "user")]
    # None of them registers a session (they name the user, not a session).
    assert fresh.sessions == []


@pytest.mark.parametrize("batched", [False, True], ids=["direct", "batched"])
@pytest.mark.parametrize("case", CASES, ids=[c.operation for c in CASES])
def test_each_operation_distinct_id_first_on_the_client_sends_the_protocol_body(
    make: Callable[..., Awaiting], fresh: MockTrodoServer, case: Case, batched: bool
) -> None:
    client = make(batch_enabled=batched)
    result = case.distinct_id_first(client, "user_42")
    _check_result(result, case.operation, batched)
    assert client.flush() is True
    assert fresh.profile_updates == [_expected(case, "client")]


@pytest.mark.parametrize("batched", [False, True], ids=["direct", "batched"])
@pytest.mark.parametrize("case", CASES, ids=[c.operation for c in CASES])
def test_each_operation_at_module_level_sends_the_protocol_body(
    fresh: MockTrodoServer, default_client: None, case: Case, batched: bool
) -> None:
    trodo.init(SITE, api_base=fresh.url, batch_enabled=batched)
    result = case.distinct_id_first(trodo, "user_42")
    _check_result(result, case.operation, batched)
    assert trodo.flush() is True
    assert fresh.profile_updates == [_expected(case, "client")]


UPSERT_FORMS = {
    "client.upsert_user": lambda c, **kw: c.upsert_user("user_42", **kw),
    "client.users.upsert": lambda c, **kw: c.users.upsert("user_42", **kw),
    "user.upsert": None,  # not a vendor form: the vendor's upsert names the user itself
}


@pytest.mark.parametrize("batched", [False, True], ids=["direct", "batched"])
@pytest.mark.parametrize("form", ["client.upsert_user", "client.users.upsert"])
def test_upsert_user_sends_its_bags_and_no_site_id(
    make: Callable[..., Awaiting], fresh: MockTrodoServer, form: str, batched: bool
) -> None:
    client = make(batch_enabled=batched)
    result = UPSERT_FORMS[form](client, **UPSERT_ARGS)  # type: ignore[misc]
    assert isinstance(result, trodo.UpsertResult)
    assert result.status == ("queued" if batched else "sent")
    assert client.flush() is True
    assert fresh.profile_updates == [ProfileUpdate("users.upsert", UPSERT_BODY)]


@pytest.mark.parametrize("batched", [False, True], ids=["direct", "batched"])
def test_module_upsert_user_sends_its_bags(
    fresh: MockTrodoServer, default_client: None, batched: bool
) -> None:
    trodo.init(SITE, api_base=fresh.url, batch_enabled=batched)
    result = trodo.upsert_user("user_42", **UPSERT_ARGS)  # type: ignore[arg-type]
    assert result.status == ("queued" if batched else "sent")
    assert trodo.flush() is True
    assert fresh.profile_updates == [ProfileUpdate("users.upsert", UPSERT_BODY)]


@pytest.mark.parametrize(
    ("arguments", "body"),
    [
        ({}, {"distinctId": "user_42"}),
        ({"properties": {}}, {"distinctId": "user_42", "properties": {}}),
        (
            {"set_once": None, "fixed_properties": {}},
            {"distinctId": "user_42", "fixedProperties": {}},
        ),
    ],
    ids=["no-bag", "empty-bag", "none-is-left-out"],
)
def test_upsert_leaves_out_bags_not_given_and_sends_empty_ones(
    make: Callable[..., Awaiting], fresh: MockTrodoServer, arguments: dict[str, Any], body: Any
) -> None:
    make().upsert_user("user_42", **arguments)
    assert fresh.profile_updates == [ProfileUpdate("users.upsert", body)]


def test_upsert_with_batching_off_returns_the_typed_response(
    make: Callable[..., Awaiting], fresh: MockTrodoServer
) -> None:
    answer = {
        "success": True,
        "distinctId": "user_42",
        "created": True,
        "applied": {"properties": ["plan"], "fixedProperties": []},
        "skipped": {"fixedProperties": {"browser": "BROWSER_ONLY_PROPERTY"}},
        "fromANewerServer": 1,
    }
    fresh.respond_with(lambda path, body: trodo_answer(answer), path="/api/sdk/users/upsert")
    result = make().upsert_user("user_42", properties={"plan": "pro"})
    assert result.status == "sent"
    response = result.response
    assert response is not None
    assert (response.success, response.distinct_id, response.created) == (True, "user_42", True)
    assert response.applied == {"properties": ["plan"], "fixedProperties": []}
    assert response.skipped == {"fixedProperties": {"browser": "BROWSER_ONLY_PROPERTY"}}
    assert response.body == answer  # the server's JSON as it came, unknown fields included


def test_upsert_with_batching_on_is_queued_without_a_response(
    make: Callable[..., Awaiting], fresh: MockTrodoServer
) -> None:
    result = make(batch_enabled=True).upsert_user("user_42")
    assert (result.status, result.response) == ("queued", None)


@pytest.mark.parametrize(
    "answer",
    [{"applied": ["plan"], "created": "yes"}, {"applied": 5}, {"skipped": None}, []],
    ids=["applied-a-list", "applied-a-number", "skipped-null", "not-an-object"],
)
def test_upsert_answered_with_an_unexpected_body_still_counts_as_sent(
    make: Callable[..., Awaiting], fresh: MockTrodoServer, answer: Any
) -> None:
    # The generated parser raises on these (ValueError, TypeError): Trodo accepted them.
    fresh.respond_with(lambda path, body: trodo_answer(answer), path="/api/sdk/users/upsert")
    client = make()
    result = client.upsert_user("user_42")
    assert result.status == "sent"
    assert client.stats().dropped_total == 0


def trodo_answer(body: Any) -> Any:
    from trodo.testing import Answer

    return Answer(200, body)


def test_every_write_is_defined_once_with_one_wire_entry_and_a_case_here() -> None:
    from trodo._core.writes import WRITES
    from trodo._wire.writes import WRITE_ENDPOINTS

    assert list(WRITE_ENDPOINTS) == list(WRITES)
    names = [write.name for write in WRITES]
    assert len(set(names)) == len(names) == 22
    assert {c.operation for c in CASES} | {"users.upsert"} == set(names)
