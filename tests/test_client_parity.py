"""What TrodoClient and AsyncTrodoClient do alike, checked on both through the mock server.

Each test runs once per client. The async client is driven through
:class:`Blocking`, which waits for its coroutines on one event loop that
lives as long as the test, so one test body documents both clients.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import trodo
from trodo.testing import MockTrodoServer

from .delivery_support import trodo_warnings


class Blocking:
    """A client or user context whose coroutine results are awaited on one loop.

    ``Blocking(client, runner).for_user("u").track("e")`` is
    ``await client.for_user("u").track("e")`` for the async client and a
    plain call for the sync one; contexts come back wrapped too.
    """

    def __init__(self, target: Any, runner: asyncio.Runner) -> None:
        self._target = target
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            if inspect.isawaitable(result):
                result = self._runner.run(_awaited(result))
            if isinstance(result, trodo.UserContext | trodo.AsyncUserContext):
                return Blocking(result, self._runner)
            return result

        return call


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


Make = Callable[..., Any]


@pytest.fixture
def server(trodo_server: MockTrodoServer) -> MockTrodoServer:
    """The plugin's mock server (a test that sent an invalid request fails), merging on identify."""
    trodo_server.merge_on_identify = True
    return trodo_server


@pytest.fixture(params=["TrodoClient", "AsyncTrodoClient"])
def make(request: pytest.FixtureRequest, server: MockTrodoServer) -> Iterator[Make]:
    """Make a client of the parametrised kind, pointed at the mock server."""
    kind = getattr(trodo, request.param)
    made: list[Blocking] = []
    with asyncio.Runner() as runner:

        def make_client(**options: Any) -> Blocking:
            client = Blocking(kind(server.site_id, api_base=server.url, **options), runner)
            made.append(client)
            return client

        yield make_client
        for client in made:
            client.shutdown()


def names(server: MockTrodoServer) -> list[str]:
    return [event["event_name"] for event in server.events]


# -- sessions ---------------------------------------------------------------------------


@pytest.mark.parametrize("batch_enabled", [False, True])
def test_a_users_session_is_registered_once_before_its_events(
    make: Make, server: MockTrodoServer, batch_enabled: bool
) -> None:
    client = make(batch_enabled=batch_enabled)
    user = client.for_user("user_42")
    for name in ("signed_up", "plan_chosen", "paid"):
        user.track(name)
    assert client.flush(timeout=5)
    [session] = server.sessions
    assert session["distinct_id"] == "user_42"
    assert session["is_server_session"] is True
    assert names(server) == ["signed_up", "plan_chosen", "paid"]
    assert {e["session_id"] for e in server.events} == {session["session_id"]}
    assert server.requests[0].path == "/api/sdk/track"


def test_the_browsers_session_id_is_used_when_given(make: Make, server: MockTrodoServer) -> None:
    client = make()
    client.for_user("user_42", session_id="browser-session-1").track("checkout")
    assert [s["session_id"] for s in server.sessions] == ["browser-session-1"]
    assert server.events[0]["session_id"] == "browser-session-1"


def test_identify_merge_moves_the_context_to_the_new_id_and_keeps_its_session(
    make: Make, server: MockTrodoServer
) -> None:
    client = make()
    user = client.for_user("anon_1")
    result = user.identify("db_1001")
    user.track("after_identify")
    assert result == trodo.IdentifyResult(ok=True, distinct_id="db_1001", merged=True)
    assert user.get_current_distinct_id() == "db_1001"
    assert client.for_user("db_1001").get_session_id() == user.get_session_id()
    [call] = server.identifies
    assert (call["distinctId"], call["identifyId"]) == ("anon_1", "db_1001")
    assert server.events[0]["user_id"] == "db_1001"
    assert len(server.sessions) == 1


def test_reset_forgets_the_session_and_the_next_call_registers_a_new_one(
    make: Make, server: MockTrodoServer
) -> None:
    client = make()
    user = client.for_user("user_42")
    user.track("before")
    first = user.get_session_id()
    assert user.reset() is True
    user.track("after")
    assert [r["sessionId"] for r in server.resets] == [first]
    assert [s["session_id"] for s in server.sessions] == [first, user.get_session_id()]
    assert user.get_session_id() != first


def test_wallet_address_is_sent_on_the_registered_session(
    make: Make, server: MockTrodoServer
) -> None:
    client = make()
    assert client.wallet_address("user_42", "0x5290") is True
    [call] = server.wallet_addresses
    assert call["walletAddress"] == "0x5290"
    assert call["sessionId"] == server.sessions[0]["session_id"]


def test_capture_error_sends_a_server_error_event_with_the_stack(
    make: Make, server: MockTrodoServer
) -> None:
    client = make()
    try:
        raise ValueError("card declined")
    except ValueError as exc:
        error = exc
    client.capture_error("user_42", error, "warning")
    [event] = server.events
    assert (event["event_type"], event["event_name"], event["event_category"]) == (
        "auto",
        "server_error",
        "error",
    )
    props = event["custom_properties"]
    assert (props["error_type"], props["message"], props["severity"]) == (
        "ValueError",
        "card declined",
        "warning",
    )
    assert "raise ValueError" in props["stack"]


