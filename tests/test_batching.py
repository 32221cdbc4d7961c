"""Batching on: the caller only queues; a worker sends in bulk, within bounds, and says so
when it sheds load. Against the mock Trodo server on a real socket.

Timing is never asserted: "returns without network" is shown by calls that
finish while the server holds every request unanswered.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator

import pytest

from trodo import DeliveryError, Stats
from trodo.testing import MockTrodoServer

from .delivery_support import (
    BULK,
    PATIENCE,
    SESSIONS,
    ErrorLog,
    Gate,
    bulk_requests,
    counts,
    names,
)

# Batches that only a trigger under test sends: never the size, never the clock.
QUIET = {"batch_enabled": True, "batch_size": 1000, "batch_flush_interval": 60.0}


@pytest.fixture
def gate(trodo_server: MockTrodoServer) -> Iterator[Gate]:
    """Every request to the server is held until the test opens the gate."""
    held = Gate()
    trodo_server.respond_with(held)
    yield held
    held.open()


def _sender_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "trodo-sender"}


# -- the caller's thread only queues ------------------------------------------------------


def test_a_thousand_tracks_return_while_the_server_answers_nothing(
    trodo_server: MockTrodoServer, gate: Gate
) -> None:
    client = trodo_server.client(batch_enabled=True, batch_flush_interval=0.05)

    def track_many() -> None:
        for i in range(1000):
            client.track(f"user_{i % 20}", "tapped", {"i": i})

    caller = threading.Thread(target=track_many)
    caller.start()
    caller.join(PATIENCE)
    assert not caller.is_alive()
    gate.wait_held()  # the worker's first request (a registration) is in the server...
    assert trodo_server.requests == []  # ...and no request has been answered yet
    gate.open()
    assert client.flush(PATIENCE)
    assert len(trodo_server.events) == 1000


def test_each_session_is_registered_before_any_of_its_events_is_sent(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(batch_enabled=True, batch_size=7, batch_flush_interval=60.0)
    for i in range(40):
        client.track(f"user_{i % 8}", "e", {"i": i})
    assert client.flush(PATIENCE)
    requests = trodo_server.requests
    registered_at = {
        r.json["sessionData"]["session_id"]: r.index for r in requests if r.path == SESSIONS
    }
    first_sent_at: dict[str, int] = {}
    for request in bulk_requests(trodo_server):
        for event in request.events:
            first_sent_at.setdefault(event["session_id"], request.index)
    assert len(registered_at) == 8
    assert registered_at.keys() == first_sent_at.keys()
    assert all(registered_at[s] < first_sent_at[s] for s in first_sent_at)


def test_an_event_carries_the_time_of_the_track_call_not_of_sending(
    trodo_server: MockTrodoServer, gate: Gate
) -> None:
    client = trodo_server.client(**QUIET)
    before = dt.datetime.now(dt.UTC)
    client.track("user_42", "paid")
    after = dt.datetime.now(dt.UTC)
    client.flush(timeout=0)  # start sending: the registration is held at the gate
    gate.wait_held()
    gate.open()  # the bulk request is built only now, after `after`
    assert client.flush(PATIENCE)
    [event] = trodo_server.events
    assert before <= dt.datetime.fromisoformat(event["timestamp"]) <= after


def test_properties_are_copied_at_the_track_call(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client(**QUIET)
    properties = {"plan": "pro", "seats": [1, 2]}
    client.track("user_42", "upgraded", properties)
    properties["plan"] = "free"
    properties["seats"].append(3)  # type: ignore[attr-defined]
    assert client.flush(PATIENCE)
    assert trodo_server.events[0]["custom_properties"] == {"plan": "pro", "seats": [1, 2]}


# -- when the worker sends ----------------------------------------------------------------


def test_the_worker_sends_once_batch_size_events_wait(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client(batch_enabled=True, batch_size=5, batch_flush_interval=60.0)
    for i in range(5):
        client.track("user_42", f"e{i}")
    assert names(trodo_server.wait_for_events(5, PATIENCE)) == ["e0", "e1", "e2", "e3", "e4"]
    assert [len(r.events) for r in bulk_requests(trodo_server)] == [5]


def test_the_worker_sends_once_the_oldest_event_has_waited_the_flush_interval(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(batch_enabled=True, batch_size=1000, batch_flush_interval=0.1)
    client.track("user_42", "a")
    client.track("user_42", "b")
    assert names(trodo_server.wait_for_events(2, PATIENCE)) == ["a", "b"]
    assert client.stats().queued == 0


def test_flush_sends_what_waits_and_returns_true_when_all_is_delivered(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(**QUIET)
    for name in ["a", "b", "c"]:
        client.track("user_42", name)
    assert client.stats().queued == 3
    assert client.flush() is True
    assert [names(r.events) for r in bulk_requests(trodo_server)] == [["a", "b", "c"]]


def test_flush_returns_false_when_an_event_was_given_up(trodo_server: MockTrodoServer) -> None:
    trodo_server.fail_next(status=400, path=BULK)
    client = trodo_server.client(**QUIET)
    client.track("user_42", "refused")
    assert client.flush(PATIENCE) is False
    assert client.stats().dropped == {"rejected": 1}


def test_flush_returns_only_after_on_error_has_heard_of_what_was_given_up(
    trodo_server: MockTrodoServer,
) -> None:
    errors = ErrorLog()

    def slow_on_error(error: DeliveryError) -> None:
        time.sleep(0.3)  # a callback that takes a while (a metrics client, a log shipper)
        errors(error)

    trodo_server.fail_next(status=400, path=BULK)
    client = trodo_server.client(**QUIET, on_error=slow_on_error)
    client.track("user_42", "refused")
    assert client.flush(PATIENCE) is False
    assert errors.lost_names("rejected") == ["refused"]


def test_flush_with_a_timeout_is_false_during_an_outage_and_true_once_it_is_over(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(**QUIET)
    client.track("user_42", "registered")
    assert client.flush(PATIENCE)
    trodo_server.outage(PATIENCE)
    client.track("user_42", "during_outage")
    assert client.flush(timeout=0.5) is False
    trodo_server.clear_faults()
    assert client.flush(timeout=PATIENCE) is True
    assert counts(trodo_server.events) == {"registered": 1, "during_outage": 1}


def test_shutdown_delivers_what_waits_and_stops_the_worker(trodo_server: MockTrodoServer) -> None:
    before = _sender_threads()
    client = trodo_server.client(**QUIET)
    client.track("user_42", "last_words")
    [worker] = _sender_threads() - before
    client.shutdown()
    assert names(trodo_server.events) == ["last_words"]
    assert not worker.is_alive()


def test_shutdown_is_idempotent(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client(**QUIET)
    client.track("user_42", "once")
    client.shutdown()
    client.shutdown()
    assert names(trodo_server.events) == ["once"]
    assert client.stats().sent == 1


def test_shutdown_gives_up_what_it_cannot_send_in_time_as_shutdown(
    trodo_server: MockTrodoServer, gate: Gate
) -> None:
    errors = ErrorLog()
    client = trodo_server.client(**QUIET, on_error=errors)
    client.track("user_42", "a")
    client.track("user_42", "b")
    client.shutdown(timeout=0.2)
    assert gate.held >= 1  # returned while the server still held the request
    assert errors.lost_names("shutdown") == ["a", "b"]
    assert client.stats().dropped == {"shutdown": 2}


def test_track_after_shutdown_is_dropped_with_one_warning_and_never_raises(
    trodo_server: MockTrodoServer, caplog: pytest.LogCaptureFixture
) -> None:
    errors = ErrorLog()
    client = trodo_server.client(**QUIET, on_error=errors)
    client.shutdown()
    with caplog.at_level(logging.WARNING, logger="trodo"):
        for _ in range(3):
            client.track("user_42", "late")
    assert trodo_server.events == []
    assert errors.reasons() == ["shutdown"]
    assert len([r for r in caplog.records if "after shutdown" in r.getMessage()]) == 1
    assert client.stats().dropped == {"shutdown": 3}


# -- request bounds -------------------------------------------------------------------------


def test_a_backlog_goes_out_in_requests_of_at_most_max_request_events(
    trodo_server: MockTrodoServer, gate: Gate
) -> None:
    client = trodo_server.client(
        batch_enabled=True, batch_size=10, max_request_events=10, batch_flush_interval=60.0
    )
    client.track("user_42", "e0")
    client.flush(timeout=0)
    gate.wait_held()  # the worker is stuck registering; a backlog builds up
    for i in range(1, 35):
        client.track("user_42", f"e{i}")
    gate.open()
    assert client.flush(PATIENCE)
    assert [len(r.events) for r in bulk_requests(trodo_server)] == [1, 10, 10, 10, 4]
    assert names(trodo_server.events) == [f"e{i}" for i in range(35)]


def test_a_backlog_goes_out_in_requests_within_max_request_bytes(
    trodo_server: MockTrodoServer, gate: Gate
) -> None:
    client = trodo_server.client(**QUIET, max_request_bytes=5_000)
    for i in range(12):
        client.track("user_42", f"e{i}", {"blob": "x" * 1_000})
    client.flush(timeout=0)
    gate.wait_held()
    gate.open()
    assert client.flush(PATIENCE)
    requests = bulk_requests(trodo_server)
    assert len(requests) > 1
    assert all(len(r.body) <= 5_000 for r in requests)
    assert names(trodo_server.events) == [f"e{i}" for i in range(12)]


# -- a bounded queue ------------------------------------------------------------------------


def test_a_full_queue_drops_new_events_as_queue_full_and_says_so_once(
    trodo_server: MockTrodoServer, gate: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    errors = ErrorLog()
    client = trodo_server.client(
        batch_enabled=True, batch_size=5, max_queue_size=10, on_error=errors
    )
    with caplog.at_level(logging.WARNING, logger="trodo"):
        for i in range(30):
            client.track("user_42", f"e{i}")
    assert client.stats().dropped == {"queue_full": 20}
    assert errors.reasons() == ["queue_full"]
    assert len([r for r in caplog.records if "queue is full" in r.getMessage()]) == 1
    gate.open()
    assert client.flush(PATIENCE)
    assert names(trodo_server.events) == [f"e{i}" for i in range(10)]
    assert client.stats().sent == 10


def test_the_byte_bound_fills_the_queue_too(trodo_server: MockTrodoServer, gate: Gate) -> None:
    errors = ErrorLog()
    client = trodo_server.client(**QUIET, max_queue_bytes=10_000, on_error=errors)
    for i in range(20):
        client.track("user_42", f"e{i}", {"blob": "x" * 1_000})
    stats = client.stats()
    assert 0 < stats.queued < 20
    assert stats.dropped == {"queue_full": 20 - stats.queued}
    assert errors.reasons() == ["queue_full"]
    gate.open()
    assert client.flush(PATIENCE)
    assert len(trodo_server.events) == stats.queued


def test_a_new_queue_full_episode_is_reported_again_after_the_queue_drained(
    trodo_server: MockTrodoServer,
) -> None:
    errors = ErrorLog()
    first, second = Gate(), Gate()
    client = trodo_server.client(
        batch_enabled=True, batch_size=5, max_queue_size=10, on_error=errors
    )
    for held in (first, second):
        trodo_server.respond_with(held)
        try:
            for i in range(15):
                client.track("user_42", f"e{i}")
        finally:
            held.open()
        assert client.flush(PATIENCE)
    # Each episode: its first refusal when it began, the rest by the flush after it.
    assert [(e.reason, e.count) for e in errors.errors] == [
        ("queue_full", 1),
        ("queue_full", 4),
    ] * 2
    assert client.stats().dropped == {"queue_full": 10}
    assert client.stats().sent == 20


# -- stats ----------------------------------------------------------------------------------


def test_stats_follow_events_from_queued_to_in_flight_to_sent(
    trodo_server: MockTrodoServer, gate: Gate
) -> None:
    client = trodo_server.client(**QUIET)
    for i in range(5):
        client.track("user_42", f"e{i}")
    assert client.stats() == Stats(queued=5)
    client.flush(timeout=0)
    gate.wait_held()
    assert client.stats() == Stats(in_flight=5, requests=1)
    gate.open()
    assert client.flush(PATIENCE)
    assert client.stats() == Stats(sent=5, requests=1)


# -- the same pipeline for every event -------------------------------------------------------


def test_capture_error_is_queued_and_sent_in_bulk(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client(**QUIET)
    client.capture_error("user_42", ValueError("card declined"))
    assert client.stats().queued == 1
    assert trodo_server.requests == []
    assert client.flush(PATIENCE)
    [request] = bulk_requests(trodo_server)
    [event] = request.events
    assert (event["event_type"], event["event_name"]) == ("auto", "server_error")


def test_an_uncaught_exception_is_queued_and_sent_in_bulk_as_an_auto_event(
    trodo_server: MockTrodoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    passed_on: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: passed_on.append(args.exc_value))
    client = trodo_server.client(**QUIET, auto_events=True)

    def crash() -> None:
        raise ConnectionError("broker gone")

    worker = threading.Thread(target=crash)
    worker.start()
    worker.join()
    assert client.stats().queued == 1
    assert client.flush(PATIENCE)
    [request] = bulk_requests(trodo_server)
    [event] = request.events
    assert (event["event_type"], event["event_name"]) == ("auto", "server_error")
    assert event["custom_properties"]["severity"] == "critical"
    assert [type(e) for e in passed_on] == [ConnectionError]


# -- many threads ---------------------------------------------------------------------------


def test_fifty_threads_of_a_thousand_events_are_all_delivered_each_session_registered_once(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(batch_enabled=True, batch_flush_interval=0.05)
    users = [f"user_{u}" for u in range(25)]  # each user shared by two threads

    def track(thread: int) -> None:
        user = client.for_user(users[thread % len(users)])
        for i in range(1000):
            user.track("e", {"thread": thread, "i": i})

    threads = [threading.Thread(target=track, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE)
    assert client.flush(PATIENCE * 2)
    events = trodo_server.events
    sent = {(e["custom_properties"]["thread"], e["custom_properties"]["i"]) for e in events}
    assert len(events) == len(sent) == 50_000
    sessions = [s["distinct_id"] for s in trodo_server.sessions]
    assert sorted(sessions) == sorted(users)
    assert client.stats().sent == 50_000
    assert client.stats().dropped == {}
