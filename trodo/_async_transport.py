"""The asyncio twin of ``_transport``: the same models, classification and
logging, over the generated client's asyncio calls and one ``httpx.AsyncClient``.

Nothing here retries or raises network faults: a fault is an answer too.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any, TypeVar

import httpx

from trodo import _http as http
from trodo._events import EventRecord
from trodo._policy import Answer
from trodo._sessions import Session
from trodo._transport import (
    TransportBase,
    answered,
    event_model,
    identify_model,
    log_request,
    log_response,
    merged_id,
    raised,
    reset_model,
    session_model,
    wallet_model,
)
from trodo_api.api.events import track_event, track_events_bulk
from trodo_api.api.identity import identify, reset, set_wallet_address
from trodo_api.api.sessions import register_session
from trodo_api.models import BulkEvents, Event
from trodo_api.types import Response

logger = logging.getLogger("trodo")
_R = TypeVar("_R")

# httpx opens its first async connection through anyio, which imports its
# asyncio backend at that moment: ~20 ms the event loop would stall for.
# Loaded here instead, with the client; a layout change only loses the head start.
with contextlib.suppress(ImportError):
    importlib.import_module("anyio._backends._asyncio")

# The answer the response hook saw, per task: the sync transport keeps it per
# thread. Needed when the generated code raises although the server answered.
_last_response: ContextVar[httpx.Response | None] = ContextVar("trodo_last_response", default=None)


# Events encoded per step of the event loop: about 0.2 ms of work.
ENCODE_SLICE = 32


class _EncodedEvent(Event):
    """An event model whose wire dict was made ahead, by the generated ``to_dict``."""

    __slots__ = ("_wire",)
    _wire: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self._wire


async def sliced_bulk_model(records: list[EventRecord]) -> BulkEvents:
    """``bulk_model`` for the event loop.

    Encoding a 500-event request at once holds the loop for milliseconds, so
    the events are encoded ``ENCODE_SLICE`` at a time, yielding to the loop
    after each slice; the request's own ``to_dict`` then only collects the
    results, and what is left in one step is the JSON encoding (``_http``).
    """
    events: list[Event] = []
    for start in range(0, len(records), ENCODE_SLICE):
        for record in records[start : start + ENCODE_SLICE]:
            event = event_model(record, _EncodedEvent)
            event._wire = Event.to_dict(event)
            events.append(event)
        await asyncio.sleep(0)
    return BulkEvents(events=events)


class AsyncTransport(TransportBase):
    """One kept-alive ``httpx.AsyncClient`` for the Trodo API, used from one event loop."""

    def after_fork_in_child(self) -> None:
        """(Re)create the HTTP client: a forked child never shares its parent's sockets."""
        super().after_fork_in_child()
        # Built now, not at the first request: loading the CA bundle takes tens
        # of milliseconds, which the event loop would stall for.
        _ = self.api_client

    def _connect(self, options: dict[str, Any]) -> None:
        self._api.set_async_httpx_client(http.AsyncClient(**options))

    async def _keep(self, response: httpx.Response) -> None:
        _last_response.set(response)
        if logger.isEnabledFor(logging.DEBUG):
            await response.aread()
            log_response(response, self._site_id)

    async def _log_request(self, request: httpx.Request) -> None:
        log_request(request, self._site_id)

    async def _call(self, call: Awaitable[Response[_R]]) -> tuple[Answer, _R | None]:
        _last_response.set(None)
        try:
            result = await call
        except Exception as exc:  # every fault becomes an answer, never a raise
            return raised(exc, _last_response.get())
        return answered(result)

    async def register_session(self, session: Session) -> Answer:
        """POST /api/sdk/track for ``session``."""
        body = session_model(session)
        return (await self._call(register_session.asyncio_detailed(client=self._api, body=body)))[0]

    async def send_event(self, record: EventRecord) -> Answer:
        """POST /api/events with one event."""
        body = event_model(record)
        return (await self._call(track_event.asyncio_detailed(client=self._api, body=body)))[0]

    async def send_events(self, records: list[EventRecord]) -> Answer:
        """POST /api/events/bulk with a batch, encoded a slice at a time."""
        body = await sliced_bulk_model(records)
        return (await self._call(track_events_bulk.asyncio_detailed(client=self._api, body=body)))[
            0
        ]

    async def identify(
        self, session: Session, distinct_id: str, identify_id: str
    ) -> tuple[Answer, str | None]:
        """POST /api/sdk/identify; also return the merged distinct id, if any."""
        body = identify_model(session, distinct_id, identify_id)
        answer, parsed = await self._call(identify.asyncio_detailed(client=self._api, body=body))
        return answer, merged_id(parsed)

    async def reset(self, session: Session, distinct_id: str) -> Answer:
        """POST /api/sdk/reset."""
        body = reset_model(session, distinct_id)
        return (await self._call(reset.asyncio_detailed(client=self._api, body=body)))[0]

    async def wallet_address(self, session: Session, distinct_id: str, address: str) -> Answer:
        """POST /api/sdk/wallet-address."""
        body = wallet_model(session, distinct_id, address)
        call = set_wallet_address.asyncio_detailed(client=self._api, body=body)
        return (await self._call(call))[0]

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._api.get_async_httpx_client().aclose()
