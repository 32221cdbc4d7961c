"""The only module that speaks to the generated client (with its async twin).

It turns facade records into generated models, calls the generated
operations, and classifies every outcome as an :class:`Answer` the delivery
policy understands. Nothing here retries or raises network faults: a fault is
an answer too.
"""

from __future__ import annotations

import datetime as _dt
import logging
import platform
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, overload

import httpx

import trodo_api
from trodo import _http as http
from trodo._config import mask
from trodo._events import EventRecord
from trodo._policy import Answer, Outcome
from trodo._sessions import Session
from trodo._version import __version__
from trodo_api.api.events import track_event, track_events_bulk
from trodo_api.api.identity import identify, reset, set_wallet_address
from trodo_api.api.sessions import register_session
from trodo_api.models import (
    BulkEvents,
    CustomProperties,
    Event,
    IdentifyRequest,
    IdentifyResponse,
    ResetRequest,
    SessionData,
    SessionRegistration,
    WalletAddressRequest,
)
from trodo_api.types import Response

#: The generated client type, for advanced users' direct typed calls.
ApiClient = trodo_api.Client

logger = logging.getLogger("trodo")
USER_AGENT = (
    f"trodo-python/{__version__} ({platform.python_implementation()} "
    f"{platform.python_version()}; httpx {httpx.__version__})"
)
SITE_HEADER = "X-Trodo-Site-Id"
_R = TypeVar("_R")


# -- models -------------------------------------------------------------------


def session_model(session: Session) -> SessionRegistration:
    """The registration body of a session."""
    return SessionRegistration(
        session_data=SessionData(
            session_id=session.session_id,
            site_id=session.site_id,
            user_id=session.distinct_id,
            distinct_id=session.distinct_id,
            team_id=None,
            start_time=session.start_time,
            last_activity=int(time.time() * 1000),
            is_bounce=False,
            referrer="server",
            device_type="server",
            is_server_session=True,
        )
    )


_E = TypeVar("_E", bound=Event)


@overload
def event_model(record: EventRecord) -> Event: ...
@overload
def event_model(record: EventRecord, model: type[_E]) -> _E: ...
def event_model(record: EventRecord, model: type[Event] = Event) -> Event:
    """The wire model of one accepted event (``model``: Event or a subclass of it)."""
    properties = CustomProperties()
    # The record's dict is already a private, JSON-safe copy: no second copy.
    properties.additional_properties = record.properties
    return model(
        event_type=record.event_type,
        event_name=record.event_name,
        event_category=record.category,
        session_id=record.session.session_id,
        user_id=record.user_id,
        custom_properties=properties,
        page_data=None,
        auto_event_data=None,
        element_data=None,
        override_data=None,
        timestamp=_dt.datetime.fromtimestamp(record.timestamp, _dt.UTC),
    )


def bulk_model(records: Iterable[EventRecord]) -> BulkEvents:
    """The wire model of a batch."""
    return BulkEvents(events=[event_model(r) for r in records])


def identify_model(session: Session, distinct_id: str, identify_id: str) -> IdentifyRequest:
    """The identify body: the current distinct id linked to ``identify_id``."""
    return IdentifyRequest(
        site_id=session.site_id,
        session_id=session.session_id,
        user_id=distinct_id,
        distinct_id=distinct_id,
        identify_id=identify_id,
    )


def reset_model(session: Session, distinct_id: str) -> ResetRequest:
    """The reset body."""
    return ResetRequest(
        site_id=session.site_id,
        session_id=session.session_id,
        user_id=distinct_id,
        distinct_id=distinct_id,
    )


def wallet_model(session: Session, distinct_id: str, address: str) -> WalletAddressRequest:
    """The wallet-address body."""
    return WalletAddressRequest(
        site_id=session.site_id,
        session_id=session.session_id,
        user_id=distinct_id,
        distinct_id=distinct_id,
        wallet_address=address,
    )


