"""trodo.integrations.asgi against real Starlette and FastAPI, through Starlette's TestClient."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

pytest.importorskip("starlette")

from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.exceptions import HTTPException
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route

# Starlette 1.x asks for httpx2 under its TestClient (at import); httpx is what the suite has.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

import trodo
from trodo.integrations.asgi import TrodoMiddleware
from trodo.testing import MockTrodoServer

SECRET = "s3cr3t-value"
HEADERS = {"X-Trodo-Distinct-Id": "anon_7f3e", "X-Trodo-Session-Id": "b7d4c1e2"}


class CardDeclinedError(Exception):
    pass


async def async_order(request: Request) -> PlainTextResponse:
    user = trodo.current_async_user()
    if user is not None:
        await user.track("order_viewed", {"order": int(request.path_params["order_id"])})
    return PlainTextResponse("ok")


def sync_order(request: Request) -> PlainTextResponse:
    user = trodo.current_user()  # a sync endpoint runs in a worker thread
    if user is not None:
        user.track("order_viewed", {"order": int(request.path_params["order_id"])})
    return PlainTextResponse("ok")


async def whoami(request: Request) -> JSONResponse:
    bound = trodo._current.binding()
    if bound is None or bound.distinct_id is None:
        return JSONResponse({"user": None})
    return JSONResponse({"user": bound.distinct_id, "session": bound.session_id})


async def charge(request: Request) -> PlainTextResponse:
    raise CardDeclinedError(f"order {request.path_params['order_id']} declined")


async def teapot(request: Request) -> PlainTextResponse:
    raise HTTPException(status_code=418)


def routes(order: Any) -> list[Any]:
    return [
        Route("/whoami", whoami),
        Route("/orders/{order_id:int}", order),
        Route("/orders/{order_id:int}/charge", charge, methods=["POST"]),
        Route("/teapot", teapot),
        Mount("/v2", routes=[Route("/orders/{order_id:int}/charge", charge, methods=["POST"])]),
    ]


def test_an_async_client_made_by_the_middleware_delivers_at_lifespan_shutdown(
    trodo_server: MockTrodoServer,
) -> None:
    app = Starlette(routes=routes(async_order))
    app.add_middleware(
        TrodoMiddleware, site_id=trodo_server.site_id, api_base=trodo_server.url, batch_enabled=True
    )

    with TestClient(app) as http:
        assert http.get("/orders/7", headers=HEADERS).status_code == 200
        # Batched, so nothing was sent yet: the lifespan shutdown delivers it.

    [event] = trodo_server.events
    assert (event["event_name"], event["user_id"], event["session_id"]) == (
        "order_viewed",
        "anon_7f3e",
        "b7d4c1e2",
    )
    assert event["custom_properties"] == {"order": 7}


def test_a_sync_client_serves_sync_endpoints_through_current_user(
    trodo_server: MockTrodoServer,
) -> None:
    with trodo_server.client() as client:
        app = Starlette(routes=routes(sync_order))
        app.add_middleware(TrodoMiddleware, client=client)
        with TestClient(app) as http:
            assert http.get("/orders/7", headers=HEADERS).status_code == 200
        [event] = trodo_server.events
        assert (event["user_id"], event["session_id"]) == ("anon_7f3e", "b7d4c1e2")


def test_an_anonymous_request_binds_no_user(trodo_server: MockTrodoServer) -> None:
    app = Starlette(routes=routes(async_order))
    app.add_middleware(TrodoMiddleware, site_id=trodo_server.site_id, api_base=trodo_server.url)
    with TestClient(app) as http:
        assert http.get("/whoami").json() == {"user": None}
        assert http.get("/orders/1").status_code == 200
    assert trodo_server.requests == []


def test_an_exception_is_a_server_error_with_the_route_template_and_nothing_private(
    trodo_server: MockTrodoServer,
) -> None:
    app = Starlette(routes=routes(async_order))
    app.add_middleware(TrodoMiddleware, site_id=trodo_server.site_id, api_base=trodo_server.url)

    with TestClient(app, raise_server_exceptions=False) as http:
        http.cookies.set("private", SECRET)
        response = http.post(
            f"/orders/42/charge?token={SECRET}",
            content=f"password={SECRET}",
            headers={**HEADERS, "Authorization": f"Bearer {SECRET}"},
        )
        mounted = http.post("/v2/orders/9/charge", headers=HEADERS)

    assert (response.status_code, mounted.status_code) == (500, 500)  # Starlette's own
    first, second = trodo_server.events
    props = first["custom_properties"]
    assert (first["event_name"], first["user_id"], first["session_id"]) == (
        "server_error",
        "anon_7f3e",
        "b7d4c1e2",
    )
    assert (props["error_type"], props["route"], props["method"], props["status"]) == (
        "CardDeclinedError",
        "/orders/{order_id:int}/charge",
        "POST",
        500,
    )
    assert second["custom_properties"]["route"] == "/v2/orders/{order_id:int}/charge"
    assert SECRET not in json.dumps(first)


def test_the_exception_still_propagates_as_without_trodo(trodo_server: MockTrodoServer) -> None:
    app = Starlette(routes=routes(async_order))
    app.add_middleware(TrodoMiddleware, site_id=trodo_server.site_id, api_base=trodo_server.url)
    with TestClient(app) as http, pytest.raises(CardDeclinedError, match="order 1 declined"):
        http.post("/orders/1/charge", headers=HEADERS)
    assert [e["event_name"] for e in trodo_server.events] == ["server_error"]


def test_404s_and_http_exceptions_below_500_are_not_reported(
    trodo_server: MockTrodoServer,
) -> None:
    app = Starlette(routes=routes(async_order))
    app.add_middleware(TrodoMiddleware, site_id=trodo_server.site_id, api_base=trodo_server.url)
    with TestClient(app) as http:
        assert http.get("/nope", headers=HEADERS).status_code == 404
        assert http.get("/teapot", headers=HEADERS).status_code == 418
    assert trodo_server.events == []


def test_a_sync_client_without_batching_never_sends_on_the_event_loop(
    trodo_server: MockTrodoServer,
) -> None:
    calls: list[bool] = []
    with trodo_server.client() as client:
        send_event = client._transport.send_event

        def watched(record: Any) -> Any:
            try:
                asyncio.get_running_loop()
                calls.append(True)
            except RuntimeError:
                calls.append(False)
            return send_event(record)

        client._transport.send_event = watched  # type: ignore[method-assign]
        app = Starlette(routes=routes(async_order))
        app.add_middleware(TrodoMiddleware, client=client)
        with TestClient(app, raise_server_exceptions=False) as http:
            assert http.post("/orders/1/charge", headers=HEADERS).status_code == 500
    assert calls == [False]  # sent once, from a thread that runs no loop
    assert [e["event_name"] for e in trodo_server.events] == ["server_error"]


def test_a_signed_in_starlette_user_is_the_distinct_id(trodo_server: MockTrodoServer) -> None:
    class HeaderAuth(AuthenticationBackend):
        async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser]:
            return AuthCredentials(["authenticated"]), SimpleUser("ada")

    app = Starlette(routes=routes(async_order))
    app.add_middleware(TrodoMiddleware, site_id=trodo_server.site_id, api_base=trodo_server.url)
    app.add_middleware(AuthenticationMiddleware, backend=HeaderAuth())  # outside trodo's
    with TestClient(app) as http:
        assert http.get("/whoami", headers=HEADERS).json() == {
            "user": "ada",
            "session": "b7d4c1e2",
        }


def test_fastapi_with_its_own_lifespan_and_a_path_template(
    trodo_server: MockTrodoServer,
) -> None:
    fastapi = pytest.importorskip("fastapi")
    ran: list[str] = []

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        ran.append("startup")
        yield
        ran.append("shutdown")

    app = fastapi.FastAPI(lifespan=lifespan)

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        user = trodo.current_async_user()
        assert user is not None
        await user.track("item_viewed", {"item": item_id})
        return {"item": item_id}

    @app.post("/items/{item_id}/buy")
    async def buy(item_id: int) -> None:
        raise CardDeclinedError("declined")

    @app.get("/items/{item_id}/gone")
    async def gone(item_id: int) -> None:
        raise fastapi.HTTPException(status_code=404)

    app.add_middleware(
        TrodoMiddleware, site_id=trodo_server.site_id, api_base=trodo_server.url, batch_enabled=True
    )
    with TestClient(app, raise_server_exceptions=False) as http:
        assert http.get("/items/3", headers=HEADERS).json() == {"item": 3}
        assert http.get("/items/3/gone", headers=HEADERS).status_code == 404
        assert http.get("/items/x", headers=HEADERS).status_code == 422  # validation: 4xx
        assert http.post("/items/3/buy", headers=HEADERS).status_code == 500

    assert ran == ["startup", "shutdown"]
    viewed, error = trodo_server.events
    assert (viewed["event_name"], viewed["user_id"]) == ("item_viewed", "anon_7f3e")
    assert error["custom_properties"]["route"] == "/items/{item_id}/buy"


def test_without_a_lifespan_the_client_is_made_at_the_first_request(
    trodo_server: MockTrodoServer,
) -> None:
    """A plain ASGI app, called as a server without lifespan support calls it."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        user = trodo.current_async_user()
        assert user is not None
        await user.track("plain_asgi")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    middleware = TrodoMiddleware(
        app, site_id=trodo_server.site_id, api_base=trodo_server.url, batch_enabled=True
    )
    headers = [(b"x-trodo-distinct-id", b"anon_1"), (b"x-trodo-session-id", b"s-1")]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def scenario() -> bool:
        for _ in range(2):
            scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
            await middleware(scope, receive, send)
        client = await middleware.client()
        return await client.flush(5)  # type: ignore[attr-defined,no-any-return]

    assert asyncio.run(scenario()) is True
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [204, 204]
    ids = [(e["user_id"], e["session_id"]) for e in trodo_server.events]
    assert ids == [("anon_1", "s-1")] * 2


