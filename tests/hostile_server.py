"""A raw-socket HTTP server that misbehaves in ways a well-behaved server library cannot:
an answer trickled one byte every few seconds, a 200 whose body never ends, headers
that are not HTTP, absurd numbers. For the tests of what ``timeout`` bounds and of
defensive parsing.

It listens on 127.0.0.1 (port 0), serves each connection on its own thread, reads one
request (headers and a Content-Length body) and hands it to the *behaviour*: a function
given the request's path and body and the connection's socket, which writes whatever it
likes. It records every request it read (path, JSON body) and, per behaviour, what
happened on the socket, so a test can tell whether the client is still reading.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Behaviour = Callable[["Exchange"], None]

OK_BODY = b'{"success": true}'


@dataclass
class Exchange:
    """One request read from a connection, and the socket to answer it on."""

    path: str
    body: Any
    sock: socket.socket
    server: HostileServer

    def send(self, data: bytes) -> bool:
        """Write ``data``; False once the client has gone (closed or reset)."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def stopping(self, seconds: float) -> bool:
        """Sleep ``seconds``; True if the server is stopping meanwhile."""
        return self.server._stopping.wait(seconds)


@dataclass
class Written:
    """What a streaming behaviour managed to write before the client went away."""

    bytes_sent: int = 0
    closed_by_client_at: float | None = None  # time.monotonic() when a write failed
    last_write_at: float | None = None


def answer(status: str, body: bytes = OK_BODY, headers: dict[str, str] | None = None) -> bytes:
    """A complete, well-formed HTTP/1.1 answer that closes the connection."""
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    for name, value in (headers or {}).items():
        head += f"{name}: {value}\r\n"
    return head.encode("latin-1") + b"\r\n" + body


def ok(exchange: Exchange) -> None:
    """A normal answer."""
    exchange.send(answer("200 OK"))


def trickle(interval: float, written: Written) -> Behaviour:
    """Answer one byte every ``interval`` seconds (a status line and headers that take
    minutes to arrive: each read gets a byte well within any per-read timeout)."""
    whole = answer("200 OK", b'{"success": true}' + b" " * 10_000)

    def behaviour(exchange: Exchange) -> None:
        for i in range(len(whole)):
            if not exchange.send(whole[i : i + 1]):
                written.closed_by_client_at = time.monotonic()
                return
            written.bytes_sent += 1
            written.last_write_at = time.monotonic()
            if exchange.stopping(interval):
                return

    return behaviour


def endless_body(written: Written, chunk: int = 64 * 1024) -> Behaviour:
    """A 200 with no Content-Length whose body never ends: JSON-looking bytes, as fast
    as the client takes them, until the client closes the connection."""
    data = b"[" + b'{"success": true},' * (chunk // 18)

    def behaviour(exchange: Exchange) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        if not exchange.send(head):
            return
        while not exchange.server._stopping.is_set():
            if not exchange.send(data):
                written.closed_by_client_at = time.monotonic()
                return
            written.bytes_sent += len(data)
            written.last_write_at = time.monotonic()

    return behaviour


def raw(data: bytes) -> Behaviour:
    """Answer exactly ``data`` (anything at all), then close."""

    def behaviour(exchange: Exchange) -> None:
        exchange.send(data)

    return behaviour


def by_path(behaviours: dict[str, Behaviour], default: Behaviour = ok) -> Behaviour:
    """A behaviour per path; ``default`` for the others."""

    def behaviour(exchange: Exchange) -> None:
        behaviours.get(exchange.path, default)(exchange)

    return behaviour


@dataclass
class Request:
    path: str
    body: Any
    at: float


@dataclass
class HostileServer:
    """The server: ``with HostileServer(behaviour) as server: ... server.url``."""

    behaviour: Behaviour = ok
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> HostileServer:
        self._accepting.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._accepting.join(5)
        self._listener.close()
        for thread in self._threads:
            thread.join(5)

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def events(self) -> list[Any]:
        """Every event of every request read (accepted or not)."""
        with self._lock:
            requests = list(self.requests)
        found: list[Any] = []
        for r in requests:
            if r.path == "/api/events/bulk" and isinstance(r.body, dict):
                found += r.body.get("events", [])
            elif r.path == "/api/events":
                found.append(r.body)
        return found

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            try:
                request = _read_request(conn)
            except (OSError, ValueError):
                return
            if request is None:
                return
            path, body = request
            with self._lock:
                self.requests.append(Request(path, body, time.monotonic()))
            self.behaviour(Exchange(path, body, conn, self))


def _read_request(conn: socket.socket) -> tuple[str, Any] | None:
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1]
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            return None
        rest += data
    try:
        body = json.loads(rest[:length]) if length else None
    except ValueError:
        body = None
    return path, body
