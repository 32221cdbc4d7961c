"""trodo.integrations.django against real Django: its test client, real auth, the mock server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="integration-tests",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "trodo.integrations.django.TrodoMiddleware",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
        LOGGING_CONFIG=None,
    )
    django.setup()

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.test import AsyncClient, Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

import trodo  # noqa: E402
from trodo.integrations import django as trodo_django  # noqa: E402
from trodo.testing import MockTrodoServer  # noqa: E402

SECRET = "s3cr3t-value"


class CardDeclinedError(Exception):
    pass


def whoami(request: HttpRequest) -> JsonResponse:
    user = trodo.current_user()
    if user is None:
        return JsonResponse({"user": None})
    return JsonResponse({"user": user.get_current_distinct_id(), "session": user.get_session_id()})


def order(request: HttpRequest, pk: int) -> HttpResponse:
    user = trodo.current_user()
    if user is not None:
        user.track("order_viewed", {"order": pk})
    return HttpResponse("ok")


def charge(request: HttpRequest, pk: int) -> HttpResponse:
    raise CardDeclinedError(f"order {pk} declined")


def missing(request: HttpRequest) -> HttpResponse:
    raise Http404("no such order")


def denied(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def bad(request: HttpRequest) -> HttpResponse:
    raise BadRequest("malformed")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("tampered")


async def async_order(request: HttpRequest, pk: int) -> HttpResponse:
    user = trodo.current_user()
    if user is not None:
        # A sync client on an async view: this blocks, which the README warns about;
        # the test only checks that the binding reached the view.
        user.track("order_viewed_async", {"order": pk})
    return HttpResponse("ok")


async def async_charge(request: HttpRequest, pk: int) -> HttpResponse:
    raise CardDeclinedError("async declined")


def app_distinct_id(request: HttpRequest) -> str | None:
    return request.headers.get("X-App-User")


urlpatterns = [
    path("whoami/", whoami),
    path("orders/<int:pk>/", order),
    path("orders/<int:pk>/charge/", charge),
    path("missing/", missing),
    path("denied/", denied),
    path("bad/", bad),
    path("suspicious/", suspicious),
    path("async/orders/<int:pk>/", async_order),
    path("async/orders/<int:pk>/charge/", async_charge),
]


@pytest.fixture(scope="module", autouse=True)
def database() -> None:
    call_command("migrate", run_syncdb=True, verbosity=0)


@pytest.fixture
def configured(trodo_server: MockTrodoServer, default_client: None) -> Iterator[MockTrodoServer]:
    """settings.TRODO pointing at the mock server; the process client forgotten afterwards."""
    with override_settings(TRODO={"site_id": trodo_server.site_id, "api_base": trodo_server.url}):
        trodo_django._forget()
        yield trodo_server
    trodo_django._forget()


def headers(distinct_id: str | None = "anon_7f3e", session_id: str | None = "b7d4c1e2") -> dict:
    out = {}
    if distinct_id is not None:
        out["HTTP_X_TRODO_DISTINCT_ID"] = distinct_id
    if session_id is not None:
        out["HTTP_X_TRODO_SESSION_ID"] = session_id
    return out


def test_an_event_in_a_view_carries_the_headers_distinct_id_and_session(
    configured: MockTrodoServer,
) -> None:
    response = Client().get("/orders/7/", **headers())

    assert response.status_code == 200
    [event] = configured.events
    assert event["event_name"] == "order_viewed"
    assert event["user_id"] == "anon_7f3e"
    assert event["session_id"] == "b7d4c1e2"
    assert event["custom_properties"] == {"order": 7}


def test_the_signed_in_user_is_the_distinct_id_before_the_header(
    configured: MockTrodoServer,
) -> None:
    from django.contrib.auth.models import User

    user, _ = User.objects.get_or_create(username="ada")
    client = Client()
    client.force_login(user)

    answer = client.get("/whoami/", **headers(distinct_id="anon_7f3e"))

    assert answer.json() == {"user": str(user.pk), "session": "b7d4c1e2"}


def test_an_anonymous_request_binds_no_user_and_sends_nothing(
    configured: MockTrodoServer,
) -> None:
    assert Client().get("/whoami/").json() == {"user": None}
    assert Client().get("/orders/7/").status_code == 200
    assert configured.requests == []


def test_outside_a_request_there_is_no_current_user(configured: MockTrodoServer) -> None:
    Client().get("/whoami/", **headers())
    assert trodo.current_user() is None


def test_an_app_callable_names_the_user_first(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    options = {
        "site_id": trodo_server.site_id,
        "api_base": trodo_server.url,
        "get_distinct_id": f"{__name__}.app_distinct_id",
        "session_id_header": "X-Browser-Session",
    }
    with override_settings(TRODO=options):
        trodo_django._forget()
        answer = Client().get(
            "/whoami/", HTTP_X_APP_USER="db_1001", HTTP_X_BROWSER_SESSION="s-9", **headers()
        )
    trodo_django._forget()

    assert answer.json() == {"user": "db_1001", "session": "s-9"}


@pytest.mark.parametrize("bad", ["x" * 201, "tab\there", "   "])
def test_an_unusable_distinct_id_header_binds_no_user(
    configured: MockTrodoServer, bad: str
) -> None:
    assert Client().get("/whoami/", **headers(distinct_id=bad)).json() == {"user": None}


def test_an_exception_in_a_view_is_a_server_error_with_the_route_and_nothing_private(
    configured: MockTrodoServer,
) -> None:
    client = Client(raise_request_exception=False)
    client.cookies["sessionid_private"] = SECRET
    response = client.post(
        f"/orders/42/charge/?token={SECRET}",
        data={"password": SECRET},
        HTTP_AUTHORIZATION=f"Bearer {SECRET}",
        **headers(),
    )

    assert response.status_code == 500  # Django's own answer
    [event] = configured.events
    assert event["event_name"] == "server_error"
    assert event["user_id"] == "anon_7f3e"
    assert event["session_id"] == "b7d4c1e2"
    props = event["custom_properties"]
    assert props["error_type"] == "CardDeclinedError"
    assert props["message"] == "order 42 declined"
    assert (props["route"], props["method"], props["status"]) == (
        "/orders/<int:pk>/charge/",
        "POST",
        500,
    )
    assert SECRET not in json.dumps(event)
    assert "/orders/42/charge/" not in json.dumps(props)  # the template, never the raw path


def test_the_exception_still_propagates_as_without_trodo(configured: MockTrodoServer) -> None:
    with pytest.raises(CardDeclinedError, match="order 1 declined"):
        Client().get("/orders/1/charge/")
    assert [e["event_name"] for e in configured.events] == ["server_error"]


def test_an_anonymous_requests_error_goes_to_the_auto_events_user(
    configured: MockTrodoServer,
) -> None:
    Client(raise_request_exception=False).get("/orders/3/charge/")
    [event] = configured.events
    assert event["user_id"] == "server"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/missing/", 404),
        ("/denied/", 403),
        ("/bad/", 400),
        ("/suspicious/", 400),
        ("/nope/", 404),
    ],
)
def test_control_flow_exceptions_are_not_reported(
    configured: MockTrodoServer, url: str, status: int
) -> None:
    assert Client().get(url, **headers()).status_code == status
    assert configured.events == []


def test_capture_errors_off_reports_nothing(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    options: dict[str, Any] = {
        "site_id": trodo_server.site_id,
        "api_base": trodo_server.url,
        "capture_errors": False,
    }
    with override_settings(TRODO=options):
        trodo_django._forget()
        assert Client(raise_request_exception=False).get("/orders/3/charge/").status_code == 500
    trodo_django._forget()
    assert trodo_server.events == []


def test_the_middleware_makes_one_client_per_process_as_the_default(
    configured: MockTrodoServer,
) -> None:
    Client().get("/orders/1/", **headers())
    Client().get("/orders/2/", **headers())
    assert trodo_django._configured()[1] is trodo.get_client()
    assert len(configured.sessions) == 1  # one client, one cached user, one session


def test_async_views_see_the_user_and_report_errors(configured: MockTrodoServer) -> None:
    async def scenario() -> tuple[int, int]:
        client = AsyncClient(raise_request_exception=False)
        ok = await client.get("/async/orders/5/", headers={"X-Trodo-Distinct-Id": "anon_a"})
        failed = await client.post(
            "/async/orders/5/charge/", headers={"X-Trodo-Distinct-Id": "anon_a"}
        )
        return ok.status_code, failed.status_code

    assert asyncio.run(scenario()) == (200, 500)
    viewed, error = configured.wait_for_events(2)
    assert (viewed["event_name"], viewed["user_id"]) == ("order_viewed_async", "anon_a")
    assert (error["event_name"], error["user_id"]) == ("server_error", "anon_a")
    assert error["custom_properties"]["route"] == "/async/orders/<int:pk>/charge/"


def test_disabled_in_settings_binds_users_and_sends_nothing(
    trodo_server: MockTrodoServer, default_client: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    monkeypatch.delenv("TRODO_SITE_ID", raising=False)
    threads = set(threading.enumerate())
    with override_settings(TRODO={"disabled": True, "batch_enabled": True}):
        trodo_django._forget()
        http = Client(raise_request_exception=False)
        assert http.get("/whoami/", **headers()).json()["user"] == "anon_7f3e"
        assert http.get("/orders/7/", **headers()).status_code == 200
        assert http.get("/orders/7/charge/", **headers()).status_code == 500
        stats = trodo.get_client().stats()
    trodo_django._forget()
    assert stats.disabled == 2  # the event and the error, counted, not sent
    assert trodo_server.requests == []
    assert set(threading.enumerate()) == threads