def test_a_client_you_pass_is_flushed_at_shutdown_and_left_open(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo.AsyncTrodoClient(
        trodo_server.site_id,
        api_base=trodo_server.url,
        batch_enabled=True,
        batch_flush_interval=300,
    )
    app = Starlette(routes=routes(async_order))
    app.add_middleware(TrodoMiddleware, client=client)
    with TestClient(app) as http:
        http.get("/orders/7", headers=HEADERS)
        assert trodo_server.events == []  # queued for 300 s
    assert [e["event_name"] for e in trodo_server.events] == ["order_viewed"]
    assert "closed" not in repr(client)


def test_disabled_binds_users_and_sends_nothing(
    trodo_server: MockTrodoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRODO_SITE_ID", raising=False)
    app = Starlette(routes=routes(async_order))
    middleware_options = {"disabled": True, "api_base": trodo_server.url, "batch_enabled": True}
    app.add_middleware(TrodoMiddleware, **middleware_options)
    with TestClient(app, raise_server_exceptions=False) as http:
        assert http.get("/orders/7", headers=HEADERS).status_code == 200
        assert http.post("/orders/7/charge", headers=HEADERS).status_code == 500
    assert trodo_server.requests == []


def test_exceptions_logged_in_async_and_sync_endpoints_reach_an_async_client(
    trodo_server: MockTrodoServer,
) -> None:
    import logging

    from trodo.integrations.logging import TrodoHandler

    logger = logging.getLogger("shop.endpoints")

    async def logs_on_the_loop(request: Request) -> PlainTextResponse:
        try:
            raise CardDeclinedError("on the loop")
        except CardDeclinedError:
            logger.exception("failed")  # handed to the client's loop, no await
        return PlainTextResponse("ok")

    def logs_in_a_thread(request: Request) -> PlainTextResponse:
        try:
            raise CardDeclinedError("in a thread")
        except CardDeclinedError:
            logger.exception("failed")  # a sync endpoint: a worker thread
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/loop", logs_on_the_loop), Route("/thread", logs_in_a_thread)])
    app.add_middleware(
        TrodoMiddleware, site_id=trodo_server.site_id, api_base=trodo_server.url, batch_enabled=True
    )
    handler = TrodoHandler()
    logger.addHandler(handler)
    try:
        with TestClient(app) as http:
            assert http.get("/loop", headers=HEADERS).status_code == 200
            assert http.get("/thread", headers=HEADERS).status_code == 200
    finally:
        logger.removeHandler(handler)

    messages = sorted(e["custom_properties"]["message"] for e in trodo_server.events)
    assert messages == ["in a thread", "on the loop"]
    for event in trodo_server.events:
        assert (event["event_name"], event["user_id"], event["session_id"]) == (
            "server_error",
            "anon_7f3e",
            "b7d4c1e2",
        )
        assert event["custom_properties"]["logger"] == "shop.endpoints"


def test_an_app_served_twice_gets_a_fresh_client_each_time(trodo_server: MockTrodoServer) -> None:
    app = Starlette(routes=routes(async_order))
    app.add_middleware(
        TrodoMiddleware, site_id=trodo_server.site_id, api_base=trodo_server.url, batch_enabled=True
    )
    for order in (1, 2):
        with TestClient(app) as http:
            assert http.get(f"/orders/{order}", headers=HEADERS).status_code == 200
    assert [e["custom_properties"]["order"] for e in trodo_server.events] == [1, 2]
