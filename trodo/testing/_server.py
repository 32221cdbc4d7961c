"""MockTrodoServer: a spec-validating Trodo API on a real socket, with fault scripting.

This module holds the server itself: its lifecycle, ``client()``, and the handler
that checks, answers and records each request. What it recorded is read back
through `RecordedViews` (``_views.py``); the faults a test scripts, and how they
are applied, are `FaultScripting` (``_scripting.py``).
"""

from __future__ import annotations

import bisect
import json
import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, Unpack

from werkzeug.wrappers import Request, Response

from trodo.testing._faults import Answer, FaultScript
from trodo.testing._http import HandlerServer, drop_connection
from trodo.testing._live import LiveFeed
from trodo.testing._records import RecordedRequest, Violation
from trodo.testing._scripting import FaultScripting, Outcome
from trodo.testing._spec import Problem, parse_json, request_checker
from trodo.testing._views import DEFAULT_WAIT, RecordedViews

if TYPE_CHECKING:
    from trodo import ClientOptions, TrodoClient

__all__ = ["CLIENT_SHUTDOWN_TIMEOUT", "DEFAULT_SITE_ID", "DEFAULT_WAIT", "MockTrodoServer"]

logger = logging.getLogger("trodo.testing")

DEFAULT_SITE_ID = "test-site"
# Seconds a client made by client() may take to deliver what it holds at stop().
CLIENT_SHUTDOWN_TIMEOUT = 2.0


