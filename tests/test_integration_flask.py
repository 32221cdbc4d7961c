"""trodo.integrations.flask against real Flask: its test client and the mock server."""

from __future__ import annotations

import json

import pytest

flask = pytest.importorskip("flask")

from flask import Flask, abort, redirect  # noqa: E402

import trodo  # noqa: E402
from trodo.integrations.flask import init_app  # noqa: E402
from trodo.testing import MockTrodoServer  # noqa: E402

SECRET = "s3cr3t-value"


class CardDeclinedError(Exception):
    pass


def make_app(server: MockTrodoServer, **options: object) -> Flask:
    app = Flask(__name__)

    @app.get("/whoami")
    def whoami() -> dict[str, object]:
        user = trodo.current_user()
        if user is None:
            return {"user": None}
        return {"user": user.get_current_distinct_id(), "session": user.get_session_id()}

    @app.get("/orders/<int:order_id>")
    def order(order_id: int) -> str:
        user = trodo.current_user()
        if user is not None:
            user.track("order_viewed", {"order": order_id})
        return "ok"

    @app.post("/orders/<int:order_id>/charge")
    def charge(order_id: int) -> str:
        raise CardDeclinedError(f"order {order_id} declined")

    @app.get("/missing")
    def missing() -> str:
        abort(404)

    @app.get("/teapot")
    def teapot() -> str:
        abort(418)

    @app.get("/moved")
    def moved() -> object:
        return redirect("/whoami")

    init_app(app, site_id=server.site_id, api_base=server.url, **options)  # type: ignore[arg-type]
    return app


HEADERS = {"X-Trodo-Distinct-Id": "anon_7f3e", "X-Trodo-Session-Id": "b7d4c1e2"}


def test_an_event_in_a_view_carries_the_headers_distinct_id_and_session(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    app = make_app(trodo_server)

    assert app.test_client().get("/orders/7", headers=HEADERS).status_code == 200

    [event] = trodo_server.events
    assert (event["event_name"], event["user_id"], event["session_id"]) == (
        "order_viewed",
        "anon_7f3e",
        "b7d4c1e2",
    )


def test_an_anonymous_request_binds_no_user_and_sends_nothing(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    client = make_app(trodo_server).test_client()
    assert client.get("/whoami").json == {"user": None}
    assert client.get("/orders/7").status_code == 200
    assert trodo_server.requests == []
    assert trodo.current_user() is None


def test_the_session_id_can_come_from_a_cookie(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    client = make_app(trodo_server, session_id_cookie="trodo_session").test_client()
    client.set_cookie("trodo_session", "from-cookie")
    answer = client.get("/whoami", headers={"X-Trodo-Distinct-Id": "anon_1"})
    assert answer.json == {"user": "anon_1", "session": "from-cookie"}


def test_an_app_callable_names_the_user_first(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    app = make_app(trodo_server, get_distinct_id=lambda request: request.headers.get("X-App-User"))
    answer = app.test_client().get("/whoami", headers={**HEADERS, "X-App-User": "db_1001"})
    assert answer.json == {"user": "db_1001", "session": "b7d4c1e2"}


def test_an_exception_in_a_view_is_a_server_error_with_the_rule_and_nothing_private(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    client = make_app(trodo_server).test_client()
    client.set_cookie("private", SECRET)

    response = client.post(
        f"/orders/42/charge?token={SECRET}",
        data={"password": SECRET},
        headers={**HEADERS, "Authorization": f"Bearer {SECRET}"},
    )

    assert response.status_code == 500  # Flask's own answer
    [event] = trodo_server.events
    props = event["custom_properties"]
    assert (event["event_name"], event["user_id"]) == ("server_error", "anon_7f3e")
    assert props["error_type"] == "CardDeclinedError"
    assert (props["route"], props["method"], props["status"]) == (
        "/orders/<int:order_id>/charge",
        "POST",
        500,
    )
    assert SECRET not in json.dumps(event)


def test_the_exception_still_propagates_when_flask_propagates_exceptions(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    app = make_app(trodo_server)
    app.testing = True  # PROPAGATE_EXCEPTIONS: the test client re-raises

    with pytest.raises(CardDeclinedError, match="order 1 declined"):
        app.test_client().post("/orders/1/charge", headers=HEADERS)
    assert [e["event_name"] for e in trodo_server.events] == ["server_error"]


def test_extra_error_properties_are_sent_only_when_the_app_returns_them(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    app = make_app(
        trodo_server, error_properties=lambda request: {"tenant": request.headers["X-Tenant"]}
    )
    app.test_client().post("/orders/1/charge", headers={**HEADERS, "X-Tenant": "acme"})
    [event] = trodo_server.events
    assert event["custom_properties"]["tenant"] == "acme"


@pytest.mark.parametrize(
    ("url", "status"), [("/missing", 404), ("/teapot", 418), ("/moved", 302), ("/nope", 404)]
)
def test_control_flow_is_not_reported(
    trodo_server: MockTrodoServer, default_client: None, url: str, status: int
) -> None:
    assert make_app(trodo_server).test_client().get(url, headers=HEADERS).status_code == status
    assert trodo_server.events == []


def test_init_app_returns_the_default_client(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    app = Flask(__name__)
    client = init_app(app, site_id=trodo_server.site_id, api_base=trodo_server.url)
    assert client is trodo.get_client()


def test_client_options_with_a_client_are_refused(trodo_server: MockTrodoServer) -> None:
    with (
        trodo_server.client() as client,
        pytest.raises(TypeError, match="pass them to the client"),
    ):
        init_app(Flask(__name__), client=client, batch_enabled=True)


def test_disabled_binds_users_and_sends_nothing(
    trodo_server: MockTrodoServer, default_client: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRODO_SITE_ID", raising=False)
    app = Flask(__name__)

    @app.get("/orders/<int:order_id>")
    def order(order_id: int) -> str:
        user = trodo.current_user()
        assert user is not None
        user.track("order_viewed")
        raise CardDeclinedError("declined")

    client = init_app(app, disabled=True, api_base=trodo_server.url)
    assert app.test_client().get("/orders/1", headers=HEADERS).status_code == 500
    assert client.stats().disabled == 2
    assert trodo_server.requests == []
