"""A fast local sink: a hand-written HTTP/1.1 keep-alive server that counts events.

It runs in its own process (``python -m bench.sink``) so that its CPU never counts in
the measured client's getrusage. It accepts the Trodo paths and the peers' batch paths,
decodes every JSON body, counts events per path and checks the unique ``i`` of each
event for loss and duplication. Two control paths drive it between runs:

- ``POST /_sink/reset`` with ``{"expected": N}`` starts a new tally expecting ids 0..N-1;
  with ``"fail_rate": R, "seed": S`` it also fails that share of every request (any path)
  with a 5xx, drawn from ``random.Random(S)`` in arrival order, so every client meets the
  same sequence of answers (the fault table);
- ``GET /_sink/stats`` answers the tally (see ``Tally.snapshot``).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import random
import sys
from collections import Counter
from typing import Any

# Paths whose body is a list of events, and the key that holds the list.
BATCH_KEYS = {
    "/api/events/bulk": "events",  # Trodo
    "/batch/": "batch",  # posthog (capture v0)
    "/batch": "batch",
    "/v1/batch": "batch",  # segment
}
SINGLE_EVENT_PATHS = frozenset({"/api/events"})
OK_BODY = b'{"success": true}'
FAULTS = (
    "500 Internal Server Error",
    "502 Bad Gateway",
    "503 Service Unavailable",
    "504 Gateway Timeout",
)


class Tally:
    """Counts of one run: requests and events per path, and the unique ids seen."""

    def __init__(self, expected: int = 0, fail_rate: float = 0.0, seed: int = 0) -> None:
        self.expected = expected
        self.fail_rate = fail_rate
        self._random = random.Random(seed)
        self.failed: Counter[str] = Counter()  # requests answered 5xx, by path
        self.requests: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.seen: set[int] = set()
        self.duplicates = 0
        self.untagged = 0
        self.invalid = 0  # bodies that were not JSON (or not gzip): a broken client

    def fault(self, path: str) -> str | None:
        """The 5xx status line to answer this request with, or None to accept it."""
        if not self.fail_rate or self._random.random() >= self.fail_rate:
            return None
        self.failed[path] += 1
        return self._random.choice(FAULTS)

    def add_body(self, path: str, body: Any) -> None:
        """Count one decoded request body sent to ``path``."""
        self.requests[path] += 1
        if path in SINGLE_EVENT_PATHS:
            self._add_events(path, [body])
            return
        key = BATCH_KEYS.get(path)
        if key is not None and isinstance(body, dict):
            events = body.get(key)
            if isinstance(events, list):
                self._add_events(path, events)

    def _add_events(self, path: str, events: list[Any]) -> None:
        ids: list[int] = []
        for event in events:
            props = None
            if isinstance(event, dict):
                props = event.get("custom_properties") or event.get("properties")
            tag = props.get("i") if isinstance(props, dict) else None
            if isinstance(tag, int):
                ids.append(tag)
            else:
                self.untagged += 1
        self.events[path] += len(events)
        before = len(self.seen)
        self.seen.update(ids)
        self.duplicates += len(ids) - (len(self.seen) - before)

    def snapshot(self) -> dict[str, Any]:
        """The tally as JSON: delivered (unique expected ids), missing, duplicates, per path."""
        in_range = sum(1 for i in self.seen if 0 <= i < self.expected)
        return {
            "expected": self.expected,
            "delivered": in_range,
            "missing": self.expected - in_range,
            "unexpected": len(self.seen) - in_range,
            "duplicates": self.duplicates,
            "untagged": self.untagged,
            "invalid": self.invalid,
            "events": sum(self.events.values()),
            "events_by_path": dict(self.events),
            "requests_by_path": dict(self.requests),
            "failed_by_path": dict(self.failed),
        }


def _response(status: str, body: bytes, *, close: bool = False) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    if close:
        head += "Connection: close\r\n"
    return head.encode("ascii") + b"\r\n" + body


OK_RESPONSE = _response("200 OK", OK_BODY)


class _Connection(asyncio.Protocol):
    """One keep-alive connection: parses Content-Length requests as the bytes arrive."""

    def __init__(self, tally_box: list[Tally]) -> None:
        self._box = tally_box
        self._buf = bytearray()
        self._transport: asyncio.Transport | None = None
        # The request whose body is still arriving: (method, path, length, gzip, close).
        self._pending: tuple[str, str, int, bool, bool] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        while True:
            if self._pending is None:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(buf[:end])
                del buf[: end + 4]
                self._pending = self._parse_head(head)
                if self._pending is None:
                    return
            method, path, length, gzipped, close = self._pending
            if len(buf) < length:
                return
            body = bytes(buf[:length])
            del buf[:length]
            self._pending = None
            self._answer(method, path, body, gzipped, close)
            if close:
                return

    def _parse_head(self, head: bytes) -> tuple[str, str, int, bool, bool] | None:
        lines = head.split(b"\r\n")
        try:
            method, target, _version = lines[0].decode("latin-1").split(" ", 2)
        except ValueError:
            self._fail("400 Bad Request")
            return None
        length, gzipped, close = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                # Every client measured here sends Content-Length; refuse what we do not parse.
                self._fail("411 Length Required")
                return None
            elif name == b"content-encoding":
                gzipped = b"gzip" in value.lower()
            elif name == b"connection":
                close = value.strip().lower() == b"close"
        return method, target.split("?", 1)[0], length, gzipped, close

    def _fail(self, status: str) -> None:
        assert self._transport is not None
        self._transport.write(_response(status, b"{}", close=True))
        self._transport.close()

    def _answer(self, method: str, path: str, body: bytes, gzipped: bool, close: bool) -> None:
        assert self._transport is not None
        if path == "/_sink/stats":
            payload = json.dumps(self._box[0].snapshot()).encode()
            self._transport.write(_response("200 OK", payload, close=close))
        elif path == "/_sink/reset":
            settings = json.loads(body) if body else {}
            self._box[0] = Tally(
                int(settings.get("expected", 0)),
                float(settings.get("fail_rate", 0.0)),
                int(settings.get("seed", 0)),
            )
            self._transport.write(_response("200 OK", OK_BODY, close=close))
        elif method != "POST":
            self._transport.write(_response("405 Method Not Allowed", b"{}", close=close))
        elif (fault := self._box[0].fault(path)) is not None:
            self._transport.write(_response(fault, b'{"error": "injected"}', close=close))
        else:
            # Answer first, then decode and count: the client goes on while the sink
            # works (2 cores), so the sink's own work stays off the measured path. The
            # tally is still complete before any later request (a stats call) is read.
            self._transport.write(
                _response("200 OK", OK_BODY, close=True) if close else OK_RESPONSE
            )
            try:
                decoded = json.loads(gzip.decompress(body) if gzipped else body)
            except (ValueError, OSError):
                self._box[0].invalid += 1
            else:
                self._box[0].add_body(path, decoded)
        if close:
            self._transport.close()


async def serve(host: str, port: int) -> None:
    """Serve until killed; print the sink's URL on stdout once it listens."""
    box = [Tally()]
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(box), host, port, backlog=256)
    bound = server.sockets[0].getsockname()[1]
    print(f"http://{host}:{bound}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.host, args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