# -- wrong use raises at the call site ---------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda user: user.track(""), ValueError),
        (lambda user: user.track("e", ["not", "a", "mapping"]), TypeError),
        (lambda user: user.track("e", {"when": object()}), TypeError),
        (lambda user: user.capture_error(ValueError("x"), severity="fatal"), ValueError),
        (lambda user: user.identify(""), ValueError),
        (lambda user: user.wallet_address(""), ValueError),
    ],
)
@pytest.mark.parametrize("batch_enabled", [False, True])
def test_wrong_use_raises_and_nothing_is_sent(
    make: Make,
    server: MockTrodoServer,
    call: Callable[[Any], Any],
    error: type[Exception],
    batch_enabled: bool,
) -> None:
    client = make(batch_enabled=batch_enabled)
    with pytest.raises(error):
        call(client.for_user("user_42"))
    assert client.flush(timeout=5)
    assert server.requests == []
    assert client.stats().queued == 0


# -- batching ------------------------------------------------------------------------------


def test_batching_delivers_every_event_in_order_in_bulk_requests(
    make: Make, server: MockTrodoServer
) -> None:
    client = make(batch_enabled=True, batch_size=50)
    user = client.for_user("user_42")
    for i in range(120):
        user.track(f"event_{i}")
    assert client.flush(timeout=5) is True
    assert names(server) == [f"event_{i}" for i in range(120)]
    assert {r.path for r in server.requests} == {"/api/sdk/track", "/api/events/bulk"}
    stats = client.stats()
    assert (stats.sent, stats.queued, stats.in_flight) == (120, 0, 0)


def test_flush_returns_false_when_its_timeout_passes_first(
    make: Make, server: MockTrodoServer
) -> None:
    client = make(batch_enabled=True)
    server.delay_next(1.0, path="/api/events/bulk")
    client.track("user_42", "slow")
    assert client.flush(timeout=0.2) is False
    assert client.flush(timeout=5) is True
    assert names(server) == ["slow"]


def test_shutdown_delivers_what_is_queued(make: Make, server: MockTrodoServer) -> None:
    client = make(batch_enabled=True, batch_flush_interval=60.0)
    client.track("user_42", "queued")
    client.shutdown()
    assert names(server) == ["queued"]


def test_shutdown_gives_up_what_is_undelivered_when_its_timeout_passes(
    make: Make, server: MockTrodoServer
) -> None:
    lost: list[trodo.DeliveryError] = []
    client = make(batch_enabled=True, on_error=lost.append)
    server.delay_next(2.0, path="/api/events/bulk")
    client.track("user_42", "stuck")
    client.shutdown(timeout=0.3)
    assert client.stats().dropped == {"shutdown": 1}
    assert [(e.reason, [x.event_name for x in e.events]) for e in lost] == [
        (trodo.DropReason.SHUTDOWN, ["stuck"])
    ]


@pytest.mark.parametrize("batch_enabled", [False, True])
def test_events_tracked_after_shutdown_are_dropped_and_reported(
    make: Make, server: MockTrodoServer, batch_enabled: bool
) -> None:
    lost: list[trodo.DeliveryError] = []
    client = make(batch_enabled=batch_enabled, on_error=lost.append)
    client.shutdown()
    client.track("user_42", "too_late")
    assert server.events == []
    assert client.stats().dropped == {"shutdown": 1}
    assert [e.reason for e in lost] == [trodo.DropReason.SHUTDOWN]


# -- failures: retried, counted, reported ----------------------------------------------


@pytest.mark.parametrize("batch_enabled", [False, True])
def test_transient_failures_are_retried_and_counted(
    make: Make, server: MockTrodoServer, batch_enabled: bool
) -> None:
    client = make(batch_enabled=batch_enabled, retries=2)
    client.for_user("user_42").track("warm_up")  # registers the session
    assert client.flush(timeout=5)
    server.fail_next(2, status=503)
    client.track("user_42", "retried")
    assert client.flush(timeout=10) is True
    assert names(server) == ["warm_up", "retried"]
    stats = client.stats()
    assert (stats.sent, stats.retried, stats.dropped_total) == (2, 2, 0)


@pytest.mark.parametrize("batch_enabled", [False, True])
def test_a_rejected_event_goes_to_on_error_with_the_event(
    make: Make, server: MockTrodoServer, batch_enabled: bool
) -> None:
    lost: list[trodo.DeliveryError] = []
    client = make(batch_enabled=batch_enabled, on_error=lost.append)
    path = "/api/events/bulk" if batch_enabled else "/api/events"
    server.fail_next(status=400, path=path)
    client.track("user_42", "malformed", {"plan": "pro"})
    assert client.flush(timeout=5) is False  # in both modes: an event was given up
    [error] = lost
    assert error.reason is trodo.DropReason.REJECTED
    assert [(e.event_name, e.properties) for e in error.events] == [("malformed", {"plan": "pro"})]
    assert client.stats().dropped == {"rejected": 1}


def test_an_unknown_site_id_drops_events_as_unauthorized(
    make: Make, server: MockTrodoServer
) -> None:
    client = make(batch_enabled=True)  # with the site id "test-site"
    server.check_site_id = True
    server.site_id = "the-real-site"
    with trodo_warnings() as said:
        client.track("user_42", "nobody_listens")
        assert client.flush(timeout=5) is False
    assert client.stats().dropped == {"unauthorized": 1}
    [warning] = said  # seen by default, without any logging set up
    assert "does not accept site id" in warning


def test_identify_that_fails_for_good_returns_not_ok_instead_of_raising(
    make: Make, server: MockTrodoServer
) -> None:
    lost: list[trodo.DeliveryError] = []
    client = make(retries=0, on_error=lost.append)
    server.fail_next(status=503, path="/api/sdk/identify")
    result = client.for_user("anon_1").identify("db_1001")
    assert result == trodo.IdentifyResult(ok=False, distinct_id="anon_1", merged=False)
    assert [(e.operation, e.reason) for e in lost] == [("identify", trodo.DropReason.GAVE_UP)]
