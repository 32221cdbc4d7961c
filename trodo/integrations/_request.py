"""What every web integration shares: its options, picking the request's ids, reporting errors.

The framework modules only read their request (headers, cookies, signed-in
user, route template) and call these; the rules live here once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypedDict

from trodo import ClientOptions, TrodoClient
from trodo._current import Binding

if TYPE_CHECKING:
    from trodo._current import Client

logger = logging.getLogger("trodo.integrations")

DISTINCT_ID_HEADER: Final = "X-Trodo-Distinct-Id"
SESSION_ID_HEADER: Final = "X-Trodo-Session-Id"
# A header is the browser's word, not the app's: ids longer than this, or with
# control characters, are ignored rather than sent.
MAX_ID_LENGTH: Final = 200


class RequestOptions(TypedDict, total=False):
    """How a web integration finds the request's user, and what it reports."""

    get_distinct_id: Callable[[Any], object] | None
    """``get_distinct_id(request) -> str | None``: the app's own way to name the user;
    tried first (None: fall through to the signed-in user, then the header)."""
    distinct_id_header: str
    """Header the front end sends its distinct id in (default ``X-Trodo-Distinct-Id``)."""
    session_id_header: str
    """Header the front end sends its session id in (default ``X-Trodo-Session-Id``)."""
    session_id_cookie: str | None
    """A cookie holding the session id, read when the header is absent (default none)."""
    capture_errors: bool
    """Send exceptions that escape a view as ``server_error`` (default True)."""
    error_properties: Callable[[Any], Mapping[str, object]] | None
    """``error_properties(request) -> dict``: more properties for a request's
    ``server_error``. The only way request data (a header, the query string)
    reaches Trodo: nothing of the request is sent unless this returns it."""


class WebOptions(ClientOptions, RequestOptions, total=False):
    """The options of a web integration: its own, and the client's when it makes one."""


