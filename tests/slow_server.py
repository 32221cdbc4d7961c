"""A slow stand-in for Trodo, run in its own process by the loop-lag test.

``python tests/slow_server.py SECONDS`` answers every POST after SECONDS
with ``{"success": true}``, prints its base URL, and when its standard input
closes prints ``{"events": N}`` (the events it received) and exits.

Why not the mock server: it checks every body against the spec in Python,
which in the test's process competes for the GIL with the event loop under
test, and in another process keeps a core busy; either way the probe would
measure the mock, not the client. This server does almost nothing but wait.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events = 0

    def add(self, path: str, body: dict[str, object]) -> None:
        received = body["events"] if path == "/api/events/bulk" else [body]
        if path in ("/api/events", "/api/events/bulk"):
            with self.lock:
                self.events += len(received)  # type: ignore[arg-type]


def serve(delay: float) -> None:
    counter = Counter()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the client expects

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            time.sleep(delay)
            counter.add(self.path, body)
            answer = b'{"success": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    sys.stdin.read()
    print(json.dumps({"events": counter.events}), flush=True)


if __name__ == "__main__":
    serve(float(sys.argv[1]))
