"""Batching on, the server misbehaving: every fault ends with each event accepted exactly
once (at most the events of an ambiguous request twice), or given up, counted and reported
with its reason. Against the mock Trodo server on a real socket.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import pytest

from trodo import Stats
from trodo.testing import Answer, MockTrodoServer

from .delivery_support import (
    BULK,
    PATIENCE,
    SESSIONS,
    ErrorLog,
    bulk_requests,
    counts,
    names,
    trodo_warnings,
)

QUIET = {"batch_enabled": True, "batch_size": 1000, "batch_flush_interval": 60.0}
TEN = [f"e{i}" for i in range(10)]


def _track_all(client: Any, event_names: list[str], **properties: Any) -> None:
    for name in event_names:
        client.track("user_42", name, properties or None)


def _each_once(server: MockTrodoServer, event_names: list[str]) -> bool:
    return names(server.events) == event_names


# -- transient faults: retried until accepted -----------------------------------------------


def test_a_burst_of_5xx_is_retried_until_every_event_is_accepted_once(
    trodo_server: MockTrodoServer,
) -> None:
    trodo_server.fail_next(status=500, path=BULK)
    trodo_server.fail_next(status=503, path=BULK)
    client = trodo_server.client(**QUIET)
    _track_all(client, TEN)
    assert client.flush(PATIENCE)
    assert _each_once(trodo_server, TEN)
    assert [r.status for r in bulk_requests(trodo_server)] == [500, 503, 200]
    assert client.stats() == Stats(sent=10, requests=3, retried=2)


def test_after_a_429_the_next_attempt_waits_at_least_retry_after(
    trodo_server: MockTrodoServer,
) -> None:
    trodo_server.fail_next(status=429, headers={"Retry-After": "1"}, path=BULK)
    client = trodo_server.client(**QUIET)
    _track_all(client, TEN)
    assert client.flush(PATIENCE)
    limited, accepted = bulk_requests(trodo_server)
    assert (limited.status, accepted.status) == (429, 200)
    assert accepted.received_at - limited.received_at >= 0.9
    assert _each_once(trodo_server, TEN)
    assert client.stats() == Stats(sent=10, requests=2, retried=1)


def test_a_dropped_connection_is_retried(trodo_server: MockTrodoServer) -> None:
    trodo_server.drop_next(path=BULK)
    client = trodo_server.client(**QUIET)
    _track_all(client, TEN)
    assert client.flush(PATIENCE)
    assert [r.status for r in bulk_requests(trodo_server)] == [None, 200]
    assert _each_once(trodo_server, TEN)
    assert client.stats() == Stats(sent=10, requests=2, retried=1)


def test_an_answer_slower_than_the_timeout_is_retried(trodo_server: MockTrodoServer) -> None:
    # The server fails the request it was too slow on: nothing of it was stored.
    trodo_server.delay_next(1.5, status=503, path=BULK)
    client = trodo_server.client(**QUIET, timeout=0.5)
    _track_all(client, TEN)
    assert client.flush(PATIENCE)
    assert _each_once(trodo_server, TEN)
    assert client.stats() == Stats(sent=10, requests=2, retried=1)


def test_a_five_second_outage_is_ridden_out(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client(**QUIET)
    client.track("user_42", "before")
    assert client.flush(PATIENCE)
    trodo_server.outage(5.0)
    _track_all(client, TEN)
    assert client.flush(PATIENCE)
    assert names(trodo_server.events) == ["before", *TEN]
    stats = client.stats()
    assert stats.retried >= 1
    assert stats == Stats(sent=11, requests=stats.retried + 2, retried=stats.retried)


def test_a_failed_session_registration_is_retried_and_counts_no_event_request(
    trodo_server: MockTrodoServer,
) -> None:
    trodo_server.fail_next(status=503, path=SESSIONS)
    client = trodo_server.client(**QUIET)
    _track_all(client, TEN)
    assert client.flush(PATIENCE)
    assert [r.path for r in trodo_server.requests] == [SESSIONS, SESSIONS, BULK]
    assert _each_once(trodo_server, TEN)
    assert client.stats() == Stats(sent=10, requests=1, retried=1)


# -- the ambiguous case -----------------------------------------------------------------------


def test_accepted_then_dropped_duplicates_at_most_the_ambiguous_requests_events(
    trodo_server: MockTrodoServer,
) -> None:
    trodo_server.accept_then_drop_next(path=BULK)
    client = trodo_server.client(**QUIET)
    _track_all(client, TEN)
    assert client.flush(PATIENCE)
    [ambiguous] = [r for r in bulk_requests(trodo_server) if r.status is None]
    assert counts(trodo_server.events) == Counter(TEN) + counts(ambiguous.events)
    assert client.stats() == Stats(sent=10, requests=2, retried=1)


def test_an_answer_slower_than_the_timeout_that_the_server_kept_is_ambiguous(
    trodo_server: MockTrodoServer,
) -> None:
    trodo_server.delay_next(1.5, path=BULK)  # then answered 200: the server kept the events
    client = trodo_server.client(**QUIET, timeout=0.5)
    _track_all(client, TEN)
    assert client.flush(PATIENCE)
    trodo_server.wait_for_events(20, PATIENCE)  # the slow request is recorded when answered
    assert counts(trodo_server.events) == Counter(TEN * 2)
    assert client.stats() == Stats(sent=10, requests=2, retried=1)


# -- the retry budget ---------------------------------------------------------------------------


def test_the_retry_budget_bounds_retries_and_reports_the_events_as_gave_up(
    trodo_server: MockTrodoServer,
) -> None:
    errors = ErrorLog()
    client = trodo_server.client(**QUIET, retry_budget=0.5, on_error=errors)
    client.track("user_42", "before")
    assert client.flush(PATIENCE)
    trodo_server.outage(PATIENCE)
    _track_all(client, TEN)
    assert client.flush(PATIENCE) is False
    trodo_server.clear_faults()
    assert errors.reasons() == ["gave_up"]
    assert errors.lost_names("gave_up") == TEN
    assert "HTTP 503" in errors.errors[0].detail
    stats = client.stats()
    assert stats == Stats(
        sent=1, requests=stats.retried + 2, retried=stats.retried, dropped={"gave_up": 10}
    )


# -- answers that are not transient -------------------------------------------------------------


def _too_large_over(limit: int) -> Any:
    def answer(path: str, body: Any) -> Answer | None:
        return Answer(413) if len(json.dumps(body)) > limit else None

    return answer


def test_a_413_splits_the_batch_until_the_single_too_large_event_is_dropped(
    trodo_server: MockTrodoServer,
) -> None:
    errors = ErrorLog()
    trodo_server.respond_with(_too_large_over(8_000), path=BULK)
    client = trodo_server.client(**QUIET, on_error=errors)
    _track_all(client, ["s0", "s1", "s2"])
    client.track("user_42", "huge", {"blob": "x" * 10_000})
    _track_all(client, ["s3", "s4", "s5"])
    assert client.flush(PATIENCE) is False
    assert names(trodo_server.events) == ["s0", "s1", "s2", "s3", "s4", "s5"]
    # [all 7] -> [s0 s1 s2] ok, [huge s3 s4 s5] -> [huge s3] -> [huge] dropped, [s3], [s4 s5]
    assert [len(r.events) for r in bulk_requests(trodo_server)] == [7, 3, 4, 2, 1, 1, 2]
    assert errors.lost_names("too_large") == ["huge"]
    assert client.stats() == Stats(sent=6, requests=7, dropped={"too_large": 1})


@pytest.mark.parametrize("status", [400, 422])
def test_a_refused_batch_is_bisected_so_only_the_bad_events_are_rejected(
    trodo_server: MockTrodoServer, status: int
) -> None:
    def refuse_bad(path: str, body: Any) -> Answer | None:
        bad = any(e["event_name"] == "bad" for e in body["events"])
        return Answer(status) if bad else None

    errors = ErrorLog()
    trodo_server.respond_with(refuse_bad, path=BULK)
    client = trodo_server.client(**QUIET, on_error=errors)
    sequence = ["g0", "g1", "bad", "g3", "g4", "bad", "g6", "g7"]
    _track_all(client, sequence)
    assert client.flush(PATIENCE) is False
    assert names(trodo_server.events) == [n for n in sequence if n != "bad"]
    assert errors.lost_names("rejected") == ["bad", "bad"]
    assert client.stats() == Stats(sent=6, requests=11, dropped={"rejected": 2})


@pytest.mark.parametrize("status", [401, 403])
def test_an_unauthorized_site_id_drops_events_and_logs_one_error_line(
    trodo_server: MockTrodoServer, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    errors = ErrorLog()
    trodo_server.respond_with(lambda path, body: Answer(status))
    client = trodo_server.client(**QUIET, on_error=errors)
    with (
        caplog.at_level(logging.WARNING, logger="trodo"),
        trodo_warnings() as said,
    ):
        for batch in (["a", "b"], ["c", "d"]):
            _track_all(client, batch)
            assert client.flush(PATIENCE) is False
    assert len(said) == 1  # once for the episode, not per batch
    assert trodo_server.events == []
    assert errors.reasons() == ["unauthorized", "unauthorized"]
    assert client.stats().dropped == {"unauthorized": 4}
    [loud] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "does not accept site id" in loud.getMessage()
    assert trodo_server.site_id not in loud.getMessage()
