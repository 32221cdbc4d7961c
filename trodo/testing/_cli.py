"""The dev server: ``python -m trodo.testing`` / ``trodo-mock-server``.

Runs a MockTrodoServer in the foreground and prints each request as it
arrives, violations loudly, until interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import Any, TextIO

from trodo.testing._records import (
    BULK_PATH,
    EVENT_PATH,
    IDENTIFY_PATH,
    RESET_PATH,
    SESSION_PATH,
    WALLET_PATH,
    RecordedRequest,
    compact_json,
    profile_operation,
)

DEFAULT_PORT = 8787
# The dev server may run for hours: keep a bounded history.
MAX_RECORDED = 10_000
PROPERTIES_LIMIT = 300
INDENT = " " * 10
PATH_WIDTH = len("/api/sdk/wallet-address")  # the longest endpoint: columns line up


class RequestPrinter:
    """Writes one request at a time to ``out``, as readable lines."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()  # requests arrive on several server threads

    def __call__(self, request: RecordedRequest) -> None:
        lines = self.format(request)
        with self._lock:
            self._out.write("\n".join(lines) + "\n")
            self._out.flush()

    def format(self, request: RecordedRequest) -> list[str]:
        """The lines printed for ``request``."""
        clock = time.strftime("%H:%M:%S", time.localtime(request.received_at))
        status = "---" if request.status is None else str(request.status)
        head = f"{clock}  {status}  {request.method} {request.path:<{PATH_WIDTH}}"
        if request.violation is not None:
            return [
                f"{head}  !!! VIOLATION: {request.violation}",
                f"{INDENT}body: {_cut(request.body.decode('utf-8', errors='replace'))}",
            ]
        note = _note(request)
        items = _items(request)
        if len(items) == 1:
            return [f"{head}  {items[0]}{note}"]
        return [f"{head}  {len(items)} events{note}", *(INDENT + item for item in items)]


def _note(request: RecordedRequest) -> str:
    if request.fault is None:
        return ""
    verdict = "accepted" if request.accepted else "not accepted"
    return f"  [{request.fault}; {verdict}]"


def _items(request: RecordedRequest) -> list[str]:
    body: Any = request.json
    if request.path in (EVENT_PATH, BULK_PATH):
        return [_event(event) for event in request.events]
    if request.path == SESSION_PATH:
        data = body["sessionData"]
        return [f"session   distinct_id={data['distinct_id']}  session_id={data['session_id']}"]
    if request.path == IDENTIFY_PATH:
        return [f"identify  distinct_id={body['distinctId']}  identify_id={body['identifyId']}"]
    if request.path == RESET_PATH:
        return [f"reset     distinct_id={body['distinctId']}  session_id={body['sessionId']}"]
    if request.path == WALLET_PATH:
        return [f"wallet    distinct_id={body['distinctId']}  address={body['walletAddress']}"]
    operation = profile_operation(request.path)
    if operation is not None:
        return [_profile(operation, body)]
    return [compact_json(body)]


def _profile(operation: str, body: Any) -> str:
    user = body.get("userId", body.get("distinctId"))
    rest = {k: v for k, v in body.items() if k not in ("siteId", "userId", "distinctId")}
    tail = f"  {_cut(compact_json(rest))}" if rest else ""
    return f"{operation}  distinct_id={user}{tail}"


def _event(event: Any) -> str:
    kind = ""
    if (event["event_type"], event["event_category"]) != ("custom", "custom"):
        kind = f" ({event['event_type']}/{event['event_category']})"
    properties = _cut(compact_json(event["custom_properties"]))
    return f"event     {event['event_name']}{kind}  distinct_id={event['user_id']}  {properties}"


def _cut(text: str) -> str:
    return text if len(text) <= PROPERTIES_LIMIT else text[:PROPERTIES_LIMIT] + "..."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trodo-mock-server",
        description=(
            "Run a mock Trodo API that checks every request against the API spec "
            "and prints it as it arrives. Ctrl+C stops it."
        ),
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default: %(default)s")
    parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    parser.add_argument(
        "--site-id",
        help="answer 401 to requests with any other X-Trodo-Site-Id (default: accept any)",
    )
    parser.add_argument(
        "--merge-on-identify",
        action="store_true",
        help="answer identify with newDistinctId = identifyId, as after a merge",
    )
    return parser


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the dev server until interrupted; returns the exit status."""
    args = _parser().parse_args(argv)
    from trodo.testing._live import is_loopback
    from trodo.testing._server import DEFAULT_SITE_ID, MockTrodoServer

    server = MockTrodoServer(
        port=args.port,
        host=args.host,
        site_id=args.site_id or DEFAULT_SITE_ID,
        check_site_id=args.site_id is not None,
        merge_on_identify=args.merge_on_identify,
        on_request=RequestPrinter(sys.stdout),
        max_recorded=MAX_RECORDED,
    )
    try:
        server.start()
    except OSError as exc:
        where = f"{args.host}:{args.port}"
        print(f"trodo-mock-server: cannot listen on {where}: {exc}", file=sys.stderr)
        return 1
    site = server.site_id if server.check_site_id else "any"
    print(
        f"Mock Trodo API on {server.url} (site id: {site}); "
        "every request is checked against the Trodo API spec.\n"
        f'Point the SDK at it: trodo.init("{server.site_id}", api_base="{server.url}"); '
        f"watch its requests arrive at {server.page_url} in a browser. Ctrl+C stops.",
        flush=True,
    )
    if not is_loopback(args.host):
        print(
            f"trodo-mock-server: listening on {args.host}: anyone who can reach it can read "
            "the live page (what your app sends) and clear it.",
            file=sys.stderr,
            flush=True,
        )
    # SIGINT too: a shell starts background jobs with SIGINT ignored, and
    # Python then installs no KeyboardInterrupt handler of its own.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    requests = server.requests
    print(
        f"\nStopped after {len(requests)} request(s): {len(server.events)} event(s) and "
        f"{len(server.profile_updates)} profile update(s) accepted, "
        f"{len(server.violations)} violation(s).",
        flush=True,
    )
    return 0