@dataclass(frozen=True, slots=True)
class RequestSettings:
    """Checked :class:`RequestOptions`."""

    get_distinct_id: Callable[[Any], object] | None = None
    distinct_id_header: str = DISTINCT_ID_HEADER
    session_id_header: str = SESSION_ID_HEADER
    session_id_cookie: str | None = None
    capture_errors: bool = True
    error_properties: Callable[[Any], Mapping[str, object]] | None = None

    def __post_init__(self) -> None:
        for name in ("get_distinct_id", "error_properties"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise TypeError(f"{name} must be a callable taking the request, or None")
        for name in ("distinct_id_header", "session_id_header"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise TypeError(f"{name} must be a header name (a non-empty str)")
        cookie = self.session_id_cookie
        if cookie is not None and (not isinstance(cookie, str) or not cookie):
            raise TypeError("session_id_cookie must be a cookie name (a non-empty str) or None")


_REQUEST_KEYS: Final = frozenset(RequestOptions.__annotations__)


def split_options(options: Mapping[str, Any]) -> tuple[RequestSettings, ClientOptions]:
    """Separate the integration's own options from the client's (checked later, by the client)."""
    own = {k: v for k, v in options.items() if k in _REQUEST_KEYS}
    rest = {k: v for k, v in options.items() if k not in _REQUEST_KEYS}
    return RequestSettings(**own), rest  # type: ignore[return-value]


def clean_id(value: object) -> str | None:
    """An id from the request if it is usable, else None (never an error: it is the browser's)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_ID_LENGTH or not value.isprintable():
        return None
    return value


def pick_ids(
    settings: RequestSettings,
    request: object,
    signed_in: Callable[[], object],
    header: Callable[[str], str | None],
    cookie: Callable[[str], str | None] | None = None,
) -> tuple[str | None, str | None]:
    """The request's (distinct id, session id): the app's callable, the signed-in
    user, then the header; the session from its header, then its cookie."""
    distinct_id = None
    if settings.get_distinct_id is not None:
        try:
            distinct_id = clean_id(settings.get_distinct_id(request))
        except Exception:
            logger.warning("get_distinct_id raised; the request's user is not known", exc_info=True)
    if distinct_id is None:
        try:
            distinct_id = clean_id(signed_in())
        except Exception:
            logger.warning("reading the signed-in user failed", exc_info=True)
    if distinct_id is None:
        distinct_id = clean_id(header(settings.distinct_id_header))
    if distinct_id is None:
        return None, None
    session_id = clean_id(header(settings.session_id_header))
    if session_id is None and cookie is not None and settings.session_id_cookie:
        session_id = clean_id(cookie(settings.session_id_cookie))
    return distinct_id, session_id


# Exceptions that frameworks answer with a 4xx or a redirect: normal control flow,
# never reported. Matched by name so that no framework is imported to check.
_HTTP_EXCEPTIONS: Final = {
    ("werkzeug.exceptions", "HTTPException"): "code",
    ("starlette.exceptions", "HTTPException"): "status_code",
    ("starlette.exceptions", "WebSocketException"): "",
}
_DJANGO_CONTROL_FLOW: Final = {
    ("django.http.response", "Http404"): 404,
    ("django.core.exceptions", "PermissionDenied"): 403,
    ("django.core.exceptions", "BadRequest"): 400,
    ("django.core.exceptions", "SuspiciousOperation"): 400,
    ("django.http.multipartparser", "MultiPartParserError"): 400,
}


def answered_status(error: BaseException) -> int | None:
    """The status a framework answers ``error`` with, when it is one of its HTTP exceptions."""
    for cls in type(error).__mro__:
        key = (cls.__module__, cls.__qualname__)
        if key in _DJANGO_CONTROL_FLOW:
            return _DJANGO_CONTROL_FLOW[key]
        attribute = _HTTP_EXCEPTIONS.get(key)
        if attribute is not None:
            status = getattr(error, attribute, None) if attribute else 400
            return status if isinstance(status, int) else 500
    return None


def is_control_flow(error: BaseException) -> bool:
    """True for a 404, a redirect, a refusal, a validation error answered 4xx: not reported."""
    status = answered_status(error)
    return status is not None and status < 500


def request_properties(
    settings: RequestSettings,
    request: object,
    route: str | None,
    method: str | None,
    status: int,
) -> dict[str, object]:
    """The properties a request's ``server_error`` carries besides the error's own."""
    properties: dict[str, object] = {"status": status}
    if route:
        properties["route"] = route
    if method:
        properties["method"] = method
    if settings.error_properties is not None:
        try:
            extra = settings.error_properties(request)
            properties.update(extra)
        except Exception:
            logger.warning("error_properties raised; the error is sent without them", exc_info=True)
    return properties


def report_error(
    client: Client, bound: Binding | None, error: BaseException, properties: dict[str, Any]
) -> None:
    """Send ``error`` on the bound user (the auto-events user when anonymous); never raises.

    For sync callers. With an AsyncTrodoClient (a logging handler in an
    asyncio app) the event is handed to the client's loop without waiting.
    """
    try:
        user = client.for_user(*_user_ids(client, bound))
        capture = (
            user.capture_error if isinstance(client, TrodoClient) else user.capture_error_nowait
        )
        try:
            capture(error, "error", properties=properties)
        except (TypeError, ValueError):  # only the app's error_properties can be wrong
            logger.warning(
                "error properties refused; the error is sent without them", exc_info=True
            )
            capture(error, "error")
    except Exception:
        logger.warning("could not report an error to trodo", exc_info=True)


async def report_error_async(
    client: Client, bound: Binding | None, error: BaseException, properties: dict[str, Any]
) -> None:
    """:func:`report_error` from a coroutine: never blocks the event loop.

    With an AsyncTrodoClient the event is awaited on the loop. With a sync
    client that batches, capturing only queues. With a sync client that does
    not batch, the request is sent on a thread of the loop's default executor,
    and this waits for it there (up to the client's ``timeout``).
    """
    if isinstance(client, TrodoClient):
        if sends_on_caller(client):
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, report_error, client, bound, error, properties)
        else:
            report_error(client, bound, error, properties)
        return
    try:
        user = client.for_user(*_user_ids(client, bound))
        try:
            await user.capture_error(error, "error", properties=properties)
        except (TypeError, ValueError):
            logger.warning(
                "error properties refused; the error is sent without them", exc_info=True
            )
            await user.capture_error(error, "error")
    except Exception:
        logger.warning("could not report an error to trodo", exc_info=True)


def track_event(
    client: Client, bound: Binding | None, event_name: str, properties: dict[str, Any]
) -> None:
    """A custom event on the bound user (the auto-events user when anonymous), from sync code."""
    user = client.for_user(*_user_ids(client, bound))
    if isinstance(client, TrodoClient):
        user.track(event_name, properties)
    else:
        user.track_nowait(event_name, properties)


def sends_on_caller(client: Client) -> bool:
    """True when a sync client's calls do network I/O on the calling thread."""
    config = client.config
    return not config.batch_enabled and not config.disabled


def _user_ids(client: Client, bound: Binding | None) -> tuple[str, str | None]:
    if bound is not None and bound.distinct_id is not None:
        return bound.distinct_id, bound.session_id
    return client.config.auto_events_distinct_id, None
