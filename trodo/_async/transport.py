"""The asyncio transport: the generated client's asyncio calls over one
``httpx.AsyncClient`` (twin of ``trodo._sync.transport``).

Nothing here retries or raises network faults: a fault is an answer too.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from contextvars import ContextVar
from typing import Any

import httpx

from trodo._core.answers import Answer
from trodo._core.config import Config
from trodo._core.operations import Call
from trodo._core.records import EventRecord
from trodo._core.sessions import Session
from trodo._core.writes import WriteRecord
from trodo._wire.httpx_clients import AsyncJsonClient
from trodo._wire.models import bulk_model_in_slices, event_model, session_model
from trodo._wire.operations import (
    ENDPOINTS,
    REGISTER_SESSION,
    TRACK_EVENT,
    TRACK_EVENTS_BULK,
    Generated,
)
from trodo._wire.transport_base import (
    HttpSetupError,
    TransportBase,
    answered,
    log_request,
    log_response,
    raised,
)
from trodo._wire.writes import WRITE_ENDPOINTS
from trodo_api.models import BulkEvents

logger = logging.getLogger("trodo")

# httpx opens its first async connection through anyio, which imports its
# asyncio backend at that moment: ~20 ms the event loop would stall for.
# Loaded here instead, with the client; a layout change only loses the head start.
with contextlib.suppress(ImportError):
    importlib.import_module("anyio._backends._asyncio")

# The answer the response hook saw, per task: the sync transport keeps it per
# thread. Needed when the generated code raises although the server answered.
_last_response: ContextVar[httpx.Response | None] = ContextVar("trodo_last_response", default=None)


async def sliced_bulk_model(records: list[EventRecord]) -> BulkEvents:
    """``bulk_model`` for the event loop: a slice at a time, the loop running
    between slices (``trodo._wire.models.bulk_model_in_slices``)."""
    slices = bulk_model_in_slices(records)
    try:
        while True:
            next(slices)
            await asyncio.sleep(0)
    except StopIteration as done:
        bulk: BulkEvents = done.value
        return bulk


class AsyncTransport(TransportBase):
    """One kept-alive ``httpx.AsyncClient`` for the Trodo API, used from one event loop."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._build()

    def after_fork_in_child(self) -> None:
        """(Re)create the HTTP client: a forked child never shares its parent's sockets."""
        super().after_fork_in_child()
        self._build()

    def _build(self) -> None:
        # Built now, not at the first request: loading the CA bundle takes tens
        # of milliseconds, which the event loop would stall for.
        # A setup fault is said once; each request tries again, as if unreachable.
        with contextlib.suppress(HttpSetupError):
            _ = self.api_client

    def _connect(self, options: dict[str, Any]) -> None:
        self._api.set_async_httpx_client(AsyncJsonClient(**options))

    async def _keep(self, response: httpx.Response) -> None:
        _last_response.set(response)
        if logger.isEnabledFor(logging.DEBUG):
            await response.aread()
            log_response(response, self._site_id)

    async def _log_request(self, request: httpx.Request) -> None:
        log_request(request, self._site_id)

    async def _post(self, generated: Generated, body: object) -> tuple[Answer, Any]:
        _last_response.set(None)
        try:
            with self._limits():
                result = await generated.asyncio_detailed(client=self.api_client, body=body)
        except Exception as exc:  # every fault becomes an answer, never a raise
            return raised(exc, _last_response.get(), self._site_id)
        return answered(result, self._site_id)

    async def register_session(self, session: Session) -> Answer:
        """POST /api/sdk/track for ``session``."""
        return (await self._post(REGISTER_SESSION, session_model(session)))[0]

    async def send_event(self, record: EventRecord) -> Answer:
        """POST /api/events with one event."""
        return (await self._post(TRACK_EVENT, event_model(record)))[0]

    async def send_events(self, records: list[EventRecord]) -> Answer:
        """POST /api/events/bulk with a batch, encoded a slice at a time."""
        return (await self._post(TRACK_EVENTS_BULK, await sliced_bulk_model(records)))[0]

    async def request(self, call: Call) -> tuple[Answer, Any]:
        """Send ``call`` as its endpoint says; the answer and the value read from it."""
        endpoint = ENDPOINTS[call.operation]
        answer, parsed = await self._post(endpoint.generated, endpoint.body(call))
        return answer, endpoint.read(parsed)

    async def send_write(self, record: WriteRecord) -> tuple[Answer, Any]:
        """POST a profile, group or upsert write; the answer and the value read from it."""
        endpoint = WRITE_ENDPOINTS[record.write]
        answer, parsed = await self._post(endpoint.generated, endpoint.body(self._site_id, record))
        return answer, endpoint.read(parsed)

    async def aclose(self) -> None:
        """Refuse new requests and close the connection pool."""
        self.cancel()
        if self._connected:
            await self._api.get_async_httpx_client().aclose()
