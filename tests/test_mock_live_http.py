"""The live page's HTTP side: the page and its assets, GET /_trodo/requests, POST /_trodo/clear.

What a browser does with the page is in test_mock_live_browser.py; this is
what a script (or the page) gets over HTTP.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from importlib import resources
from typing import Any

import httpx
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

import trodo
from trodo.testing import MockTrodoServer
from trodo.testing._live import LiveFeed, is_loopback, mask

from . import trodo_payloads as payloads
from .test_mock_cli import DevServer
from .trodo_payloads import HEADERS

SECRET_SITE = "site_4f9c1e7a2b"
SECRET_HEADERS = {"X-Trodo-Site-Id": SECRET_SITE}
CLEAR = {"X-Trodo-Live": "clear"}
PAGE_FILES = ["index.html", "live.js", "live.css", "icon.svg"]


@pytest.fixture
def server() -> Iterator[MockTrodoServer]:
    with MockTrodoServer() as mock:
        yield mock


@pytest.fixture
def api(server: MockTrodoServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=HEADERS) as client:
        yield client


def _feed(server: MockTrodoServer, **params: Any) -> dict[str, Any]:
    response = httpx.get(server.url + "/_trodo/requests", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    data: dict[str, Any] = response.json()
    return data


def _page_file(name: str) -> str:
    return resources.files("trodo.testing").joinpath("_page", name).read_text(encoding="utf-8")


# The page and its assets ----------------------------------------------------------------------


def test_page_is_served_at_the_root_as_html(server: MockTrodoServer) -> None:
    response = httpx.get(server.page_url)
    assert server.page_url == server.url + "/"
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Trodo mock server · live</title>" in response.text
    assert '<script src="/_trodo/assets/live.js" defer></script>' in response.text


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("live.js", "text/javascript; charset=utf-8"),
        ("live.css", "text/css; charset=utf-8"),
        ("icon.svg", "image/svg+xml"),
    ],
)
def test_assets_are_served_from_the_package(
    server: MockTrodoServer, name: str, content_type: str
) -> None:
    response = httpx.get(f"{server.url}/_trodo/assets/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.text == _page_file(name)


def test_unknown_asset_is_404_and_paths_do_not_escape_the_page_folder(
    server: MockTrodoServer,
) -> None:
    assert httpx.get(server.url + "/_trodo/assets/nope.js").status_code == 404
    assert httpx.get(server.url + "/_trodo/assets/../_spec.py").status_code == 404
    assert httpx.get(server.url + "/_trodo/assets/%2e%2e%2f_spec.py").status_code == 404


@pytest.mark.parametrize("path", ["/", "/_trodo/assets/live.js", "/_trodo/requests"])
def test_page_and_data_carry_a_strict_content_security_policy(
    server: MockTrodoServer, path: str
) -> None:
    headers = httpx.get(server.url + path).headers
    policy = {
        part.split()[0]: part.split()[1:] for part in headers["content-security-policy"].split("; ")
    }
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    # No CORS grant: another site's scripts cannot read the data.
    assert "access-control-allow-origin" not in headers


def test_page_loads_nothing_from_outside_the_package() -> None:
    for name in ["index.html", "live.js", "live.css"]:
        text = _page_file(name)
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import", text, re.I), name
    # Every file the page refers to is one the server serves.
    html = _page_file("index.html")
    assert set(re.findall(r'(?:src|href)="([^"]+)"', html)) == {
        "/_trodo/assets/icon.svg",
        "/_trodo/assets/live.css",
        "/_trodo/assets/live.js",
    }


def test_page_script_never_parses_data_as_html() -> None:
    script = _page_file("live.js")
    for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("]:
        assert sink not in script


def test_page_requests_are_not_recorded_or_validated(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    for path in ["/", "/favicon.ico", "/_trodo/assets/live.js", "/_trodo/requests"]:
        assert httpx.get(server.url + path).status_code == 200
    assert server.requests == []
    assert _feed(server)["counts"] == {"requests": 0, "events_accepted": 0, "violations": 0}


def test_api_requests_to_the_root_are_still_checked(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    response = api.post("/", json=payloads.event())
    assert response.status_code == 404
    assert server.violations[0].message == "no such endpoint: /"


def test_page_answers_only_to_a_local_host_name(server: MockTrodoServer) -> None:
    # A page on another site whose name was rebound to 127.0.0.1 sends its own Host.
    for path in ["/", "/_trodo/requests", "/_trodo/assets/live.js"]:
        response = httpx.get(server.url + path, headers={"Host": "attacker.example:8787"})
        assert response.status_code == 403, path
    for host in ["localhost", f"localhost:{server.port}", f"127.0.0.1:{server.port}"]:
        assert httpx.get(server.url + "/", headers={"Host": host}).status_code == 200, host


def test_api_answers_whatever_the_host_header(server: MockTrodoServer) -> None:
    response = httpx.post(
        server.url + "/api/events",
        json=payloads.event(),
        headers={**HEADERS, "Host": "sdkapi.trodo.ai"},
    )
    assert response.status_code == 200
    assert len(server.events) == 1


def test_a_server_told_to_listen_beyond_loopback_answers_any_host_name() -> None:
    # No socket: the tests listen on 127.0.0.1 only. The feed decides by the host given.
    feed = LiveFeed(host="0.0.0.0", clear=lambda: None)
    request = Request(EnvironBuilder(path="/", headers={"Host": "devbox.lan:8787"}).get_environ())
    answer = feed.serve(request)
    assert answer is not None
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("app.localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("", False),
        ("192.168.1.20", False),
        ("localhost.attacker.example", False),
    ],
)
def test_loopback_names(host: str, local: bool) -> None:
    assert is_loopback(host) is local


# GET /_trodo/requests ---------------------------------------------------------------------------


def test_requests_come_oldest_first_with_what_each_carried(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    api.post("/api/sdk/track", json=payloads.session())
    api.post("/api/events/bulk", json=payloads.bulk("signup", "invite_sent"))
    api.post("/api/sdk/identify", json=payloads.identify())

    data = _feed(server)

    assert [r["path"] for r in data["requests"]] == [
        "/api/sdk/track",
        "/api/events/bulk",
        "/api/sdk/identify",
    ]
    assert [r["seq"] for r in data["requests"]] == [1, 2, 3]
    assert data["cursor"] == 3
    assert data["more"] is False
    session, bulk, identify = data["requests"]
    assert (bulk["status"], bulk["accepted"], bulk["violation"], bulk["fault"]) == (
        200,
        True,
        None,
        None,
    )
    assert bulk["body"]["events"][0]["event_name"] == "signup"
    assert isinstance(bulk["received_at"], float)
    assert [(i["kind"], i["name"], i["user"], i["session"]) for i in bulk["items"]] == [
        ("event", "signup", "user_42", payloads.SESSION),
        ("event", "invite_sent", "user_42", payloads.SESSION),
    ]
    assert bulk["items"][0]["properties"] == {"plan": "pro", "amount": 49.5}
    [registration] = session["items"]
    assert (registration["name"], registration["user"], registration["session"]) == (
        "session",
        "user_42",
        payloads.SESSION,
    )
    assert registration["properties"]["device_type"] == "server"
    [call] = identify["items"]
    assert (call["kind"], call["name"], call["user"], call["session"]) == (
        "call",
        "identify",
        "anon_7f3e",
        payloads.SESSION,
    )
    assert call["properties"] == {"identifyId": "db_user_1001"}


def test_counts_are_accepted_events_and_violations(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    api.post("/api/events/bulk", json=payloads.bulk("a", "b", "c"))
    server.fail_next(status=503)
    api.post("/api/events", json=payloads.event("refused"))
    api.post("/api/events", json={"event_name": "broken"})

    assert _feed(server)["counts"] == {"requests": 3, "events_accepted": 3, "violations": 1}
    assert len(server.events) == 3


def test_since_gives_only_what_was_recorded_after_the_cursor(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    api.post("/api/events", json=payloads.event("first"))
    cursor = _feed(server)["cursor"]
    api.post("/api/events", json=payloads.event("second"))
    api.post("/api/events", json=payloads.event("third"))

    later = _feed(server, since=cursor)

    assert [r["items"][0]["name"] for r in later["requests"]] == ["second", "third"]
    assert _feed(server, since=later["cursor"])["requests"] == []
    assert _feed(server, since=later["cursor"])["cursor"] == later["cursor"]


def test_a_request_recorded_late_is_not_skipped_by_the_cursor(server: MockTrodoServer) -> None:
    # A delayed answer is recorded after requests that arrived later: the cursor
    # follows recording, so a poller that already read those still gets it.
    server.delay_next(1.0, path="/api/sdk/identify")
    slow = threading.Thread(
        target=httpx.post,
        args=(server.url + "/api/sdk/identify",),
        kwargs={"json": payloads.identify(), "headers": HEADERS, "timeout": 10},
    )
    slow.start()
    try:
        # The delay is taken once the slow request has its index: the quick one is next.
        deadline = time.monotonic() + 10
        while server.pending_faults and time.monotonic() < deadline:
            time.sleep(0.01)
        httpx.post(server.url + "/api/events", json=payloads.event("quick"), headers=HEADERS)
        first = _feed(server)
        assert [r["path"] for r in first["requests"]] == ["/api/events"]
    finally:
        slow.join(timeout=10)
    late = _feed(server, since=first["cursor"])
    assert [(r["path"], r["index"]) for r in late["requests"]] == [("/api/sdk/identify", 0)]
    assert first["requests"][0]["index"] == 1


def test_limit_pages_through_with_more(server: MockTrodoServer, api: httpx.Client) -> None:
    for name in ["a", "b", "c"]:
        api.post("/api/events", json=payloads.event(name))
    page = _feed(server, limit=2)
    assert [r["seq"] for r in page["requests"]] == [1, 2]
    assert page["more"] is True
    rest = _feed(server, since=page["cursor"], limit=2)
    assert [r["seq"] for r in rest["requests"]] == [3]
    assert rest["more"] is False


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=-1", "since must be an integer >= 0, got '-1'"),
        ("since=abc", "since must be an integer >= 0, got 'abc'"),
        ("limit=0", "limit must be an integer >= 1, got '0'"),
    ],
)
def test_bad_cursor_or_limit_is_a_400_with_the_reason(
    server: MockTrodoServer, query: str, message: str
) -> None:
    response = httpx.get(f"{server.url}/_trodo/requests?{query}")
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_violation_carries_its_reason_and_what_the_body_named(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    api.post("/api/events", json={"event_name": "broken", "user_id": "user_7"})
    [request] = _feed(server)["requests"]
    assert request["status"] == 400
    assert request["accepted"] is False
    assert "body: 'event_type' is a required property" in request["violation"]
    [item] = request["items"]
    assert (item["name"], item["user"], item["session"]) == ("broken", "user_7", None)


def test_body_that_is_not_json_comes_as_text(server: MockTrodoServer) -> None:
    httpx.post(
        server.url + "/api/events",
        content=b"event=<b>signup</b>",
        headers={**HEADERS, "Content-Type": "application/json"},
    )
    [request] = _feed(server)["requests"]
    assert request["body"] is None
    assert request["body_text"] == "event=<b>signup</b>"
    assert request["items"] == []


def test_an_endpoint_the_page_does_not_know_shows_its_user_and_fields(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    # Profile writes (and any endpoint added later) name the user the same way.
    body = {"siteId": "test-site", "userId": "user_42", "properties": {"plan": "pro"}}
    api.post("/api/sdk/people/frobnicate", json=body)
    [request] = _feed(server)["requests"]
    [item] = request["items"]
    assert (item["kind"], item["name"], item["user"], item["session"]) == (
        "call",
        "people/frobnicate",
        "user_42",
        None,
    )
    assert item["properties"] == {"properties": {"plan": "pro"}}


def test_site_id_is_masked_everywhere_in_the_data(server: MockTrodoServer) -> None:
    client = trodo.TrodoClient(SECRET_SITE, api_base=server.url)
    try:
        client.track("user_42", "signup", {"site": SECRET_SITE})
        client.for_user("anon_1").identify("user_42")
        client.flush()
    finally:
        client.shutdown()
    httpx.post(server.url + "/api/sdk/reset", json={"siteId": SECRET_SITE}, headers=SECRET_HEADERS)
    httpx.post(server.url + "/api/events", content=SECRET_SITE.encode(), headers=SECRET_HEADERS)

    response = httpx.get(server.url + "/_trodo/requests")

    assert len(response.json()["requests"]) >= 5
    assert SECRET_SITE not in response.text
    assert SECRET_SITE[5:] not in response.text
    requests = response.json()["requests"]
    assert {r["site_id"] for r in requests} == {"site…"}
    session = next(r for r in requests if r["path"] == "/api/sdk/track")
    assert session["body"]["sessionData"]["site_id"] == "site…"
    assert requests[-1]["body_text"] == "site…"


def test_max_recorded_bounds_the_feed_too() -> None:
    with MockTrodoServer(max_recorded=2) as server:
        for name in ["a", "b", "c"]:
            httpx.post(server.url + "/api/events", json=payloads.event(name), headers=HEADERS)
        data = _feed(server)
    assert [r["items"][0]["name"] for r in data["requests"]] == ["b", "c"]
    assert data["counts"]["requests"] == 3


# POST /_trodo/clear ------------------------------------------------------------------------------


def test_clear_forgets_the_servers_records_and_starts_a_new_epoch(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    api.post("/api/events", json=payloads.event())
    api.post("/api/events", json={})
    before = _feed(server)

    response = httpx.post(server.url + "/_trodo/clear", headers=CLEAR)

    assert response.status_code == 200
    after = _feed(server, since=0)
    assert response.json() == {"cleared": True, "epoch": after["epoch"]}
    assert after["epoch"] != before["epoch"]
    assert after["requests"] == []
    assert after["counts"] == {"requests": 0, "events_accepted": 0, "violations": 0}
    assert (server.requests, server.events, server.violations) == ([], [], [])


def test_server_clear_starts_a_new_epoch_for_the_page(server: MockTrodoServer) -> None:
    epoch = _feed(server)["epoch"]
    server.clear()
    assert _feed(server)["epoch"] != epoch


def test_clear_without_the_pages_header_is_refused(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    # A form on another site can post here, but cannot add a custom header.
    api.post("/api/events", json=payloads.event())
    response = httpx.post(server.url + "/_trodo/clear", data={"x": "1"})
    assert response.status_code == 403
    assert len(server.requests) == 1


def test_clear_from_another_origin_is_refused(server: MockTrodoServer, api: httpx.Client) -> None:
    api.post("/api/events", json=payloads.event())
    response = httpx.post(
        server.url + "/_trodo/clear", headers={**CLEAR, "Origin": "http://attacker.example"}
    )
    assert response.status_code == 403
    assert len(server.requests) == 1
    same_origin = {**CLEAR, "Origin": server.url}
    assert httpx.post(server.url + "/_trodo/clear", headers=same_origin).status_code == 200


def test_clear_by_get_is_not_allowed(server: MockTrodoServer, api: httpx.Client) -> None:
    api.post("/api/events", json=payloads.event())
    response = httpx.get(server.url + "/_trodo/clear")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert len(server.requests) == 1


# The dev server command -------------------------------------------------------------------------


def test_dev_server_prints_the_page_url_and_serves_it() -> None:
    dev = DevServer()
    try:
        dev.line()
        assert f"watch its requests arrive at {dev.url}/ in a browser" in dev.line()
        assert "Trodo mock server" in httpx.get(dev.url + "/").text
        httpx.post(dev.url + "/api/events", json=payloads.event("signup"), headers=HEADERS)
        dev.line()
        [request] = httpx.get(dev.url + "/_trodo/requests").json()["requests"]
        assert request["items"][0]["name"] == "signup"
    finally:
        dev.stop()


@pytest.mark.parametrize("site_id", ["site_4f9c1e7a2b", "abcdefg", "abcdef", "s", ""])
def test_page_masks_site_ids_by_the_sdks_rule(site_id: str) -> None:
    # trodo.testing keeps its own copy of the rule (it imports no private core
    # module at run time); this keeps the two the same.
    from trodo._core.config import mask as sdk_mask

    assert mask(site_id) == sdk_mask(site_id)
