"""The HTTP layer of the mock: a threaded pytest-httpserver server with one handler."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Any

from pytest_httpserver.httpserver import HTTPServerBase, HTTPServerError
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

POLL_INTERVAL = 0.02


class _QuietRequestHandler(WSGIRequestHandler):
    """Serves without werkzeug's access log: the mock records requests itself."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class HandlerServer(HTTPServerBase):
    """Serves every request with ``handler``, each on its own thread.

    Threads let a delayed answer keep one connection waiting while other
    connections are served, as a real server does.
    """

    def __init__(self, host: str, port: int, handler: Callable[[Request], Response]) -> None:
        super().__init__(host, port, threaded=True)
        self._handler = handler

    def start(self) -> None:
        # Like HTTPServerBase.start, with a request handler that keeps werkzeug quiet.
        if self.is_running():
            raise HTTPServerError("Server is already running")
        app: Any = Request.application(self.application)
        # Bound here, not by werkzeug: werkzeug answers a taken port with
        # sys.exit(1), and a test suite needs the OSError.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.create_server((self.host, self.port), family=family)
        try:
            self.server = make_server(
                self.host,
                self.port,
                app,
                threaded=True,
                request_handler=_QuietRequestHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # werkzeug serves on its own duplicate of the socket
        self.port = self.server.port
        self.server_thread = threading.Thread(target=self.thread_target, daemon=True)
        self.server_thread.start()

    def thread_target(self) -> None:
        # serve_forever checks for shutdown every poll interval: the default 0.5 s
        # would make each stop (each test using the server) half a second slower.
        assert self.server is not None
        self.server.serve_forever(poll_interval=POLL_INTERVAL)

    def application(self, request: Request) -> Response:
        # pytest-httpserver would also keep every request and response in an
        # unbounded log; the mock keeps its own records.
        return self.dispatch(request)

    def dispatch(self, request: Request) -> Response:
        return self._handler(request)


def drop_connection(request: Request) -> None:
    """Close the request's connection without an answer (the client sees a disconnect)."""
    sock: socket.socket = request.environ["werkzeug.socket"]
    # OSError: the client went away first; the connection is gone either way.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
