"""Helpers of the delivery tests: a gate that holds the mock server's answers, an
``on_error`` recorder, and short views of what the server received.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from trodo import DeliveryError, TrodoWarning
from trodo.testing import Answer, MockTrodoServer, RecordedRequest

BULK = "/api/events/bulk"
EVENTS = "/api/events"
SESSIONS = "/api/sdk/track"
# Waits that end early when things work; long only so a loaded machine never flakes.
PATIENCE = 30.0


@contextlib.contextmanager
def trodo_warnings() -> Iterator[list[str]]:
    """The messages of every ``TrodoWarning`` issued inside the block, from any thread
    (each one, not once per place as Python's default shows them); filled at its end."""
    said: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TrodoWarning)
        yield said
    said.extend(str(w.message) for w in caught if issubclass(w.category, TrodoWarning))


class Gate:
    """A responder that holds every request it sees until :meth:`open` (then answers normally).

    ``holds`` chooses the requests to hold (all by default). A held request
    is not yet in ``server.requests``: the mock records a request when it
    answers it.
    """

    def __init__(self, holds: Callable[[str, Any], bool] | None = None) -> None:
        self._holds = holds
        self._open = threading.Event()
        self._entered = threading.Condition()
        self.held = 0

    def __call__(self, path: str, body: Any) -> Answer | None:
        if self._holds is None or self._holds(path, body):
            with self._entered:
                self.held += 1
                self._entered.notify_all()
            self._open.wait(PATIENCE * 2)
        return None

    def wait_held(self, count: int = 1, timeout: float = PATIENCE) -> None:
        """Block until ``count`` requests are being held."""
        with self._entered:
            if not self._entered.wait_for(lambda: self.held >= count, timeout):
                raise TimeoutError(f"waited {timeout:g}s for {count} held request(s)")

    def open(self) -> None:
        """Answer the held requests and every later one normally."""
        self._open.set()


class ErrorLog:
    """An ``on_error`` callback that keeps what it was given (from any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._errors: list[DeliveryError] = []

    def __call__(self, error: DeliveryError) -> None:
        with self._lock:
            self._errors.append(error)

    @property
    def errors(self) -> list[DeliveryError]:
        with self._lock:
            return list(self._errors)

    def reasons(self) -> list[str]:
        return [str(error.reason) for error in self.errors]

    def lost_names(self, reason: str) -> list[str]:
        """Names of the events given up for ``reason``, in report order."""
        return [
            e.event_name for error in self.errors if error.reason == reason for e in error.events
        ]


def names(events: Iterable[Any]) -> list[str]:
    """The event names, in order."""
    return [event["event_name"] for event in events]


def counts(events: Iterable[Any]) -> Counter[str]:
    """How many times each event name arrived."""
    return Counter(names(events))


def bulk_requests(server: MockTrodoServer) -> list[RecordedRequest]:
    """The bulk requests the server received, in arrival order."""
    return [r for r in server.requests if r.path == BULK]


class KeepAliveServer:
    """A bare HTTP/1.1 server that keeps connections open: every POST gets 200.

    The mock Trodo server (werkzeug's) closes each connection after its answer,
    so it cannot show whether the client reuses one. This one records the
    client's port of each request: one port, one connection.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, int]] = []
        lock = threading.Lock()
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    requests.append((self.path, self.client_address[1]))
                body = b'{"success": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def ports(self) -> set[int]:
        """The client ports requests came from."""
        return {port for _, port in self.requests}

    def __enter__(self) -> KeepAliveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
