"""MockTrodoServer: a spec-validating Trodo API on a real socket, with fault scripting."""

from __future__ import annotations

import bisect
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, Unpack, cast

from werkzeug.wrappers import Request, Response

from trodo.testing._faults import Answer, Fault, FaultScript, Responder
from trodo.testing._http import HandlerServer, drop_connection
from trodo.testing._live import LiveFeed
from trodo.testing._records import (
    IDENTIFY_PATH,
    RESET_PATH,
    SESSION_PATH,
    WALLET_PATH,
    Event,
    IdentifyCall,
    ProfileUpdate,
    RecordedRequest,
    ResetCall,
    SessionData,
    Violation,
    WalletAddressCall,
)
from trodo.testing._spec import SITE_ID_HEADER, Problem, parse_json, request_checker, spec_paths

if TYPE_CHECKING:
    from trodo import ClientOptions, TrodoClient

logger = logging.getLogger("trodo.testing")

DEFAULT_SITE_ID = "test-site"
# Seconds a client made by client() may take to deliver what it holds at stop().
CLIENT_SHUTDOWN_TIMEOUT = 2.0
# How long wait_for_events() and wait_for_requests() wait by default: past the
# default batch_flush_interval (5 s) and its retries, so that a batched event,
# which leaves when the interval ends, arrives within the wait.
DEFAULT_WAIT = 15.0

_T = TypeVar("_T")


@dataclass(frozen=True)
class _Outcome:
    """What the server does with one request. ``answer=None``: drop the connection."""

    answer: Answer | None
    accepted: bool
    fault: str | None = None
    problem: Problem | None = None


