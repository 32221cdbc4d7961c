"""MockTrodoServer accepts what the Trodo API accepts, flags the rest, and records it all."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from trodo.testing import MockTrodoServer

from . import trodo_payloads as payloads
from .trodo_payloads import HEADERS, VALID


@pytest.fixture
def server() -> Iterator[MockTrodoServer]:
    with MockTrodoServer() as mock:
        yield mock


@pytest.fixture
def api(server: MockTrodoServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=HEADERS) as client:
        yield client


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def test_server_listens_on_a_free_port_of_localhost(server: MockTrodoServer) -> None:
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"


def test_server_listens_on_the_port_it_is_given() -> None:
    with MockTrodoServer() as first:
        port = first.port
    with MockTrodoServer(port=port) as second:
        assert second.url == f"http://127.0.0.1:{port}"
        assert httpx.post(second.url + "/api/sdk/reset", json=payloads.reset(), headers=HEADERS)


def test_server_on_a_taken_port_raises_os_error() -> None:
    with MockTrodoServer() as first, pytest.raises(OSError, match="in use"):
        MockTrodoServer(port=first.port).start()


def test_stopped_server_refuses_connections() -> None:
    with MockTrodoServer() as server:
        url = server.url
    assert not server.is_running()
    with pytest.raises(httpx.ConnectError):
        httpx.post(url + "/api/events", json=payloads.event(), headers=HEADERS)


@pytest.mark.parametrize("path", VALID)
def test_valid_request_of_each_kind_is_accepted_and_recorded(
    server: MockTrodoServer, api: httpx.Client, path: str
) -> None:
    body = VALID[path]()
    response = api.post(path, json=body)
    assert response.status_code == 200
    assert response.json() == {"success": True}
    [request] = server.requests
    assert (request.method, request.path, request.status) == ("POST", path, 200)
    assert request.accepted
    assert request.valid
    assert request.json == body
    assert json.loads(request.body) == body
    assert request.site_id == "test-site"
    assert server.violations == []


def test_each_kind_lands_in_its_own_view(server: MockTrodoServer, api: httpx.Client) -> None:
    for path, build in VALID.items():
        api.post(path, json=build())
    assert server.sessions == [payloads.session()["sessionData"]]
    assert server.identifies == [payloads.identify()]
    assert server.resets == [payloads.reset()]
    assert server.wallet_addresses == [payloads.wallet_address()]


def test_events_are_in_arrival_order_whichever_endpoint_carried_them(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    api.post("/api/events", json=payloads.event("first"))
    api.post("/api/events/bulk", json=payloads.bulk("second", "third"))
    api.post("/api/sdk/identify", json=payloads.identify())
    api.post("/api/events", json=payloads.event("fourth"))
    assert [e["event_name"] for e in server.events] == ["first", "second", "third", "fourth"]
    assert server.events[0] == payloads.event("first")


def test_requests_are_recorded_in_arrival_order_with_their_index(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    paths = ["/api/sdk/track", "/api/events", "/api/sdk/reset"]
    for path in paths:
        api.post(path, json=VALID[path]())
    assert [r.path for r in server.requests] == paths
    assert [r.index for r in server.requests] == [0, 1, 2]


INVALID: dict[str, tuple[str, Callable[[], dict[str, Any]], str]] = {
    "event without event_name": (
        "/api/events",
        lambda: _without(payloads.event(), "event_name"),
        "'event_name' is a required property",
    ),
    "event missing its null keys": (
        "/api/events",
        lambda: _without(_without(payloads.event(), "page_data"), "override_data"),
        "'page_data' is a required property",
    ),
    "unknown event_type": (
        "/api/events",
        lambda: payloads.event(event_type="browser"),
        "'browser' is not one of ['custom', 'auto']",
    ),
    "empty bulk list": ("/api/events/bulk", lambda: {"events": []}, "should be non-empty"),
    "bad event inside a bulk list": (
        "/api/events/bulk",
        lambda: {"events": [payloads.event(), payloads.event(event_name="")]},
        "body/events/1/event_name: '' should be non-empty",
    ),
    "identify without identifyId": (
        "/api/sdk/identify",
        lambda: _without(payloads.identify(), "identifyId"),
        "'identifyId' is a required property",
    ),
    "identify with snake_case keys": (
        "/api/sdk/identify",
        lambda: {
            "site_id": "test-site",
            "session_id": payloads.SESSION,
            "user_id": "anon_7f3e",
            "distinct_id": "anon_7f3e",
            "identify_id": "db_user_1001",
        },
        "Additional properties are not allowed",
    ),
    "sessionData missing a key": (
        "/api/sdk/track",
        lambda: {"sessionData": _without(payloads.session()["sessionData"], "team_id")},
        "'team_id' is a required property",
    ),
    "last_activity in seconds as a float": (
        "/api/sdk/track",
        lambda: {"sessionData": {**payloads.session()["sessionData"], "last_activity": 1.5}},
        "1.5 is not of type 'integer'",
    ),
    "automatic event not named server_error": (
        "/api/events",
        lambda: {**payloads.server_error(), "event_name": "crash"},
        "'server_error' was expected",
    ),
    "server_error without its stack": (
        "/api/events/bulk",
        lambda: {
            "events": [
                payloads.server_error()
                | {
                    "custom_properties": _without(
                        payloads.server_error()["custom_properties"], "stack"
                    )
                }
            ]
        },
        "'stack' is a required property",
    ),
    "server_error with an unknown severity": (
        "/api/events",
        lambda: payloads.server_error(severity="fatal"),
        "'fatal' is not one of ['critical', 'error', 'warning']",
    ),
    "people.set without properties": (
        "/api/sdk/people/set",
        payloads.PEOPLE.copy,
        "'properties' is a required property",
    ),
    "add_group with an array of group ids": (
        "/api/sdk/groups/add_group",
        lambda: {**payloads.GROUP, "groupId": ["acme", "globex"]},
        "is not of type 'string'",
    ),
    "upsert with a siteId": (
        "/api/sdk/users/upsert",
        lambda: {**payloads.upsert(), "siteId": payloads.SITE},
        "Additional properties are not allowed ('siteId' was unexpected)",
    ),
    "upsert with a null bag": (
        "/api/sdk/users/upsert",
        lambda: {"distinctId": "user_42", "setOnce": None},
        "None is not of type 'object'",
    ),
    "timestamp that is not a date-time": (
        "/api/events",
        lambda: payloads.event(timestamp="yesterday"),
        "'yesterday' is not a 'date-time'",
    ),
}


@pytest.mark.parametrize("case", INVALID)
def test_invalid_body_is_answered_400_with_a_json_message_and_recorded_as_a_violation(
    server: MockTrodoServer, api: httpx.Client, case: str
) -> None:
    path, build, message = INVALID[case]
    response = api.post(path, json=build())
    assert response.status_code == 400
    assert message in response.json()["error"]
    [violation] = server.violations
    assert (violation.path, violation.status) == (path, 400)
    assert message in violation.message
    assert message in str(violation)
    assert json.loads(violation.body) == build()
    [request] = server.requests
    assert not request.accepted
    assert not request.valid
    assert server.events == []
    assert server.sessions == []
    assert server.identifies == []
    assert server.profile_updates == []


def test_missing_site_id_header_is_a_401_violation(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    response = httpx.post(server.url + "/api/events", json=payloads.event())
    assert response.status_code == 401
    assert "X-Trodo-Site-Id" in response.json()["error"]
    [violation] = server.violations
    assert "X-Trodo-Site-Id header is missing" in violation.message


def test_empty_site_id_header_is_a_401_violation(server: MockTrodoServer) -> None:
    headers = {"X-Trodo-Site-Id": ""}
    response = httpx.post(server.url + "/api/events", json=payloads.event(), headers=headers)
    assert response.status_code == 401
    assert "X-Trodo-Site-Id header is empty" in server.violations[0].message


def test_non_json_content_type_is_a_400_violation(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    body = json.dumps(payloads.event())
    response = api.post("/api/events", content=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert "'text/plain' is not application/json" in response.json()["error"]
    assert len(server.violations) == 1


def test_json_content_type_with_a_charset_is_accepted(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    body = json.dumps(payloads.event())
    content_type = {"Content-Type": "application/json; charset=utf-8"}
    assert api.post("/api/events", content=body, headers=content_type).status_code == 200
    assert server.violations == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "body is not valid JSON"),
        (b"", "body is missing"),
        # json.loads lets NaN through; JSON has no such value.
        (json.dumps(payloads.event(custom_properties={"x": float("nan")})).encode(), "NaN"),
    ],
)
def test_body_that_is_not_json_is_a_violation(
    server: MockTrodoServer, api: httpx.Client, body: bytes, message: str
) -> None:
    content_type = {"Content-Type": "application/json"}
    response = api.post("/api/events", content=body, headers=content_type)
    assert response.status_code == 400
    assert message in server.violations[0].message
    assert server.requests[0].json is None or not server.requests[0].accepted


def test_unknown_path_is_a_404_violation(server: MockTrodoServer, api: httpx.Client) -> None:
    response = api.post("/api/event", json=payloads.event())
    assert response.status_code == 404
    assert server.violations[0].message == "no such endpoint: /api/event"


def test_wrong_method_is_a_405_violation(server: MockTrodoServer, api: httpx.Client) -> None:
    response = api.put("/api/events", json=payloads.event())
    assert response.status_code == 405
    assert server.violations[0].message == "PUT is not allowed on /api/events"


def test_check_site_id_answers_401_to_an_unknown_site_id_without_a_violation() -> None:
    with MockTrodoServer(site_id="site_123", check_site_id=True) as server:
        known = httpx.post(
            server.url + "/api/events",
            json=payloads.event(),
            headers={"X-Trodo-Site-Id": "site_123"},
        )
        unknown = httpx.post(server.url + "/api/events", json=payloads.event(), headers=HEADERS)
        assert (known.status_code, unknown.status_code) == (200, 401)
        assert unknown.json() == {"error": "Unknown site id"}
        assert server.violations == []
        assert [r.accepted for r in server.requests] == [True, False]
        assert server.requests[1].fault == "unknown site id"
        assert len(server.events) == 1


def test_any_site_id_is_accepted_by_default(server: MockTrodoServer) -> None:
    headers = {"X-Trodo-Site-Id": "some-other-site"}
    response = httpx.post(server.url + "/api/events", json=payloads.event(), headers=headers)
    assert response.status_code == 200


def test_identify_answer_carries_no_new_distinct_id_by_default(api: httpx.Client) -> None:
    assert api.post("/api/sdk/identify", json=payloads.identify()).json() == {"success": True}


def test_merge_on_identify_answers_new_distinct_id_with_the_identify_id(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.merge_on_identify = True
    response = api.post("/api/sdk/identify", json=payloads.identify("db_user_7"))
    assert response.json() == {"success": True, "newDistinctId": "db_user_7"}
    assert server.identifies == [payloads.identify("db_user_7")]


def test_clear_forgets_requests_violations_and_events(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    api.post("/api/events", json=payloads.event())
    api.post("/api/events", json={})
    server.clear()
    assert (server.requests, server.violations, server.events) == ([], [], [])
    api.post("/api/sdk/reset", json=payloads.reset())
    assert [r.index for r in server.requests] == [2]


def test_max_recorded_keeps_only_the_latest_requests(api: httpx.Client) -> None:
    with MockTrodoServer(max_recorded=2) as server:
        for name in ["a", "b", "c"]:
            httpx.post(server.url + "/api/events", json=payloads.event(name), headers=HEADERS)
        assert [e["event_name"] for e in server.events] == ["b", "c"]


def test_wait_for_events_returns_once_events_arrive_from_another_thread(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    sender = threading.Timer(
        0.05, lambda: api.post("/api/events/bulk", json=payloads.bulk("a", "b"))
    )
    sender.start()
    events = server.wait_for_events(2, timeout=5)
    sender.join()
    assert [e["event_name"] for e in events] == ["a", "b"]


def test_wait_for_events_times_out_saying_what_arrived(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    api.post("/api/events", json=payloads.event("only"))
    with pytest.raises(TimeoutError, match=r"for 2 accepted events, got 1") as raised:
        server.wait_for_events(2, timeout=0.1)
    assert "POST /api/events -> 200" in str(raised.value)


def test_wait_for_requests_counts_rejected_requests_too(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    api.post("/api/events", json={})
    assert len(server.wait_for_requests(1, timeout=1)) == 1


def test_on_request_is_called_with_each_recorded_request() -> None:
    seen: list[str] = []
    with MockTrodoServer(on_request=lambda r: seen.append(r.describe())) as server:
        httpx.post(server.url + "/api/sdk/reset", json=payloads.reset(), headers=HEADERS)
    assert seen == ["#0 POST /api/sdk/reset -> 200"]


def test_views_are_snapshots_that_later_requests_do_not_change(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    before = server.events
    api.post("/api/events", json=payloads.event())
    assert before == []
    assert len(server.events) == 1
