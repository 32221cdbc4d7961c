"""How much the sink absorbs: a tight raw-socket client loop, from another process.

Pre-encoded requests go out on one kept-alive connection, as fast as the sink answers,
so the figure is the sink's limit, not a client library's. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import socket
import time
from urllib.parse import urlsplit

from bench.workload import new_session_id, properties, user_id, wire_event


def _request(host: str, port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def _read_response(sock: socket.socket, buf: bytearray) -> int:
    """Read one response off ``sock``; return its status code."""
    while (end := buf.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("sink closed the connection")
        buf += chunk
    head = bytes(buf[:end]).decode("latin-1").split("\r\n")
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    total = end + 4 + length
    while len(buf) < total:
        buf += sock.recv(65536)
    del buf[:total]
    return int(head[0].split(" ")[1])


def _drive(
    url: str, path: str, bodies: list[bytes], events_per_body: int, seconds: float
) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [_request(host, port, path, body) for body in bodies]
    with socket.create_connection((host, port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray()
        sent = 0
        start = time.perf_counter()
        deadline = start + seconds
        while time.perf_counter() < deadline:
            sock.sendall(requests[sent % len(requests)])
            if _read_response(sock, buf) != 200:
                raise RuntimeError(f"sink refused a request to {path}")
            sent += 1
        elapsed = time.perf_counter() - start
    return {"requests_per_s": sent / elapsed, "events_per_s": sent * events_per_body / elapsed}


def _event(i: int, session_id: str) -> dict[str, object]:
    return wire_event(user_id(i), session_id, properties(i))


def _bulk_bodies(events_per_body: int, count: int) -> list[bytes]:
    session = new_session_id()
    return [
        json.dumps(
            {"events": [_event(b * events_per_body + k, session) for k in range(events_per_body)]}
        ).encode()
        for b in range(count)
    ]


def measure(url: str, seconds: float) -> dict[str, dict[str, float]]:
    """Requests/s and events/s the sink absorbs, for three body shapes."""
    session = new_session_id()
    single = [json.dumps(_event(i, session)).encode() for i in range(1000)]
    return {
        "bulk_1000": _drive(url, "/api/events/bulk", _bulk_bodies(1000, 50), 1000, seconds),
        "bulk_100": _drive(url, "/api/events/bulk", _bulk_bodies(100, 200), 100, seconds),
        "single": _drive(url, "/api/events", single, 1, seconds),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sink", required=True, help="the sink's base URL")
    parser.add_argument("--seconds", type=float, default=1.5)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.sink, args.seconds)))


if __name__ == "__main__":
    main()