class MockTrodoServer:
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

    # What was received ---------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request in arrival order, faulted and invalid ones included."""
        with self._changed:
            return list(self._requests)

    @property
    def violations(self) -> list[Violation]:
        """The requests that broke the spec, in arrival order."""
        with self._changed:
            return list(self._violations)

    @property
    def errors(self) -> list[str]:
        """Exceptions raised while answering (e.g. in a responder), as text."""
        with self._changed:
            return list(self._errors)

    @property
    def events(self) -> list[Event]:
        """The events the server accepted, in arrival order (from /api/events and /bulk)."""
        return [event for request in self._accepted() for event in request.events]

    @property
    def faulted_events(self) -> list[Event]:
        """The valid events the server did not accept (answered non-2xx, or dropped)."""
        with self._changed:
            requests = [r for r in self._requests if r.valid and not r.accepted]
        return [event for request in requests for event in request.events]

    @property
    def sessions(self) -> list[SessionData]:
        """The ``sessionData`` of each accepted session registration."""
        return [cast(SessionData, r.json["sessionData"]) for r in self._accepted(SESSION_PATH)]

    @property
    def identifies(self) -> list[IdentifyCall]:
        """The body of each accepted identify call."""
        return [cast(IdentifyCall, r.json) for r in self._accepted(IDENTIFY_PATH)]

    @property
    def resets(self) -> list[ResetCall]:
        """The body of each accepted reset call."""
        return [cast(ResetCall, r.json) for r in self._accepted(RESET_PATH)]

    @property
    def wallet_addresses(self) -> list[WalletAddressCall]:
        """The body of each accepted wallet-address call."""
        return [cast(WalletAddressCall, r.json) for r in self._accepted(WALLET_PATH)]

    @property
    def profile_updates(self) -> list[ProfileUpdate]:
        """Each accepted profile, group and upsert write, in arrival order, its operation named.

        Example::

            client.people_set("user_42", {"plan": "pro"})
            [update] = server.profile_updates
            assert (update.operation, update.body["properties"]) == ("people.set", {"plan": "pro"})
        """
        found = (r.profile_update for r in self._accepted())
        return [update for update in found if update is not None]

    def wait_for_profile_updates(
        self, count: int, timeout: float = DEFAULT_WAIT
    ) -> list[ProfileUpdate]:
        """Block until at least ``count`` profile writes were accepted; return them all."""
        return self._wait(lambda: self.profile_updates, count, timeout, "profile updates")

    def wait_for_events(self, count: int, timeout: float = DEFAULT_WAIT) -> list[Event]:
        """Block until the server has accepted at least ``count`` events; return them.

        Useful when the SDK delivers from a background thread. Raises
        ``TimeoutError`` (saying what did arrive) after ``timeout`` seconds
        (default 15: longer than the default ``batch_flush_interval`` of 5 s,
        after which a batched event leaves).

        Example::

            events = server.wait_for_events(2)
        """
        return self._wait(lambda: self.events, count, timeout, "accepted events")

    def wait_for_requests(self, count: int, timeout: float = DEFAULT_WAIT) -> list[RecordedRequest]:
        """Block until at least ``count`` requests were recorded (whatever their answer)."""
        return self._wait(lambda: self.requests, count, timeout, "requests")

    def clear(self) -> None:
        """Forget every recorded request, violation and error (scripted faults stay)."""
        with self._changed:
            self._requests.clear()
            self._violations.clear()
            self._errors.clear()
            self._live.clear()

    # Scripted behaviour --------------------------------------------------------------------

    def fail_next(
        self,
        times: int = 1,
        *,
        status: int = 503,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        path: str | None = None,
    ) -> None:
        """Answer the next ``times`` valid requests (to ``path`` only, if given) with ``status``.

        Example::

            server.fail_next(status=429, headers={"Retry-After": "1"})
            server.fail_next(2, status=413, path="/api/events/bulk")
        """
        answer = Answer(status, body, dict(headers or {}))
        self._faults.add(Fault(f"scripted {status}", times, self._path(path), answer=answer))

    def delay_next(
        self,
        seconds: float,
        times: int = 1,
        *,
        status: int | None = None,
        path: str | None = None,
    ) -> None:
        """Hold the answer to the next ``times`` valid requests for ``seconds``.

        After the wait the request is handled as usual (and accepted, as a slow
        server would), or answered ``status`` when one is given. A client whose
        timeout is shorter sees a timeout.
        """
        answer = None if status is None else Answer(status)
        label = f"delayed {seconds:g}s" + ("" if status is None else f", then {status}")
        self._faults.add(Fault(label, times, self._path(path), answer=answer, delay=seconds))

    def drop_next(self, times: int = 1, *, path: str | None = None) -> None:
        """Close the connection of the next ``times`` valid requests without an answer.

        Nothing is accepted; the client sees the server disconnect.
        """
        self._faults.add(Fault("dropped", times, self._path(path), drop="before"))

    def accept_then_drop_next(self, times: int = 1, *, path: str | None = None) -> None:
        """Accept the next ``times`` valid requests, then close the connection unanswered.

        The ambiguous case: the events count as accepted (in ``events``) while
        the client sees a disconnect and cannot know they arrived.
        """
        self._faults.add(Fault("accepted then dropped", times, self._path(path), drop="after"))

    def outage(
        self, seconds: float, *, status: int = 503, headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer every valid request with ``status`` for the next ``seconds``.

        An outage takes precedence over scripted faults and uses none of them.
        """
        self._faults.start_outage(seconds, Answer(status, None, dict(headers or {})))

    def respond_with(self, responder: Responder | None, *, path: str | None = None) -> None:
        """Let ``responder(path, body)`` choose the answer to each valid request.

        It returns an ``Answer``, or ``None`` for the normal answer. With
        ``path`` it sees only that endpoint's requests. ``None`` removes it.
        A 2xx answer counts as accepted.

        Example (reject a bulk request holding an event named "bad")::

            def reject_bad(path, body):
                if any(e["event_name"] == "bad" for e in body["events"]):
                    return Answer(400)
                return None

            server.respond_with(reject_bad, path="/api/events/bulk")
        """
        self._faults.set_responder(responder, self._path(path))

    def clear_faults(self) -> None:
        """Remove scripted faults, the outage and responders: normal answers again."""
        self._faults.clear()

    @property
    def pending_faults(self) -> int:
        """How many requests the scripted faults still wait for."""
        return self._faults.pending()

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
            outcome = _Outcome(Answer(500), accepted=False, fault=f"mock server error: {exc!r}")
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

    def _decide(self, request: Request) -> _Outcome:
        problem = self._checker.check(request)
        if problem is not None:
            answer = Answer(problem.status, {"error": problem.message})
            return _Outcome(answer, accepted=False, problem=problem)
        body = parse_json(request.get_data())
        outage = self._faults.outage()
        if outage is not None:
            return _Outcome(outage, accepted=outage.ok, fault=f"outage ({outage.status})")
        fault = self._faults.take(request.path)
        if fault is None:
            answer, why = self._answer(request, body)
            return _Outcome(answer, accepted=answer.ok, fault=why)
        if fault.delay and self._stopping.wait(fault.delay):
            # Stopped mid-delay: a server going down answers nothing.
            return _Outcome(None, accepted=False, fault=f"{fault.label}; server stopped")
        if fault.drop == "before":
            return _Outcome(None, accepted=False, fault=fault.label)
        if fault.answer is not None:
            return _Outcome(fault.answer, accepted=fault.answer.ok, fault=fault.label)
        answer, why = self._answer(request, body)
        if fault.drop == "after":
            return _Outcome(None, accepted=answer.ok, fault=fault.label)
        return _Outcome(answer, accepted=answer.ok, fault=fault.label if why is None else why)

    def _answer(self, request: Request, body: Any) -> tuple[Answer, str | None]:
        """The answer of a valid request with no fault, and why it is not the usual one."""
        if self.check_site_id and request.headers.get(SITE_ID_HEADER) != self.site_id:
            return Answer(401, {"error": "Unknown site id"}), "unknown site id"
        responder = self._faults.responder(request.path)
        if responder is not None:
            answer = responder(request.path, body)
            if answer is not None:
                return answer, "responder"
        if self.merge_on_identify and request.path == IDENTIFY_PATH:
            return Answer(200, {"success": True, "newDistinctId": body["identifyId"]}), None
        return Answer(200), None

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

    # Helpers --------------------------------------------------------------------------------

    def _accepted(self, path: str | None = None) -> Iterator[RecordedRequest]:
        with self._changed:
            requests = list(self._requests)
        return (r for r in requests if r.accepted and (path is None or r.path == path))

    def _wait(
        self, read: Callable[[], list[_T]], count: int, timeout: float, what: str
    ) -> list[_T]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := read()) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    summary = "\n".join(r.describe() for r in self._requests) or "(no requests)"
                    raise TimeoutError(
                        f"waited {timeout:g}s for {count} {what}, got {len(found)}; "
                        f"requests so far:\n{summary}"
                    )
                self._changed.wait(remaining)
        return found

    @staticmethod
    def _path(path: str | None) -> str | None:
        if path is not None and path not in spec_paths():
            raise ValueError(f"{path!r} is not a Trodo endpoint; one of {sorted(spec_paths())}")
        return path


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
