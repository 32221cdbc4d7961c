"""The rules every web integration shares (trodo/integrations/_request.py), on their own."""

from __future__ import annotations

import pytest

from trodo.integrations._request import (
    RequestSettings,
    answered_status,
    clean_id,
    is_control_flow,
    pick_ids,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("user_42", "user_42"),
        ("  user_42 ", "user_42"),
        (1001, "1001"),
        ("x" * 200, "x" * 200),
        ("x" * 201, None),
        ("", None),
        ("   ", None),
        ("a\nb", None),
        ("a\x00b", None),
        (None, None),
        (True, None),
        (3.5, None),
    ],
)
def test_an_id_from_the_request_is_kept_only_when_usable(raw: object, clean: str | None) -> None:
    assert clean_id(raw) == clean


def ids(
    settings: RequestSettings,
    signed_in: object = None,
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
) -> tuple[str | None, str | None]:
    found = {k.lower(): v for k, v in (headers or {}).items()}
    return pick_ids(
        settings,
        "the request",
        lambda: signed_in,
        lambda name: found.get(name.lower()),
        (cookies or {}).get,
    )


HEADERS = {"X-Trodo-Distinct-Id": "anon_1", "X-Trodo-Session-Id": "s-1"}


def test_the_apps_callable_then_the_signed_in_user_then_the_header() -> None:
    settings = RequestSettings(get_distinct_id=lambda request: "from_app")
    assert ids(settings, signed_in=7, headers=HEADERS) == ("from_app", "s-1")
    settings = RequestSettings(get_distinct_id=lambda request: None)
    assert ids(settings, signed_in=7, headers=HEADERS) == ("7", "s-1")
    assert ids(settings, headers=HEADERS) == ("anon_1", "s-1")


def test_a_raising_callable_falls_through_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    def broken(request: object) -> str:
        raise KeyError("user")

    assert ids(RequestSettings(get_distinct_id=broken), headers=HEADERS) == ("anon_1", "s-1")
    assert "get_distinct_id raised" in caplog.text


def test_a_session_without_a_user_is_not_bound() -> None:
    assert ids(RequestSettings(), headers={"X-Trodo-Session-Id": "s-1"}) == (None, None)


def test_the_cookie_is_read_only_when_named_and_the_header_is_absent() -> None:
    cookies = {"trodo_session": "from-cookie"}
    user = {"X-Trodo-Distinct-Id": "anon_1"}
    assert ids(RequestSettings(), headers=user, cookies=cookies) == ("anon_1", None)
    named = RequestSettings(session_id_cookie="trodo_session")
    assert ids(named, headers=user, cookies=cookies) == ("anon_1", "from-cookie")
    assert ids(named, headers=HEADERS, cookies=cookies) == ("anon_1", "s-1")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("get_distinct_id", "not callable"),
        ("distinct_id_header", ""),
        ("session_id_header", 5),
        ("session_id_cookie", ""),
    ],
)
def test_bad_options_are_refused_when_the_integration_is_set_up(name: str, value: object) -> None:
    with pytest.raises(TypeError, match=name):
        RequestSettings(**{name: value})  # type: ignore[arg-type]


def test_framework_http_exceptions_are_known_by_their_status() -> None:
    werkzeug = pytest.importorskip("werkzeug.exceptions")
    starlette = pytest.importorskip("starlette.exceptions")
    routing = pytest.importorskip("werkzeug.routing")

    assert answered_status(werkzeug.NotFound()) == 404
    assert answered_status(werkzeug.InternalServerError()) == 500
    assert answered_status(routing.RequestRedirect("/elsewhere")) == 308
    assert answered_status(starlette.HTTPException(status_code=409)) == 409
    assert answered_status(ValueError("plain")) is None
    assert is_control_flow(werkzeug.Forbidden())
    assert not is_control_flow(werkzeug.ServiceUnavailable())
    assert not is_control_flow(starlette.HTTPException(status_code=503))
    assert not is_control_flow(RuntimeError("a bug"))


def test_an_exception_with_a_code_attribute_is_not_mistaken_for_control_flow() -> None:
    class AppError(Exception):
        code = 404
        status_code = 404

    assert not is_control_flow(AppError())
