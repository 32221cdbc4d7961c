"""Batching off: each event is one request on the caller's thread, on one kept-alive
connection, retried within the call's timeout; failures are reported, never raised.
"""

from __future__ import annotations

import logging
import threading

import pytest

import trodo
from trodo import Stats
from trodo.testing import MockTrodoServer

from .delivery_support import (
    EVENTS,
    PATIENCE,
    SESSIONS,
    ErrorLog,
    KeepAliveServer,
    names,
    trodo_warnings,
)


def test_each_event_is_one_request_made_before_track_returns(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client()
    for i in range(3):
        client.track("user_42", f"e{i}")
        assert names(trodo_server.events) == [f"e{n}" for n in range(i + 1)]
    assert [r.path for r in trodo_server.requests] == [SESSIONS, EVENTS, EVENTS, EVENTS]
    assert client.stats() == Stats(sent=3, requests=3)


def test_events_go_over_one_kept_alive_connection() -> None:
    with KeepAliveServer() as server:
        client = trodo.TrodoClient("site_1", api_base=server.url)
        try:
            for i in range(5):
                client.track("user_42", f"e{i}")
        finally:
            client.shutdown()
    assert [path for path, _ in server.requests] == [SESSIONS] + [EVENTS] * 5
    assert len(server.ports()) == 1


def test_a_transient_failure_is_retried_within_the_call(trodo_server: MockTrodoServer) -> None:
    trodo_server.fail_next(status=503, path=EVENTS)
    client = trodo_server.client()
    client.track("user_42", "retried")
    assert names(trodo_server.faulted_events) == ["retried"]
    assert names(trodo_server.events) == ["retried"]
    assert client.stats() == Stats(sent=1, requests=2, retried=1)


def test_after_a_429_the_retry_waits_at_least_retry_after(trodo_server: MockTrodoServer) -> None:
    trodo_server.fail_next(status=429, headers={"Retry-After": "1"}, path=EVENTS)
    client = trodo_server.client()
    client.track("user_42", "limited")
    limited, accepted = [r for r in trodo_server.requests if r.path == EVENTS]
    assert (limited.status, accepted.status) == (429, 200)
    assert accepted.received_at - limited.received_at >= 0.9
    assert client.stats() == Stats(sent=1, requests=2, retried=1)


def test_a_retry_after_past_the_timeout_gives_up_at_once_instead_of_waiting(
    trodo_server: MockTrodoServer,
) -> None:
    errors = ErrorLog()
    trodo_server.fail_next(status=429, headers={"Retry-After": "60"}, path=EVENTS)
    client = trodo_server.client(timeout=2.0, on_error=errors)
    caller = threading.Thread(target=client.track, args=("user_42", "limited"))
    caller.start()
    caller.join(PATIENCE)  # waiting out the Retry-After would take 60 s
    assert not caller.is_alive()
    assert errors.lost_names("gave_up") == ["limited"]
    assert client.stats() == Stats(requests=1, dropped={"gave_up": 1})


def test_retries_stop_after_the_configured_number_and_are_reported(
    trodo_server: MockTrodoServer, caplog: pytest.LogCaptureFixture
) -> None:
    errors = ErrorLog()
    trodo_server.fail_next(10, status=503, path=EVENTS)
    client = trodo_server.client(retries=2, on_error=errors)
    with caplog.at_level(logging.WARNING, logger="trodo"):
        client.track("user_42", "lost")
    assert len(trodo_server.faulted_events) == 3
    assert errors.lost_names("gave_up") == ["lost"]
    assert any("could not deliver 1 event" in r.getMessage() for r in caplog.records)
    assert client.stats() == Stats(requests=3, retried=2, dropped={"gave_up": 1})


def test_retries_stop_once_the_timeout_has_passed(trodo_server: MockTrodoServer) -> None:
    errors = ErrorLog()
    client = trodo_server.client(retries=100, timeout=0.5, on_error=errors)
    client.track("user_42", "registered")
    trodo_server.outage(60.0)
    client.track("user_42", "lost")  # returns long before the outage ends
    attempts = len(trodo_server.faulted_events)
    trodo_server.clear_faults()
    assert 1 <= attempts < 101
    assert errors.lost_names("gave_up") == ["lost"]
    assert client.stats() == Stats(
        sent=1, requests=1 + attempts, retried=attempts - 1, dropped={"gave_up": 1}
    )


def test_a_refused_event_is_reported_as_rejected_and_not_raised(
    trodo_server: MockTrodoServer, caplog: pytest.LogCaptureFixture
) -> None:
    errors = ErrorLog()
    trodo_server.fail_next(status=400, path=EVENTS)
    client = trodo_server.client(on_error=errors)
    with caplog.at_level(logging.WARNING, logger="trodo"):
        client.track("user_42", "malformed")
    assert errors.lost_names("rejected") == ["malformed"]
    assert any("rejected" in r.getMessage() for r in caplog.records)
    assert client.stats() == Stats(requests=1, dropped={"rejected": 1})


def test_an_unknown_site_id_logs_one_error_line_for_many_events(
    trodo_server: MockTrodoServer, caplog: pytest.LogCaptureFixture
) -> None:
    errors = ErrorLog()
    trodo_server.check_site_id = True
    client = trodo.TrodoClient("not-the-site", api_base=trodo_server.url, on_error=errors)
    try:
        with (
            caplog.at_level(logging.WARNING, logger="trodo"),
            trodo_warnings() as said,
        ):
            for i in range(3):
                client.track("user_42", f"e{i}")
    finally:
        client.shutdown()
    assert len(said) == 1  # once for the episode, not per event
    assert errors.reasons() == ["unauthorized"] * 3
    assert client.stats().dropped == {"unauthorized": 3}
    [loud] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "does not accept site id" in loud.getMessage()
    assert "not-the-site" not in loud.getMessage()


def test_capture_error_is_sent_on_the_callers_thread(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client()
    client.capture_error("user_42", RuntimeError("boom"))
    assert [r.path for r in trodo_server.requests] == [SESSIONS, EVENTS]
    [event] = trodo_server.events
    assert (event["event_type"], event["event_name"]) == ("auto", "server_error")
