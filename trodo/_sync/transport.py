"""The threaded transport: the generated client's sync calls over one ``httpx.Client``.

Nothing here retries or raises network faults: a fault is an answer too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from trodo._core.answers import Answer
from trodo._core.config import Config
from trodo._core.operations import Call
from trodo._core.records import EventRecord
from trodo._core.sessions import Session
from trodo._core.writes import WriteRecord
from trodo._wire.httpx_clients import JsonClient
from trodo._wire.models import bulk_model_in_slices, event_model, session_model
from trodo._wire.operations import (
    ENDPOINTS,
    REGISTER_SESSION,
    TRACK_EVENT,
    TRACK_EVENTS_BULK,
    Generated,
)
from trodo._wire.transport_base import (
    ApiClient,
    TransportBase,
    answered,
    log_request,
    log_response,
    raised,
)
from trodo._wire.writes import WRITE_ENDPOINTS
from trodo_api.models import BulkEvents
from trodo_api.types import Response

logger = logging.getLogger("trodo")
_R = TypeVar("_R")


class Transport(TransportBase):
    """One kept-alive HTTP client for the Trodo API, used from any thread."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        # The answer the response hook saw, per thread (see ``raised``).
        self._last = threading.local()

    def after_fork_in_child(self) -> None:
        """(Re)create the HTTP client: a forked child never shares its parent's sockets."""
        super().after_fork_in_child()
        self._last = threading.local()

    def _connect(self, options: dict[str, Any]) -> None:
        self._api.set_httpx_client(JsonClient(**options))

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
            with self._limits():
                result = operation(self.api_client)
        except Exception as exc:  # every fault becomes an answer, never a raise
            return raised(exc, getattr(self._last, "response", None), self._site_id)
        return answered(result, self._site_id)

    def _post(self, generated: Generated, body: object) -> tuple[Answer, Any]:
        return self._call(lambda api: generated.sync_detailed(client=api, body=body))

    def register_session(self, session: Session) -> Answer:
        """POST /api/sdk/track for ``session``."""
        return self._post(REGISTER_SESSION, session_model(session))[0]

    def send_event(self, record: EventRecord) -> Answer:
        """POST /api/events with one event."""
        return self._post(TRACK_EVENT, event_model(record))[0]

    def send_events(self, records: list[EventRecord]) -> Answer:
        """POST /api/events/bulk with a batch, encoded a slice at a time: between
        slices the GIL goes to the application's threads, so a ``track()`` never
        waits for the encoding of a whole request (sys.getswitchinterval(): 5 ms)."""
        slices = bulk_model_in_slices(records)
        try:
            while True:
                next(slices)
                time.sleep(0)
        except StopIteration as done:
            bulk: BulkEvents = done.value
        return self._post(TRACK_EVENTS_BULK, bulk)[0]

    def request(self, call: Call) -> tuple[Answer, Any]:
        """Send ``call`` as its endpoint says; the answer and the value read from it."""
        endpoint = ENDPOINTS[call.operation]
        answer, parsed = self._post(endpoint.generated, endpoint.body(call))
        return answer, endpoint.read(parsed)

    def send_write(self, record: WriteRecord) -> tuple[Answer, Any]:
        """POST a profile, group or upsert write; the answer and the value read from it."""
        endpoint = WRITE_ENDPOINTS[record.write]
        answer, parsed = self._post(endpoint.generated, endpoint.body(self._site_id, record))
        return answer, endpoint.read(parsed)

    def close(self) -> None:
        """End the requests under way, wait (briefly) until none reads, close the pool."""
        self.cancel(wait=1.0)
        if self._connected:
            self._api.get_httpx_client().close()
