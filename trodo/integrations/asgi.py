"""ASGI (FastAPI, Starlette, any ASGI app): the request's user on every event, errors reported.

::

    from fastapi import FastAPI
    import trodo
    from trodo.integrations.asgi import TrodoMiddleware

    app = FastAPI()
    app.add_middleware(TrodoMiddleware, batch_enabled=True)  # TRODO_SITE_ID from the environment


    @app.post("/checkout")
    async def checkout():
        user = trodo.current_async_user()
        if user is not None:
            await user.track("checkout_completed", {"amount": 49.5})

Without ``client=``, the middleware makes an :class:`trodo.AsyncTrodoClient`
from the options, on the server's event loop (at lifespan startup, or at the
first request when the server runs no lifespan), and shuts it down at
lifespan shutdown, delivering what is queued. A client you pass
(``client=trodo.AsyncTrodoClient(...)`` or a sync ``trodo.TrodoClient``) is
flushed at lifespan shutdown and left open: it is yours.

The loop is never blocked: with an AsyncTrodoClient every send is awaited;
with a sync TrodoClient that batches, reporting an error only queues it; with
a sync TrodoClient that does not batch, the error is sent from a thread of the
loop's default executor, and the 500 goes out when that send is done (within
the client's ``timeout``). ``trodo.current_user()`` (sync client) or
``trodo.current_async_user()`` (async client) returns the request's user in
the endpoint, sync or async.

The user is the app's ``get_distinct_id(scope)``, else ``scope["user"]``
when an authentication middleware outside this one signed it in (its
``identity``, else its ``display_name``), else the ``X-Trodo-Distinct-Id``
header. An exception escaping the app is sent as a ``server_error`` with the
route template (``/orders/{order_id}``, from Starlette's or FastAPI's
router), the method and the status, then re-raised unchanged. ``HTTPException``
below 500 is control flow and not reported (Starlette answers it inside the
app anyway).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any, Unpack

from trodo import TrodoClient, _current
from trodo.integrations._request import (
    WebOptions,
    is_control_flow,
    logger,
    pick_ids,
    report_error_async,
    request_properties,
    split_options,
)

if TYPE_CHECKING:
    from trodo._current import Client

__all__ = ["TrodoMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class TrodoMiddleware:
    """ASGI middleware: binds each request's user and reports errors that escape the app.

    ``app.add_middleware(TrodoMiddleware, client=None, **options)``; options
    are the integration's (``get_distinct_id(scope)``, ``distinct_id_header``,
    ``session_id_header``, ``session_id_cookie``, ``capture_errors``,
    ``error_properties(scope)``) and, without ``client``, the AsyncTrodoClient's.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        client: Client | None = None,
        **options: Unpack[WebOptions],
    ) -> None:
        self.app = app
        self.settings, self._client_options = split_options(options)
        if client is not None and self._client_options:
            raise TypeError(
                f"client options ({', '.join(sorted(self._client_options))}) given with "
                "a client: pass them to the client instead"
            )
        self._client = client
        self._owned = client is None
        self._lock = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(scope, receive, send)
        elif kind in ("http", "websocket"):
            await self._request(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    # -- the client --------------------------------------------------------------------------

    async def client(self) -> Client:
        """The client, made on the running loop at first need when the middleware owns it."""
        client = self._client
        if client is None:
            async with self._lock:
                client = self._client
                if client is None:
                    import trodo

                    client = self._client = trodo.AsyncTrodoClient(**self._client_options)
        return client

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def lifespan_send(message: Message) -> None:
            kind = message["type"]
            if kind == "lifespan.startup.complete":
                # A misconfigured client (no site id) fails the startup, loudly.
                await self.client()
            elif kind == "lifespan.shutdown.complete":
                await self._close()
            await send(message)

        await self.app(scope, receive, lifespan_send)

    async def _close(self) -> None:
        client = self._client
        if client is None:
            return
        if self._owned:
            self._client = None  # a later startup (the app served again) makes a new one
        try:
            if isinstance(client, TrodoClient):
                end = client.shutdown if self._owned else client.flush
                await asyncio.get_running_loop().run_in_executor(None, end)
            elif self._owned:
                await client.shutdown()  # type: ignore[attr-defined]
            else:
                await client.flush()  # type: ignore[attr-defined]
        except Exception:
            logger.warning("delivering trodo's events at shutdown failed", exc_info=True)

    # -- requests ------------------------------------------------------------------------------

    async def _request(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = await self.client()
        settings = self.settings
        headers = _Headers(scope)
        distinct_id, session_id = pick_ids(
            settings, scope, lambda: _signed_in(scope), headers.get, headers.cookie
        )
        token = _current.bind(client, distinct_id, session_id)
        status: int | None = None

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except Exception as error:
            if settings.capture_errors and not is_control_flow(error):
                properties = request_properties(
                    settings, scope, _route(scope), scope.get("method"), status or 500
                )
                await report_error_async(client, _current.binding(), error, properties)
            raise
        finally:
            _current.unbind(token)


class _Headers:
    """Case-insensitive reads of an ASGI scope's headers, decoded once, on demand."""

    __slots__ = ("_headers", "_scope")

    def __init__(self, scope: Scope) -> None:
        self._scope = scope
        self._headers: dict[str, str] | None = None

    def get(self, name: str) -> str | None:
        headers = self._headers
        if headers is None:
            headers = self._headers = {
                key.decode("latin-1").lower(): value.decode("latin-1")
                for key, value in self._scope.get("headers", ())
            }
        return headers.get(name.lower())

    def cookie(self, name: str) -> str | None:
        raw = self.get("cookie")
        if not raw:
            return None
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(raw)
        except Exception:
            return None
        morsel = cookies.get(name)
        return morsel.value if morsel is not None else None


def _signed_in(scope: Scope) -> object:
    """``scope["user"]`` when an authentication middleware signed it in."""
    user = scope.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.identity
    except (AttributeError, NotImplementedError):
        return getattr(user, "display_name", None)


def _route(scope: Scope) -> str | None:
    """The route template Starlette's router matched (``scope["route"]``), mounts included."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return None
    # A Mount moves its matched prefix into root_path; the inner route's path follows it.
    mounted = scope.get("root_path", "")[len(scope.get("app_root_path", "")) :]
    return f"{mounted}{path}" if isinstance(mounted, str) else path
