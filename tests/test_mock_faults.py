"""Scripted faults of MockTrodoServer, as an HTTP client sees them on the real socket."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from trodo.testing import Answer, MockTrodoServer

from . import trodo_payloads as payloads
from .trodo_payloads import HEADERS

# Long enough for a loaded machine to send two requests inside the outage.
OUTAGE = 0.6


@pytest.fixture
def server() -> Iterator[MockTrodoServer]:
    with MockTrodoServer() as mock:
        yield mock


@pytest.fixture
def api(server: MockTrodoServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=HEADERS) as client:
        yield client


def _send_event(api: httpx.Client, name: str = "e", **options: Any) -> httpx.Response:
    return api.post("/api/events", json=payloads.event(name), **options)


@pytest.mark.parametrize("status", [503, 413, 400, 500])
def test_fail_next_answers_the_status_with_a_json_error(
    server: MockTrodoServer, api: httpx.Client, status: int
) -> None:
    server.fail_next(status=status)
    response = _send_event(api)
    assert response.status_code == status
    assert set(response.json()) == {"error"}


def test_fail_next_429_carries_the_retry_after_header(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.fail_next(status=429, headers={"Retry-After": "1"})
    response = _send_event(api)
    assert (response.status_code, response.headers["Retry-After"]) == (429, "1")
    assert response.json() == {"error": "Too Many Requests"}


def test_fail_next_can_give_its_own_body(server: MockTrodoServer, api: httpx.Client) -> None:
    server.fail_next(status=400, body={"error": "custom_properties too deep"})
    assert _send_event(api).json() == {"error": "custom_properties too deep"}


def test_fail_next_applies_to_exactly_the_next_n_requests(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.fail_next(2, status=503)
    statuses = [_send_event(api, name).status_code for name in ["a", "b", "c"]]
    assert statuses == [503, 503, 200]
    assert server.pending_faults == 0


def test_faulted_events_are_kept_apart_from_accepted_ones(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.fail_next(status=503)
    _send_event(api, "refused")
    _send_event(api, "accepted")
    assert [e["event_name"] for e in server.events] == ["accepted"]
    assert [e["event_name"] for e in server.faulted_events] == ["refused"]
    assert [(r.status, r.accepted, r.fault) for r in server.requests] == [
        (503, False, "scripted 503"),
        (200, True, None),
    ]


def test_a_fault_for_one_path_leaves_the_other_paths_alone(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.fail_next(status=413, path="/api/events/bulk")
    assert api.post("/api/sdk/track", json=payloads.session()).status_code == 200
    assert _send_event(api).status_code == 200
    assert api.post("/api/events/bulk", json=payloads.bulk()).status_code == 413
    assert api.post("/api/events/bulk", json=payloads.bulk()).status_code == 200


def test_scripted_faults_apply_in_the_order_they_were_added(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.fail_next(status=503)
    server.fail_next(status=429, headers={"Retry-After": "1"})
    assert [_send_event(api).status_code for _ in range(3)] == [503, 429, 200]


def test_an_invalid_request_uses_no_scripted_fault(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.fail_next(status=503)
    assert api.post("/api/events", json={}).status_code == 400
    assert _send_event(api).status_code == 503
    assert len(server.violations) == 1


def test_a_fault_for_an_unknown_path_is_refused(server: MockTrodoServer) -> None:
    with pytest.raises(ValueError, match="'/api/event' is not a Trodo endpoint"):
        server.fail_next(path="/api/event")


def test_a_fault_for_no_request_is_refused(server: MockTrodoServer) -> None:
    with pytest.raises(ValueError, match="times must be at least 1"):
        server.fail_next(0)


def test_delay_next_holds_the_answer_past_the_client_timeout(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.delay_next(1.0)
    with pytest.raises(httpx.ReadTimeout):
        _send_event(api, "slow", timeout=0.2)
    # A slow server still took the request in: the client cannot know it.
    [event] = server.wait_for_events(1)
    assert event["event_name"] == "slow"
    assert server.requests[0].fault == "delayed 1s"


def test_delay_next_with_a_status_answers_it_late_and_accepts_nothing(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.delay_next(0.05, status=503)
    assert _send_event(api, "late").status_code == 503
    assert server.events == []
    assert [e["event_name"] for e in server.faulted_events] == ["late"]


def test_a_delayed_answer_does_not_hold_up_other_connections(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.delay_next(1.0)
    with pytest.raises(httpx.ReadTimeout):
        _send_event(api, "slow", timeout=0.2)
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=0.5) as other:
        assert _send_event(other, "fast").status_code == 200
    assert [e["event_name"] for e in server.events] == ["fast"]


def test_drop_next_closes_the_connection_without_an_answer_and_accepts_nothing(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.drop_next()
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/api/events/bulk", json=payloads.bulk("a", "b"))
    [request] = server.requests
    assert (request.status, request.accepted, request.fault) == (None, False, "dropped")
    assert server.events == []
    assert [e["event_name"] for e in server.faulted_events] == ["a", "b"]


def test_the_client_can_send_again_after_a_dropped_connection(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.drop_next()
    with pytest.raises(httpx.RemoteProtocolError):
        _send_event(api, "lost")
    assert _send_event(api, "retried").status_code == 200
    assert [e["event_name"] for e in server.events] == ["retried"]


def test_accept_then_drop_next_accepts_the_events_but_gives_no_answer(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.accept_then_drop_next()
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/api/events/bulk", json=payloads.bulk("a", "b"))
    [request] = server.requests
    assert (request.status, request.accepted) == (None, True)
    assert request.fault == "accepted then dropped"
    assert [e["event_name"] for e in server.events] == ["a", "b"]
    assert server.faulted_events == []


def test_outage_answers_every_request_until_it_ends(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    ends = time.monotonic() + OUTAGE
    server.outage(OUTAGE, status=503)
    during = [_send_event(api), api.post("/api/sdk/reset", json=payloads.reset())]
    time.sleep(max(0.0, ends - time.monotonic()) + 0.05)
    after = _send_event(api)
    assert [response.status_code for response in during] == [503, 503]
    assert after.status_code == 200
    assert [r.fault for r in server.requests] == ["outage (503)", "outage (503)", None]


def test_outage_takes_precedence_over_scripted_faults_and_uses_none(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.fail_next(status=429)
    ends = time.monotonic() + OUTAGE
    server.outage(OUTAGE, status=502)
    assert _send_event(api).status_code == 502
    time.sleep(max(0.0, ends - time.monotonic()) + 0.05)
    assert _send_event(api).status_code == 429


def _reject_bad(path: str, body: Any) -> Answer | None:
    if any(event["event_name"] == "bad" for event in body["events"]):
        return Answer(400, {"error": "event 'bad' is not allowed"})
    return None


def test_responder_answers_each_request_by_its_body(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.respond_with(_reject_bad, path="/api/events/bulk")
    mixed = api.post("/api/events/bulk", json=payloads.bulk("good", "bad"))
    clean = api.post("/api/events/bulk", json=payloads.bulk("good"))
    single = _send_event(api, "bad")  # another path: the responder does not see it
    assert (mixed.status_code, clean.status_code, single.status_code) == (400, 200, 200)
    assert mixed.json() == {"error": "event 'bad' is not allowed"}
    assert [e["event_name"] for e in server.events] == ["good", "bad"]
    assert [e["event_name"] for e in server.faulted_events] == ["good", "bad"]
    assert server.requests[0].fault == "responder"


def test_responder_can_answer_identify_with_a_new_distinct_id(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    merged = Answer(200, {"success": True, "newDistinctId": "merged_1"})
    server.respond_with(lambda path, body: merged)
    response = api.post("/api/sdk/identify", json=payloads.identify())
    assert response.json() == {"success": True, "newDistinctId": "merged_1"}
    assert server.identifies == [payloads.identify()]


def test_responder_is_removed_with_none(server: MockTrodoServer, api: httpx.Client) -> None:
    server.respond_with(lambda path, body: Answer(503))
    server.respond_with(None)
    assert _send_event(api).status_code == 200


def test_a_failing_responder_answers_500_and_is_reported(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.respond_with(lambda path, body: body["no such key"])
    assert _send_event(api).status_code == 500
    [error] = server.errors
    assert "KeyError('no such key')" in error
    assert server.events == []


def test_clear_faults_restores_normal_answers(server: MockTrodoServer, api: httpx.Client) -> None:
    server.fail_next(3, status=503)
    server.outage(60)
    server.respond_with(lambda path, body: Answer(400))
    server.clear_faults()
    assert _send_event(api).status_code == 200
    assert server.pending_faults == 0


def test_stop_ends_a_delay_in_progress_without_accepting_the_request() -> None:
    server = MockTrodoServer().start()
    server.delay_next(30)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(server.url + "/api/events", json=payloads.event(), headers=HEADERS, timeout=0.2)
    server.stop()
    # Without the stop, the delayed request would be recorded only after 30 s.
    [request] = server.wait_for_requests(1, timeout=5)
    assert (request.fault, request.accepted) == ("delayed 30s; server stopped", False)