def merged_id(parsed: object) -> str | None:
    """The new distinct id an identify answer carries, if any."""
    if not isinstance(parsed, IdentifyResponse):
        return None
    for candidate in (parsed.new_distinct_id, parsed.distinct_id):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


# -- classification -------------------------------------------------------------


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse a Retry-After header: delta seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        # Rare (most servers send seconds): the email package loads only here.
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def classify(status: int, headers: Mapping[str, str], body: bytes = b"") -> Answer:
    """What an HTTP status means for delivery (protocol.md, Responses)."""
    if 200 <= status < 300:
        return Answer(Outcome.OK)
    detail = f"HTTP {status}"
    text = body[:200].decode("utf-8", "replace").strip()
    if text:
        detail += f": {text}"
    if status in (408, 429) or status >= 500:
        return Answer(Outcome.RETRY, retry_after_seconds(headers.get("retry-after")), detail)
    if status == 413:
        return Answer(Outcome.TOO_LARGE, detail=detail)
    if status in (401, 403):
        return Answer(Outcome.UNAUTHORIZED, detail=detail)
    return Answer(Outcome.REJECTED, detail=detail)


def classify_error(exc: Exception, last: httpx.Response | None) -> Answer:
    """What a raised exception means: network faults are transient.

    Two generator limitations surface as exceptions although the server did
    answer: a 2xx body that is not JSON (json.JSONDecodeError), and a status
    outside http.HTTPStatus such as Cloudflare's 520
    (openapi-python-client issue #1442). The response hook kept the answer,
    so it is classified by its status like any other.
    """
    if isinstance(exc, httpx.TransportError):
        return Answer(Outcome.RETRY, detail=f"{type(exc).__name__}: {exc}".rstrip(": "))
    if isinstance(exc, ValueError) and last is not None:
        return classify(last.status_code, last.headers, last.content)
    # Anything else (a bug, an invalid URL): retrying cannot help.
    return Answer(Outcome.REJECTED, detail=f"{type(exc).__name__}: {exc}")


# -- the client -------------------------------------------------------------------


def log_request(request: httpx.Request, site_id: str) -> None:
    """At DEBUG: one line for a request about to be sent."""
    if logger.isEnabledFor(logging.DEBUG):
        path, body = request.url.path, _preview(request.content, site_id)
        logger.debug("trodo -> %s %s %s", request.method, path, body)


def log_response(response: httpx.Response, site_id: str) -> None:
    """At DEBUG: one line for an answer (its body already read)."""
    logger.debug(
        "trodo <- %s %s %s",
        response.status_code,
        response.request.url.path,
        _preview(response.content, site_id),
    )


def _preview(content: bytes, site_id: str, limit: int = 300) -> str:
    text = content[:limit].decode("utf-8", "replace").replace("\n", " ")
    text = text.replace(site_id, mask(site_id))
    return text + ("..." if len(content) > limit else "")


def answered(result: Response[_R]) -> tuple[Answer, _R | None]:
    """The answer of a call that returned: classified by its status, with the parsed body."""
    return classify(int(result.status_code), result.headers, result.content), result.parsed


def raised(exc: Exception, last: httpx.Response | None) -> tuple[Answer, None]:
    """The answer of a call that raised; ``last`` is the response the hook kept, if any."""
    answer = classify_error(exc, last)
    if answer.outcome is not Outcome.OK:
        logger.debug("trodo request failed: %s", answer.detail)
    return answer, None


