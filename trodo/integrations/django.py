"""Django: the request's user on every event, and errors of views reported.

In ``settings.py``::

    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "trodo.integrations.django.TrodoMiddleware",  # after authentication
    ]
    TRODO = {"batch_enabled": True}  # client options; TRODO_SITE_ID from the environment

and in a view::

    def checkout(request):
        trodo.current_user().track("checkout_completed", {"amount": cart.total})

The user is ``request.user`` when signed in (``str(request.user.pk)``), else
the front end's ``X-Trodo-Distinct-Id`` header; anonymous requests have none
(``trodo.current_user()`` is None). ``settings.TRODO`` holds client options
(:class:`trodo.ClientOptions`) and the integration's own (``get_distinct_id``,
``distinct_id_header``, ``session_id_header``, ``session_id_cookie``,
``capture_errors``, ``error_properties``; callables or dotted paths to them).
The client is made once per process, as the default client (so
``trodo.track(...)`` uses it too); without ``settings.TRODO`` the middleware
uses the one ``trodo.init()`` made, or makes one from the environment.

An exception that escapes a view (or a middleware below this one) is sent as
a ``server_error`` with the route template (``/orders/<int:pk>/``), the method
and the status 500, then Django answers as it always does. ``Http404``,
``PermissionDenied``, ``BadRequest`` and ``SuspiciousOperation`` are answered
4xx by Django and not reported.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

try:
    import django  # noqa: F401
except ImportError as error:
    raise ImportError(
        "trodo.integrations.django needs Django: pip install 'trodo[django]'"
    ) from error

from django.conf import settings as django_settings
from django.core.signals import got_request_exception
from django.utils.module_loading import import_string

from trodo import TrodoClient, _current
from trodo.integrations._clients import default_client
from trodo.integrations._request import (
    RequestSettings,
    is_control_flow,
    logger,
    pick_ids,
    report_error,
    request_properties,
    split_options,
)

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

__all__ = ["TrodoMiddleware"]

_lock = threading.Lock()
# The process's (settings, client), made on first use; a list so that no global is rebound.
_state: list[tuple[RequestSettings, TrodoClient]] = []


def _configured() -> tuple[RequestSettings, TrodoClient]:
    """The settings and client of this process, made on first use."""
    if not _state:
        with _lock:
            if not _state:
                raw = dict(getattr(django_settings, "TRODO", None) or {})
                for name in ("get_distinct_id", "error_properties"):
                    if isinstance(raw.get(name), str):
                        raw[name] = import_string(raw[name])
                request_settings, client_options = split_options(raw)
                _state.append((request_settings, default_client(client_options)))
                got_request_exception.connect(_on_request_exception, dispatch_uid="trodo")
    return _state[0]


def _forget() -> None:
    """Forget the process's settings and client (tests that change settings.TRODO)."""
    with _lock:
        _state.clear()


class TrodoMiddleware:
    """Binds each request's user (:func:`trodo.current_user`) and reports view errors.

    Works under WSGI and ASGI (sync and async views). Place it after
    ``AuthenticationMiddleware`` so that ``request.user`` is known.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        from asgiref.sync import iscoroutinefunction, markcoroutinefunction

        self.get_response = get_response
        self.settings, self.client = _configured()
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self._async:
            return self._acall(request)
        token = self._bind(request, lambda: _signed_in(getattr(request, "user", None)))
        try:
            return self.get_response(request)
        finally:
            _current.unbind(token)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        # request.user would query the database on the event loop: auser() awaits it.
        auser, user = getattr(request, "auser", None), None
        if auser is not None:
            try:
                user = await auser()
            except Exception:
                logger.warning("reading the signed-in user failed", exc_info=True)
        token = self._bind(request, lambda: _signed_in(user))
        try:
            response: Awaitable[HttpResponseBase] = self.get_response(request)
            return await response
        finally:
            _current.unbind(token)

    def _bind(self, request: HttpRequest, signed_in: Callable[[], object]) -> Any:
        settings = self.settings
        distinct_id, session_id = pick_ids(
            settings, request, signed_in, request.headers.get, request.COOKIES.get
        )
        request._trodo_settings = settings
        return _current.bind(self.client, distinct_id, session_id)


def _signed_in(user: object) -> object:
    """The pk of a signed-in user (None for AnonymousUser, or without auth)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "pk", None)


def _on_request_exception(sender: object, request: HttpRequest | None = None, **_: Any) -> None:
    """Django's signal for an uncaught exception it is about to answer 500 to."""
    import sys

    error = sys.exc_info()[1]
    settings: RequestSettings | None = getattr(request, "_trodo_settings", None)
    if error is None or request is None or settings is None or not settings.capture_errors:
        return
    if is_control_flow(error):
        return
    match = getattr(request, "resolver_match", None)
    route = f"/{match.route}" if match is not None and match.route is not None else None
    properties = request_properties(settings, request, route, request.method, 500)
    bound = _current.binding()
    client = bound.client if bound is not None else _configured()[1]
    report_error(client, bound, error, properties)
