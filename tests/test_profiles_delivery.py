"""Profile, group and upsert writes are delivered like events: queued in order with the
user's events when batching is on, sent before the call returns when it is off, retried,
bounded and reported the same way. Against the mock Trodo server on a real socket.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import trodo
from trodo.testing import MockTrodoServer, ProfileUpdate

from .delivery_support import PATIENCE, ErrorLog, Gate

QUIET = {"batch_enabled": True, "batch_size": 1000, "batch_flush_interval": 60.0}
PEOPLE_SET = "/api/sdk/people/set"


@pytest.fixture
def gate(trodo_server: MockTrodoServer) -> Iterator[Gate]:
    held = Gate()
    trodo_server.respond_with(held)
    yield held
    held.open()


def _kinds(server: MockTrodoServer) -> list[str]:
    """What the server accepted, in arrival order: event names and profile operations."""
    out: list[str] = []
    for request in server.requests:
        if not request.accepted:
            continue
        out.extend(e["event_name"] for e in request.events)
        if request.profile_update is not None:
            out.append(request.profile_update.operation)
    return out


# -- batching on -----------------------------------------------------------------------------


def test_a_profile_write_returns_while_the_server_answers_nothing(
    trodo_server: MockTrodoServer, gate: Gate
) -> None:
    client = trodo_server.client(batch_enabled=True, batch_flush_interval=0.01)
    done = threading.Event()

    def write() -> None:
        user = client.for_user("user_42")
        user.people.set({"plan": "pro"})
        user.get_group("company", "acme").set({"size": 10})
        client.upsert_user("user_42", properties={"plan": "pro"})
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(PATIENCE)
    gate.wait_held()  # the sender's first request is in the server, unanswered
    assert trodo_server.requests == []
    gate.open()
    assert client.flush(PATIENCE)
    assert [u.operation for u in trodo_server.profile_updates] == [
        "people.set",
        "groups.profile.set",
        "users.upsert",
    ]


def test_profile_writes_are_sent_in_call_order_with_the_users_events(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(**QUIET)
    user = client.for_user("user_42")
    user.track("signed_up")
    user.track("opened_app")
    user.people.set({"plan": "free"})
    user.track("upgraded")
    user.people.set({"plan": "pro"})
    user.add_group("company", "acme")
    user.track("invited")
    assert client.flush(PATIENCE)
    assert _kinds(trodo_server) == [
        "signed_up",
        "opened_app",
        "people.set",
        "upgraded",
        "people.set",
        "groups.add_group",
        "invited",
    ]
    sets = [
        u.body["properties"] for u in trodo_server.profile_updates if u.operation == "people.set"
    ]
    assert sets == [{"plan": "free"}, {"plan": "pro"}]
    # Events around a write still travel in bulk: one request for the first two.
    assert [len(r.events) for r in trodo_server.requests if r.events] == [2, 1, 1]


def test_each_profile_write_is_one_request_of_its_own(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client(**QUIET)
    for i in range(5):
        client.people_increment("user_42", "logins", i)
    assert client.flush(PATIENCE)
    paths = [r.path for r in trodo_server.requests]
    assert paths == ["/api/sdk/people/increment"] * 5
    assert [u.body["amount"] for u in trodo_server.profile_updates] == [0, 1, 2, 3, 4]


def test_a_batched_write_is_retried_after_a_transient_failure(
    trodo_server: MockTrodoServer,
) -> None:
    errors = ErrorLog()
    client = trodo_server.client(**QUIET, on_error=errors)
    trodo_server.fail_next(2, status=503, path=PEOPLE_SET)
    client.people_set("user_42", {"plan": "pro"})
    assert client.flush(PATIENCE)
    assert [r.status for r in trodo_server.requests] == [503, 503, 200]
    assert len(trodo_server.profile_updates) == 1
    assert client.stats().retried == 2
    assert errors.errors == []


def test_a_write_waiting_for_its_retry_holds_back_the_users_later_events(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(**QUIET)
    trodo_server.fail_next(1, status=503, path=PEOPLE_SET)
    user = client.for_user("user_42")
    user.people.set({"plan": "pro"})
    user.track("after_the_write")
    assert client.flush(PATIENCE)
    assert _kinds(trodo_server) == ["people.set", "after_the_write"]


def test_a_413_gives_up_a_single_write_as_too_large_without_splitting(
    trodo_server: MockTrodoServer,
) -> None:
    errors = ErrorLog()
    client = trodo_server.client(**QUIET, on_error=errors)
    trodo_server.fail_next(status=413, path=PEOPLE_SET)
    user = client.for_user("user_42")
    user.people.set({"essay": "x" * 1000})
    user.track("still_delivered")
    assert client.flush(PATIENCE) is False
    assert [r.path for r in trodo_server.requests if r.path == PEOPLE_SET] == [PEOPLE_SET]
    [error] = errors.errors
    assert (error.reason, error.operation, error.count) == ("too_large", "people.set", 1)
    assert error.events == ()
    [lost] = error.writes
    assert (lost.operation, lost.distinct_id) == ("people.set", "user_42")
    assert lost.arguments["properties"] == {"essay": "x" * 1000}
    assert _kinds(trodo_server) == ["still_delivered"]
    assert client.stats().dropped == {"too_large": 1}


def test_a_rejected_batched_write_is_reported_and_the_rest_delivered(
    trodo_server: MockTrodoServer,
) -> None:
    errors = ErrorLog()
    client = trodo_server.client(**QUIET, on_error=errors)
    trodo_server.fail_next(status=400, path="/api/sdk/groups/add_group")
    client.add_group("user_42", "company", "acme")
    client.people_set("user_42", {"plan": "pro"})
    assert client.flush(PATIENCE) is False
    assert errors.reasons() == ["rejected"]
    assert errors.errors[0].operation == "groups.add_group"
    assert [u.operation for u in trodo_server.profile_updates] == ["people.set"]


@pytest.mark.parametrize("batched", [False, True], ids=["direct", "batched"])
def test_a_write_after_shutdown_is_dropped_reported_and_never_raises(
    trodo_server: MockTrodoServer, batched: bool
) -> None:
    errors = ErrorLog()
    client = trodo_server.client(batch_enabled=batched, on_error=errors)
    client.shutdown()
    result = client.people_set("user_42", {"plan": "pro"})
    assert (result.status, result.reason) == ("dropped", "shutdown")
    assert errors.reasons() == ["shutdown"]
    assert errors.errors[0].operation == "people.set"
    assert "after shutdown()" in errors.errors[0].detail
    assert trodo_server.requests == []


def test_a_full_queue_drops_profile_writes_as_queue_full(
    trodo_server: MockTrodoServer, gate: Gate
) -> None:
    errors = ErrorLog()
    client = trodo_server.client(
        batch_enabled=True,
        batch_size=1,
        max_queue_size=2,
        batch_flush_interval=0.01,
        on_error=errors,
    )
    client.people_set("user_42", {"n": 1})
    gate.wait_held()  # the first write is in flight
    client.people_set("user_42", {"n": 2})
    result = client.people_set("user_42", {"n": 3})
    assert (result.status, result.reason) == ("dropped", "queue_full")
    assert errors.reasons() == ["queue_full"]
    gate.open()
    assert client.flush(PATIENCE)
    assert [u.body["properties"] for u in trodo_server.profile_updates] == [{"n": 1}, {"n": 2}]


def test_stats_count_profile_writes_beside_events(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client(**QUIET)
    client.track("user_42", "signed_up")
    client.people_set("user_42", {"plan": "pro"})
    assert client.stats().queued == 2
    assert client.flush(PATIENCE)
    stats = client.stats()
    assert (stats.sent, stats.queued, stats.dropped_total) == (2, 0, 0)


def test_shutdown_delivers_queued_writes(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client(**QUIET)
    client.upsert_user("user_42", properties={"plan": "pro"})
    client.shutdown()
    assert [u.operation for u in trodo_server.profile_updates] == ["users.upsert"]


# -- batching off ----------------------------------------------------------------------------


def test_a_direct_write_is_retried_before_the_call_returns(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client()
    trodo_server.fail_next(1, status=503, path=PEOPLE_SET)
    result = client.people_set("user_42", {"plan": "pro"})
    assert result.status == "sent"
    assert [r.status for r in trodo_server.requests] == [503, 200]


def test_a_failed_direct_write_is_reported_never_raised(trodo_server: MockTrodoServer) -> None:
    errors = ErrorLog()
    client = trodo_server.client(on_error=errors, retries=0)
    trodo_server.fail_next(status=400, path="/api/sdk/groups/profile/delete")
    result = client.get_group("user_42", "company", "acme").delete()
    assert (result.status, result.reason) == ("dropped", "rejected")
    [error] = errors.errors
    assert (error.reason, error.operation, error.count) == ("rejected", "groups.profile.delete", 1)
    assert client.stats().dropped == {"rejected": 1}


def test_a_direct_write_to_a_server_that_is_gone_is_reported(
    trodo_server: MockTrodoServer,
) -> None:
    errors = ErrorLog()
    client = trodo.TrodoClient(
        "site", api_base="http://127.0.0.1:9", retries=0, timeout=2.0, on_error=errors
    )
    try:
        result = client.upsert_user("user_42")
        assert (result.status, result.reason, result.response) == ("dropped", "gave_up", None)
        assert errors.reasons() == ["gave_up"]
    finally:
        client.shutdown()


# -- identity --------------------------------------------------------------------------------


@pytest.mark.parametrize("batched", [False, True], ids=["direct", "batched"])
def test_after_an_identify_merge_profile_writes_use_the_merged_id(
    trodo_server: MockTrodoServer, batched: bool
) -> None:
    trodo_server.merge_on_identify = True
    client = trodo_server.client(batch_enabled=batched)
    user = client.for_user("anon_7f3e")
    assert user.identify("db_user_1001").merged
    user.people.set({"plan": "pro"})
    client.people_set("anon_7f3e", {"via": "old id"})  # the same context, now merged
    user.get_group("company", "acme").set({"size": 3})
    client.upsert_user("db_user_1001")
    assert client.flush(PATIENCE)
    users = [u.user_id for u in trodo_server.profile_updates]
    assert users == ["db_user_1001"] * 4


def test_a_write_queued_before_a_merge_keeps_the_id_it_was_made_for(
    trodo_server: MockTrodoServer,
) -> None:
    trodo_server.merge_on_identify = True
    client = trodo_server.client(**QUIET)
    user = client.for_user("anon_7f3e")
    user.people.set_once({"first_seen": "today"})
    user.identify("db_user_1001")
    user.people.set({"plan": "pro"})
    assert client.flush(PATIENCE)
    assert trodo_server.profile_updates == [
        ProfileUpdate(
            "people.set_once",
            {
                "siteId": client.site_id,
                "userId": "anon_7f3e",
                "properties": {"first_seen": "today"},
            },
        ),
        ProfileUpdate(
            "people.set",
            {"siteId": client.site_id, "userId": "db_user_1001", "properties": {"plan": "pro"}},
        ),
    ]


def test_the_async_client_queues_writes_in_call_order_with_the_events(
    trodo_server: MockTrodoServer,
) -> None:
    import asyncio

    async def scenario() -> None:
        async with trodo.AsyncTrodoClient(
            trodo_server.site_id, api_base=trodo_server.url, **QUIET
        ) as client:
            user = client.for_user("user_42")
            await user.track("signed_up")
            assert (await user.people.set({"plan": "pro"})).status == "queued"
            await user.track("upgraded")
            assert await client.flush(PATIENCE)

    asyncio.run(scenario())
    assert _kinds(trodo_server) == ["signed_up", "people.set", "upgraded"]