class MockTrodoServer(RecordedViews, FaultScripting):
    """A Trodo API on 127.0.0.1 that checks every request against the spec.

    Every request is validated against ``openapi/trodo.yaml`` (method, path,
    the ``X-Trodo-Site-Id`` header, content type, body) and recorded in order.
    A valid request is answered as the API answers it (``{"success": true}``);
    an invalid one gets the API's 4xx with a JSON message and is recorded as a
    violation. Faults can be scripted: error answers, delays, dropped
    connections, outages and custom answers. ``page_url`` is a page that
    shows the requests as they arrive, for a person to watch.

    Example::

        with MockTrodoServer() as server:
            client = server.client()
            client.track("user_42", "signup")
            client.flush()
            assert [e["event_name"] for e in server.events] == ["signup"]
            assert not server.violations

    Args:
        port: the port to listen on; 0 (the default) picks a free one.
        host: the address to listen on.
        site_id: the site id that ``client()`` configures and that
            ``check_site_id`` accepts.
        check_site_id: answer 401 to a valid request whose site id is not
            ``site_id`` (as the API answers an unknown site id).
        merge_on_identify: answer identify with ``newDistinctId`` set to the
            request's ``identifyId``, as when the server merged the identity.
        on_request: called with each request once it is recorded, on the
            server's thread (the dev server prints from it).
        max_recorded: keep only this many latest requests (``None``: all).
    """

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        site_id: str = DEFAULT_SITE_ID,
        check_site_id: bool = False,
        merge_on_identify: bool = False,
        on_request: Callable[[RecordedRequest], None] | None = None,
        max_recorded: int | None = None,
    ) -> None:
        self.site_id = site_id
        self.check_site_id = check_site_id
        self.merge_on_identify = merge_on_identify
        self._on_request = on_request
        self._max_recorded = max_recorded
        self._checker = request_checker()
        self._faults = FaultScript()
        self._http = HandlerServer(host, port, self._handle)
        self._changed = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._violations: list[Violation] = []
        self._errors: list[str] = []
        self._next_index = 0
        self._stopping = threading.Event()
        self._clients: list[TrodoClient] = []
        # The live page at url + "/" and its JSON (trodo/testing/_live.py).
        self._live = LiveFeed(host=host, clear=self.clear, max_recorded=max_recorded)

    # Lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving in a background thread; returns the server."""
        self._stopping.clear()
        self._http.start()
        return self

    def stop(self) -> None:
        """Stop serving, after shutting down the clients ``client()`` made.

        A delayed answer in progress ends at once, unanswered.
        """
        with self._changed:
            clients, self._clients = self._clients, []
        for client in clients:
            client.shutdown(timeout=CLIENT_SHUTDOWN_TIMEOUT)
        self._stopping.set()
        if self._http.is_running():
            self._http.stop()

    def is_running(self) -> bool:
        """Whether the server is serving."""
        return self._http.is_running()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (the real one once started)."""
        return self._http.port

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:51234``: the SDK's ``api_base``."""
        return self._http.url_for("/").rstrip("/")

    @property
    def page_url(self) -> str:
        """The live page: every request as it arrives, to open in a browser."""
        return self.url + "/"

    def client(self, **options: Unpack[ClientOptions]) -> TrodoClient:
        """A ``trodo.TrodoClient`` pointed at this server, with this server's site id.

        ``options`` are the client's, e.g. ``server.client(batch_enabled=True)``.
        The server shuts the client down when it stops.

        Example::

            client = server.client()
            client.track("user_42", "signup")
            client.flush()
        """
        import trodo  # lazily: trodo.testing is imported by the pytest plugin

        if "api_base" in options:
            raise TypeError("client() sets api_base to the server's url; do not pass one")
        options["api_base"] = self.url
        client = trodo.TrodoClient(self.site_id, **options)
        with self._changed:
            self._clients.append(client)
        return client

    def __repr__(self) -> str:
        return f"<MockTrodoServer {self.url} site_id={self.site_id!r}>"

    # Serving (on the server's threads) -----------------------------------------------------

    def _handle(self, request: Request) -> Response:
        page = self._live.serve(request)
        if page is not None:
            return page  # the live page or its data: not an API request, not recorded
        received_at = time.time()
        with self._changed:
            index = self._next_index
            self._next_index += 1
        body = request.get_data()
        try:
            outcome = self._decide(request)
        except Exception as exc:
            # A bug in a responder (or in the mock) must not vanish into a thread.
            logger.exception("mock Trodo server failed on %s %s", request.method, request.path)
            with self._changed:
                self._errors.append(f"#{index} {request.method} {request.path}: {exc!r}")
            outcome = Outcome(Answer(500), accepted=False, fault=f"mock server error: {exc!r}")
        record = RecordedRequest(
            index=index,
            method=request.method,
            path=request.path,
            headers=dict(request.headers.items()),
            body=body,
            json=_json_or_none(body),
            status=None if outcome.answer is None else outcome.answer.status,
            accepted=outcome.accepted,
            fault=outcome.fault,
            violation=None if outcome.problem is None else outcome.problem.message,
            received_at=received_at,
        )
        # Recorded before answering: once a client sees the answer, tests see the record.
        self._record(record, outcome.problem)
        if self._on_request is not None:
            try:
                self._on_request(record)
            except Exception:
                logger.exception("on_request callback failed")
        if outcome.answer is None:
            drop_connection(request)
            return Response(status=500)  # never reaches the client: the socket is shut
        return _response(outcome.answer)

    def _record(self, record: RecordedRequest, problem: Problem | None) -> None:
        with self._changed:
            bisect.insort(self._requests, record, key=lambda r: r.index)
            if self._max_recorded is not None and len(self._requests) > self._max_recorded:
                del self._requests[: len(self._requests) - self._max_recorded]
            if problem is not None:
                self._violations.append(
                    Violation(
                        record.index,
                        record.method,
                        record.path,
                        problem.status,
                        problem.message,
                        record.body,
                    )
                )
            self._live.add(record)
            self._changed.notify_all()


def _response(answer: Answer) -> Response:
    return Response(
        json.dumps(answer.json_body()),
        status=answer.status,
        headers=dict(answer.headers),
        content_type="application/json",
    )


def _json_or_none(body: bytes) -> Any:
    try:
        return parse_json(body)
    except ValueError:
        return None
