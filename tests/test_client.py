"""TrodoClient and UserContext against the mock Trodo server, on a real socket.

Every request here is validated against openapi/trodo.yaml by the
``trodo_server`` fixture: a test that sent anything the API would reject fails.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from typing import Any

import pytest

import trodo
from trodo import DeliveryError, DropReason
from trodo.testing import MockTrodoServer


def _raise_and_return(error: Exception) -> Exception:
    try:
        raise error
    except Exception as caught:
        return caught


# -- events -------------------------------------------------------------------------


def test_track_sends_the_protocol_event_with_defaults(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client()
    before = time.time()
    client.track("user_42", "purchase_completed", {"amount": 49.5})
    [event] = trodo_server.events
    assert {k: v for k, v in event.items() if k != "timestamp"} == {
        "event_type": "custom",
        "event_name": "purchase_completed",
        "event_category": "custom",
        "session_id": client.for_user("user_42").get_session_id(),
        "user_id": "user_42",
        "custom_properties": {"amount": 49.5},
        "page_data": None,
        "auto_event_data": None,
        "element_data": None,
        "override_data": None,
    }
    sent_at = dt.datetime.fromisoformat(event["timestamp"]).timestamp()
    assert before <= sent_at <= time.time()


def test_track_without_properties_sends_an_empty_object(trodo_server: MockTrodoServer) -> None:
    trodo_server.client().track("user_42", "signed_up")
    assert trodo_server.events[0]["custom_properties"] == {}


def test_category_is_the_third_positional_argument(trodo_server: MockTrodoServer) -> None:
    trodo_server.client().for_user("user_42").track("refund", {"amount": 5}, "billing")
    assert trodo_server.events[0]["event_category"] == "billing"


def test_track_event_is_track(trodo_server: MockTrodoServer) -> None:
    trodo_server.client().for_user("user_42").track_event("viewed", None, "content")
    assert [(e["event_name"], e["event_category"]) for e in trodo_server.events] == [
        ("viewed", "content")
    ]


def test_an_explicit_timestamp_is_sent_in_utc(trodo_server: MockTrodoServer) -> None:
    when = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    trodo_server.client().track("user_42", "imported", timestamp=when)
    sent = dt.datetime.fromisoformat(trodo_server.events[0]["timestamp"])
    assert sent == when
    assert sent.utcoffset() == dt.timedelta(0)


def test_properties_are_sent_in_their_converted_json_form(trodo_server: MockTrodoServer) -> None:
    order = uuid.UUID("6f1c2a8e-3b0d-4f5e-9a7c-1d2e3f4a5b6c")
    trodo_server.client().track(
        "user_42", "ordered", {"order": order, "tags": ("a", "b"), "ratio": float("nan")}
    )
    assert trodo_server.events[0]["custom_properties"] == {
        "order": str(order),
        "tags": ["a", "b"],
        "ratio": None,
    }


# -- sessions -------------------------------------------------------------------------


def test_session_is_registered_once_before_the_users_first_event(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client()
    client.track("user_42", "a")
    client.track("user_42", "b")
    assert [r.path for r in trodo_server.requests] == [
        "/api/sdk/track",
        "/api/events",
        "/api/events",
    ]
    [session] = trodo_server.sessions
    assert session["session_id"] == client.for_user("user_42").get_session_id()
    assert (session["user_id"], session["distinct_id"], session["site_id"]) == (
        "user_42",
        "user_42",
        trodo_server.site_id,
    )
    assert (session["referrer"], session["device_type"], session["is_server_session"]) == (
        "server",
        "server",
        True,
    )


def test_a_new_session_id_is_a_uuid4(trodo_server: MockTrodoServer) -> None:
    session_id = trodo_server.client().for_user("user_42").get_session_id()
    assert uuid.UUID(session_id).version == 4


def test_the_browsers_session_id_is_used_when_given(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client()
    client.for_user("user_42", session_id="browser-session-1").track("checkout")
    assert trodo_server.sessions[0]["session_id"] == "browser-session-1"
    assert trodo_server.events[0]["session_id"] == "browser-session-1"


def test_a_different_browser_session_switches_the_cached_context(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client()
    client.for_user("user_42", session_id="tab-1").track("a")
    client.for_user("user_42", session_id="tab-2").track("b")
    assert [s["session_id"] for s in trodo_server.sessions] == ["tab-1", "tab-2"]
    assert [e["session_id"] for e in trodo_server.events] == ["tab-1", "tab-2"]


def test_fifty_threads_first_calling_for_one_user_register_one_session(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client()
    user = client.for_user("user_42")
    start = threading.Barrier(50)

    def first_call(i: int) -> None:
        start.wait()
        user.track("hit", {"i": i})

    threads = [threading.Thread(target=first_call, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(trodo_server.sessions) == 1
    assert sorted(e["custom_properties"]["i"] for e in trodo_server.events) == list(range(50))


def test_a_failed_registration_sends_nothing_and_is_tried_again_at_the_next_use(
    trodo_server: MockTrodoServer,
) -> None:
    errors: list[DeliveryError] = []
    client = trodo_server.client(retries=0, on_error=errors.append)
    trodo_server.fail_next(status=503, path="/api/sdk/track")
    client.track("user_42", "lost")
    assert trodo_server.events == []
    assert [(e.reason, e.operation, e.count) for e in errors] == [(DropReason.GAVE_UP, "track", 1)]
    client.track("user_42", "kept")
    assert [r.path for r in trodo_server.requests if r.accepted] == [
        "/api/sdk/track",
        "/api/events",
    ]
    assert [e["event_name"] for e in trodo_server.events] == ["kept"]


def test_contexts_are_cached_per_distinct_id(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client()
    assert client.for_user("user_42") is client.for_user("user_42")
    assert client.for_user("user_42") is not client.for_user("user_43")


def test_the_context_cache_evicts_the_least_recently_used_user(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(max_cached_users=2)
    first, second = client.for_user("a"), client.for_user("b")
    assert client.for_user("a") is first  # "a" is now the most recent
    client.for_user("c")
    assert client.for_user("a") is first
    assert client.for_user("b") is not second


# -- identify, reset, wallet address ----------------------------------------------------


def test_identify_registers_the_session_then_posts_the_camel_case_body(
    trodo_server: MockTrodoServer,
) -> None:
    user = trodo_server.client().for_user("anon_1")
    result = user.identify("db_1001")
    assert (result.ok, result.merged, result.distinct_id) == (True, False, "anon_1")
    assert [r.path for r in trodo_server.requests] == ["/api/sdk/track", "/api/sdk/identify"]
    assert trodo_server.identifies == [
        {
            "siteId": trodo_server.site_id,
            "sessionId": user.get_session_id(),
            "userId": "anon_1",
            "distinctId": "anon_1",
            "identifyId": "db_1001",
        }
    ]


def test_an_identify_merge_moves_the_context_to_the_new_id_and_keeps_the_session(
    trodo_server: MockTrodoServer,
) -> None:
    trodo_server.merge_on_identify = True
    client = trodo_server.client()
    user = client.for_user("anon_1")
    session_id = user.get_session_id()
    result = user.identify("db_1001")
    user.track("after")
    assert (result.ok, result.merged, result.distinct_id) == (True, True, "db_1001")
    assert user.get_current_distinct_id() == "db_1001"
    assert user.get_session_id() == session_id
    assert client.for_user("db_1001") is user
    assert trodo_server.events[0]["user_id"] == "db_1001"
    assert len(trodo_server.sessions) == 1


def test_identify_at_module_level_returns_the_users_context(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    trodo.init(site_id=trodo_server.site_id, api_base=trodo_server.url)
    user = trodo.identify("db_1001", session_id="browser-9")
    assert isinstance(user, trodo.UserContext)
    assert user.get_session_id() == "browser-9"
    assert trodo_server.identifies[0]["identifyId"] == "db_1001"


def test_reset_posts_and_the_next_call_registers_a_fresh_session(
    trodo_server: MockTrodoServer,
) -> None:
    user = trodo_server.client().for_user("user_42")
    user.track("before")
    old = user.get_session_id()
    assert user.reset() is True
    user.track("after")
    new = user.get_session_id()
    assert new != old
    assert trodo_server.resets == [
        {
            "siteId": trodo_server.site_id,
            "sessionId": old,
            "userId": "user_42",
            "distinctId": "user_42",
        }
    ]
    assert [s["session_id"] for s in trodo_server.sessions] == [old, new]
    assert [e["session_id"] for e in trodo_server.events] == [old, new]


def test_wallet_address_registers_the_session_then_posts(trodo_server: MockTrodoServer) -> None:
    user = trodo_server.client().for_user("user_42")
    assert user.wallet_address("0xabc") is True
    assert [r.path for r in trodo_server.requests] == [
        "/api/sdk/track",
        "/api/sdk/wallet-address",
    ]
    assert trodo_server.wallet_addresses[0]["walletAddress"] == "0xabc"


def test_failed_identify_returns_not_ok_and_reports_without_raising(
    trodo_server: MockTrodoServer,
) -> None:
    errors: list[DeliveryError] = []
    user = trodo_server.client(on_error=errors.append).for_user("user_42")
    trodo_server.fail_next(status=400, path="/api/sdk/identify")
    result = user.identify("db_1")
    assert (result.ok, result.merged) == (False, False)
    assert [(e.operation, e.reason) for e in errors] == [("identify", DropReason.REJECTED)]


# -- captured errors -----------------------------------------------------------------------


def test_capture_error_sends_a_server_error_event_with_the_exceptions_own_stack(
    trodo_server: MockTrodoServer,
) -> None:
    error = _raise_and_return(ValueError("card declined"))
    # Outside the except block: the stack must come from the traceback.
    trodo_server.client().capture_error("user_42", error, severity="warning")
    [event] = trodo_server.events
    assert (event["event_type"], event["event_name"], event["event_category"]) == (
        "auto",
        "server_error",
        "error",
    )
    props = event["custom_properties"]
    assert (props["error_type"], props["message"], props["runtime"], props["severity"]) == (
        "ValueError",
        "card declined",
        "python",
        "warning",
    )
    assert "_raise_and_return" in props["stack"]
    assert props["stack"].endswith("ValueError: card declined\n")
    dt.datetime.fromisoformat(props["timestamp"])


def test_capture_error_severity_defaults_to_error(trodo_server: MockTrodoServer) -> None:
    trodo_server.client().for_user("u").capture_error(RuntimeError("x"))
    assert trodo_server.events[0]["custom_properties"]["severity"] == "error"


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda c: c.track("", "e"), ValueError, "distinct_id"),
        # An int is a distinct id (tests/test_profiles_validation.py); a bool is not.
        (lambda c: c.track(True, "e"), TypeError, "distinct_id"),
        (lambda c: c.track("u", ""), ValueError, "event_name"),
        (lambda c: c.track("u", "e", ["not", "a", "dict"]), TypeError, "properties"),
        (lambda c: c.track("u", "e", {"when": object()}), TypeError, r"properties\['when'\]"),
        (lambda c: c.track("u", "e", timestamp=dt.datetime(2026, 1, 1)), ValueError, "aware"),
        (lambda c: c.for_user("u").identify(""), ValueError, "identify_id"),
        (lambda c: c.wallet_address("u", ""), ValueError, "address"),
        (lambda c: c.capture_error("u", RuntimeError(), "fatal"), ValueError, "severity"),
        (lambda c: c.capture_error("u", "not an exception"), TypeError, "error"),
    ],
)
def test_bad_input_raises_at_the_call_site_and_sends_nothing(
    trodo_server: MockTrodoServer, call: Any, error: type[Exception], message: str
) -> None:
    client = trodo_server.client()
    with pytest.raises(error, match=message):
        call(client)
    assert trodo_server.requests == []


def test_bad_input_with_batching_on_leaves_what_was_already_accepted(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(batch_enabled=True)
    client.track("u", "good")
    with pytest.raises(TypeError):
        client.track("u", "bad", {"x": object()})
    assert client.flush(10) is True
    assert [e["event_name"] for e in trodo_server.events] == ["good"]


# -- failures, logs, identity of the client ------------------------------------------------


def test_server_faults_never_raise_and_reach_on_error_and_the_logger(
    trodo_server: MockTrodoServer, caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[DeliveryError] = []
    client = trodo_server.client(retries=1, on_error=errors.append)
    client.track("user_42", "registered")
    trodo_server.fail_next(2, status=500, path="/api/events")
    with caplog.at_level(logging.WARNING, logger="trodo"):
        client.track("user_42", "lost", {"n": 1})
    [error] = errors
    assert (error.reason, error.operation, error.count, error.detail[:8]) == (
        DropReason.GAVE_UP,
        "track",
        1,
        "HTTP 500",
    )
    assert [(e.event_name, e.properties) for e in error.events] == [("lost", {"n": 1})]
    assert any("could not deliver 1 event" in r.getMessage() for r in caplog.records)
    assert client.stats().dropped == {"gave_up": 1}


def test_an_unreachable_server_never_raises_into_the_caller() -> None:
    errors: list[DeliveryError] = []
    # Nothing listens on port 9 of localhost: the connection is refused.
    client = trodo.TrodoClient(
        "site_1", api_base="http://127.0.0.1:9", retries=0, on_error=errors.append
    )
    client.track("user_42", "lost")
    assert client.for_user("user_42").identify("db_1").ok is False
    assert [(e.operation, e.reason) for e in errors] == [
        ("track", DropReason.GAVE_UP),
        ("identify", DropReason.GAVE_UP),
    ]
    client.shutdown()


def test_a_raising_on_error_callback_is_logged_not_propagated(
    trodo_server: MockTrodoServer, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(error: DeliveryError) -> None:
        raise RuntimeError("callback bug")

    client = trodo_server.client(retries=0, on_error=broken)
    trodo_server.fail_next(status=503, path="/api/sdk/track")
    client.track("user_42", "lost")
    assert any("on_error callback raised" in r.getMessage() for r in caplog.records)


def test_debug_logs_every_request_and_answer_with_the_site_id_masked(
    trodo_server: MockTrodoServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = trodo_server.client(debug=True)
    with caplog.at_level(logging.DEBUG, logger="trodo"):
        client.track("user_42", "signed_up")
    lines = [r.getMessage() for r in caplog.records if r.name == "trodo"]
    assert [line.split(" ")[1:3] for line in lines] == [
        ["->", "POST"],
        ["<-", "200"],
        ["->", "POST"],
        ["<-", "200"],
    ]
    assert not any(trodo_server.site_id in line for line in lines)


def test_repr_never_shows_the_site_id_in_full(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client()
    assert trodo_server.site_id not in repr(client)
    assert "direct" in repr(client)


def test_requests_carry_the_site_id_header_and_a_user_agent_naming_the_sdk(
    trodo_server: MockTrodoServer,
) -> None:
    trodo_server.client().track("user_42", "e")
    headers = {k.lower(): v for k, v in trodo_server.requests[-1].headers.items()}
    assert headers["x-trodo-site-id"] == trodo_server.site_id
    assert headers["user-agent"].startswith(f"trodo-python/{trodo.__version__} ")


def test_the_configured_generated_client_makes_direct_typed_calls(
    trodo_server: MockTrodoServer,
) -> None:
    from trodo_api.api.identity import set_wallet_address
    from trodo_api.models import WalletAddressRequest

    client = trodo_server.client()
    answer = set_wallet_address.sync_detailed(
        client=client.api_client,
        body=WalletAddressRequest(
            site_id=trodo_server.site_id,
            session_id="s1",
            user_id="u1",
            distinct_id="u1",
            wallet_address="0xabc",
        ),
    )
    assert answer.status_code == 200
    assert trodo_server.requests[-1].headers["User-Agent"].startswith("trodo-python/")


def test_the_context_manager_shuts_the_client_down(trodo_server: MockTrodoServer) -> None:
    with trodo_server.client(batch_enabled=True) as client:
        client.track("user_42", "queued")
    assert [e["event_name"] for e in trodo_server.events] == ["queued"]
    assert "closed" in repr(client)


def test_track_after_shutdown_is_dropped_with_a_warning(
    trodo_server: MockTrodoServer, caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[DeliveryError] = []
    client = trodo_server.client(on_error=errors.append)
    client.shutdown()
    client.shutdown()  # idempotent
    with caplog.at_level(logging.WARNING, logger="trodo"):
        client.track("user_42", "late")
    assert trodo_server.events == []
    assert [e.reason for e in errors] == [DropReason.SHUTDOWN]
    assert any("shutdown" in r.getMessage() for r in caplog.records)