class TransportBase(ABC):
    """What the sync and async transports share: settings, the configured
    generated client (its sync and asyncio calls alike), fork handling."""

    def __init__(self, site_id: str, api_base: str, timeout: float) -> None:
        self._site_id = site_id
        self._api_base = api_base
        self._timeout = timeout
        self.after_fork_in_child()

    def after_fork_in_child(self) -> None:
        """(Re)create the HTTP client: a forked child never shares its parent's sockets."""
        self._api = ApiClient(base_url=self._api_base, raise_on_unexpected_status=False)
        # The httpx client is made at first use: loading the CA bundle takes
        # tens of milliseconds that a client never used should not cost.
        self._connected = False
        self._connecting = threading.Lock()

    @property
    def api_client(self) -> ApiClient:
        """The configured generated client (base URL, site-id header, timeout, User-Agent)."""
        if not self._connected:
            with self._connecting:
                if not self._connected:
                    self._connect(self._http_options())
                    self._connected = True
        return self._api

    def _http_options(self) -> dict[str, Any]:
        """The settings of the httpx client under the generated one."""
        return {
            "base_url": self._api_base,
            "headers": {SITE_HEADER: self._site_id, "User-Agent": USER_AGENT},
            "timeout": httpx.Timeout(self._timeout),
            "event_hooks": {"request": [self._log_request], "response": [self._keep]},
        }

    @abstractmethod
    def _connect(self, options: dict[str, Any]) -> None:
        """Give the generated client its httpx client (sync or async), made from ``options``."""

    @abstractmethod
    def _log_request(self, request: httpx.Request) -> object:
        """httpx request hook (a coroutine function in the async transport)."""

    @abstractmethod
    def _keep(self, response: httpx.Response) -> object:
        """httpx response hook: keep the answer for ``raised``, log it at DEBUG."""


class Transport(TransportBase):
    """One kept-alive HTTP client for the Trodo API, used from any thread."""

    def after_fork_in_child(self) -> None:
        """(Re)create the HTTP client: a forked child never shares its parent's sockets."""
        self._last = threading.local()
        super().after_fork_in_child()

    def _connect(self, options: dict[str, Any]) -> None:
        self._api.set_httpx_client(http.Client(**options))

    def _keep(self, response: httpx.Response) -> None:
        self._last.response = response
        if logger.isEnabledFor(logging.DEBUG):
            response.read()
            log_response(response, self._site_id)

    def _log_request(self, request: httpx.Request) -> None:
        log_request(request, self._site_id)

    def _call(self, operation: Callable[[ApiClient], Response[_R]]) -> tuple[Answer, _R | None]:
        self._last.response = None
        try:
            result = operation(self.api_client)
        except Exception as exc:  # every fault becomes an answer, never a raise
            return raised(exc, getattr(self._last, "response", None))
        return answered(result)

    def register_session(self, session: Session) -> Answer:
        """POST /api/sdk/track for ``session``."""
        body = session_model(session)
        return self._call(lambda api: register_session.sync_detailed(client=api, body=body))[0]

    def send_event(self, record: EventRecord) -> Answer:
        """POST /api/events with one event."""
        body = event_model(record)
        return self._call(lambda api: track_event.sync_detailed(client=api, body=body))[0]

    def send_events(self, records: list[EventRecord]) -> Answer:
        """POST /api/events/bulk with a batch."""
        body = bulk_model(records)
        return self._call(lambda api: track_events_bulk.sync_detailed(client=api, body=body))[0]

    def identify(
        self, session: Session, distinct_id: str, identify_id: str
    ) -> tuple[Answer, str | None]:
        """POST /api/sdk/identify; also return the merged distinct id, if any."""
        body = identify_model(session, distinct_id, identify_id)
        answer, parsed = self._call(lambda api: identify.sync_detailed(client=api, body=body))
        return answer, merged_id(parsed)

    def reset(self, session: Session, distinct_id: str) -> Answer:
        """POST /api/sdk/reset."""
        body = reset_model(session, distinct_id)
        return self._call(lambda api: reset.sync_detailed(client=api, body=body))[0]

    def wallet_address(self, session: Session, distinct_id: str, address: str) -> Answer:
        """POST /api/sdk/wallet-address."""
        body = wallet_model(session, distinct_id, address)
        return self._call(lambda api: set_wallet_address.sync_detailed(client=api, body=body))[0]

    def close(self) -> None:
        """Close the connection pool."""
        if self._connected:
            self._api.get_httpx_client().close()
