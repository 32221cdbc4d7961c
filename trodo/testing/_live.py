"""The live page of the mock server: what it received, in a browser and as JSON.

Served beside the API on the same port (GET only; the API is all POST):

- ``/``: the page (``_page/index.html``), which polls the JSON below;
- ``/_trodo/assets/<name>``: the page's script, stylesheet and icon;
- ``/_trodo/requests?since=<cursor>``: the recorded requests as JSON;
- ``POST /_trodo/clear``: forget the server's records (what ``clear()`` does).

None of these requests is recorded or validated: they are not API requests.
The page polls instead of holding a server-sent-events stream open, because
the server joins its request threads when it stops: a stream would hold
``stop()`` until the browser let go.
"""

from __future__ import annotations

import collections
import functools
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

from werkzeug.wrappers import Request, Response

from trodo.testing._records import (
    IDENTIFY_PATH,
    RESET_PATH,
    SESSION_PATH,
    WALLET_PATH,
    RecordedRequest,
)

REQUESTS_PATH = "/_trodo/requests"
CLEAR_PATH = "/_trodo/clear"
ASSETS_PREFIX = "/_trodo/assets/"
# The page sends this header with its clear request. A cross-origin page can
# only send a custom header after a CORS preflight, which is never allowed here,
# so no other site can clear the records.
CLEAR_HEADER = "X-Trodo-Live"
# The most requests one answer of the JSON endpoint holds; ``more`` says if there are others.
MAX_LIMIT = 1000
BODY_TEXT_LIMIT = 10_000

_ASSETS = {
    "live.js": "text/javascript; charset=utf-8",
    "live.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
_SECURITY_HEADERS = {
    # Only the package's own script and stylesheet run; nothing inline, nothing
    # from elsewhere, and no other site may frame the page.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Where the user and the session of a body are, by wire key: events are
# snake_case, identity and profile calls camelCase; sessionData nests them.
_USER_KEYS = ("user_id", "userId", "distinctId", "distinct_id")
_SESSION_KEYS = ("session_id", "sessionId")
_SITE_KEYS = frozenset({"siteId", "site_id"})
_ID_KEYS = frozenset({*_USER_KEYS, *_SESSION_KEYS, *_SITE_KEYS})
_CALL_NAMES = {
    SESSION_PATH: "session",
    IDENTIFY_PATH: "identify",
    RESET_PATH: "reset",
    WALLET_PATH: "wallet address",
}


def mask(site_id: str) -> str:
    """A site id as the SDK shows it in logs: never in full.

    The same rule as the core's (its first four characters); kept here so that
    trodo.testing does not import a private module of the core.
    """
    return site_id[:4] + "…" if len(site_id) > 6 else "…"


class LiveFeed:
    """The recorded requests in recording order, numbered for a ``since`` cursor.

    The server adds each record as it records it; its request index follows
    arrival, which a delayed request's recording does not, so the cursor is a
    number of its own. ``epoch`` changes on every clear (and differs between
    servers): a reader holding a cursor of another epoch starts again from 0.
    """

    def __init__(
        self,
        *,
        host: str,
        clear: Callable[[], None],
        max_recorded: int | None = None,
    ) -> None:
        self._local_only = is_loopback(host)
        self._clear_server = clear
        self._lock = threading.Lock()
        self._records: collections.deque[tuple[int, RecordedRequest]] = collections.deque(
            maxlen=max_recorded
        )
        self._last = 0
        self._epoch = secrets.token_hex(4)
        self._counts = _Counts()

    # Fed by the server ----------------------------------------------------------------------

    def add(self, record: RecordedRequest) -> None:
        """Record one request the server recorded."""
        with self._lock:
            self._last += 1
            self._records.append((self._last, record))
            self._counts.add(record)

    def clear(self) -> None:
        """Forget every record and count; readers see a new epoch."""
        with self._lock:
            self._records.clear()
            self._counts = _Counts()
            self._epoch = secrets.token_hex(4)

    def snapshot(self, since: int = 0, limit: int = MAX_LIMIT) -> dict[str, Any]:
        """The JSON answer of ``GET /_trodo/requests``: records after ``since``, oldest first."""
        newer: list[tuple[int, RecordedRequest]] = []
        with self._lock:
            # Numbers grow along the deque: walk back from the newest, only over what is new.
            for entry in reversed(self._records):
                if entry[0] <= since:
                    break
                newer.append(entry)
            epoch, counts = self._epoch, self._counts.as_dict()
        newer.reverse()
        page = newer[:limit]
        cursor = page[-1][0] if page else max(since, 0)
        return {
            "epoch": epoch,
            "cursor": cursor,
            "more": len(newer) > len(page),
            "counts": counts,
            "requests": [view(record, seq) for seq, record in page],
        }

    # Serving ---------------------------------------------------------------------------------

    def serve(self, request: Request) -> Response | None:
        """The answer to a request for the page or its data; ``None`` for an API request."""
        path, method = request.path, request.method
        page = method in ("GET", "HEAD") and path in ("/", "/favicon.ico")
        if not page and not path.startswith("/_trodo/"):
            return None
        if self._local_only and not is_loopback(_hostname(request.host)):
            # A page on another site that rebinds its name to 127.0.0.1 arrives
            # with its own Host: it must not read what the app sent.
            return _text(403, "this page answers only to localhost / 127.0.0.1")
        if path == CLEAR_PATH:
            return self._serve_clear(request)
        if method not in ("GET", "HEAD"):
            return _text(405, f"{method} is not allowed on {path}", Allow="GET, HEAD")
        if path == "/":
            return _asset_response("index.html", "text/html; charset=utf-8")
        if path == "/favicon.ico":
            return _asset_response("icon.svg", _ASSETS["icon.svg"])
        if path == REQUESTS_PATH:
            return self._serve_requests(request)
        name = path.removeprefix(ASSETS_PREFIX)
        if path.startswith(ASSETS_PREFIX) and name in _ASSETS:
            return _asset_response(name, _ASSETS[name])
        return _text(404, f"no such page: {path}")

    def _serve_requests(self, request: Request) -> Response:
        try:
            since = _int_arg(request.args, "since", 0, 0)
            limit = min(_int_arg(request.args, "limit", MAX_LIMIT, 1), MAX_LIMIT)
        except ValueError as exc:
            return _json(400, {"error": str(exc)})
        return _json(200, self.snapshot(since, limit))

    def _serve_clear(self, request: Request) -> Response:
        if request.method != "POST":
            return _text(405, f"{request.method} is not allowed on {CLEAR_PATH}", Allow="POST")
        origin = request.headers.get("Origin")
        if not request.headers.get(CLEAR_HEADER) or (
            origin is not None and origin != f"http://{request.host}"
        ):
            return _text(403, f"clear needs the {CLEAR_HEADER} header, from this page")
        self._clear_server()
        with self._lock:
            epoch = self._epoch
        return _json(200, {"cleared": True, "epoch": epoch})


class _Counts:
    def __init__(self) -> None:
        self.requests = 0
        self.events = 0
        self.violations = 0

    def add(self, record: RecordedRequest) -> None:
        self.requests += 1
        if record.accepted:
            self.events += len(record.events)
        if record.violation is not None:
            self.violations += 1

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "events_accepted": self.events,
            "violations": self.violations,
        }


# The JSON view of one request ------------------------------------------------------------------


def view(record: RecordedRequest, seq: int) -> dict[str, Any]:
    """One request as the JSON endpoint gives it, the site id masked throughout.

    ``items`` is what the request carried, one per event for the event
    endpoints and one for any other call, each with the user and session its
    body names (``None`` where it names none) and its properties.
    """
    hide = _Masker(record.site_id)
    body = hide.json(record.json)
    text = None
    if record.json is None and record.body:
        text = hide.text(record.body.decode("utf-8", errors="replace")[:BODY_TEXT_LIMIT])
    return {
        "seq": seq,
        "index": record.index,
        "received_at": record.received_at,
        "method": record.method,
        "path": record.path,
        "status": record.status,
        "accepted": record.accepted,
        "fault": hide.optional_text(record.fault),
        "violation": hide.optional_text(record.violation),
        "site_id": None if record.site_id is None else mask(record.site_id),
        "body": body,
        "body_text": text,
        "items": _items(record.path, body),
    }


def _items(path: str, body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("events"), list):
        return [_item(path, event) for event in body["events"]]
    if isinstance(body, dict):
        return [_item(path, body)]
    return []


def _item(path: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {
            "kind": "call",
            "name": _call_name(path),
            "user": None,
            "session": None,
            "properties": value,
        }
    # Session registration nests its ids in sessionData; others have them on top.
    scopes = [value, *(v for v in value.values() if isinstance(v, dict))]
    user, session = _first(scopes, _USER_KEYS), _first(scopes, _SESSION_KEYS)
    if isinstance(value.get("event_name"), str):
        return {
            "kind": "event",
            "name": value["event_name"],
            "event_type": _scalar(value.get("event_type")),
            "event_category": _scalar(value.get("event_category")),
            "user": user,
            "session": session,
            "timestamp": _scalar(value.get("timestamp")),
            "properties": value.get("custom_properties"),
        }
    rest = {key: item for key, item in value.items() if key not in _ID_KEYS}
    if list(rest) == ["sessionData"] and isinstance(rest["sessionData"], dict):
        rest = {k: v for k, v in rest["sessionData"].items() if k not in _ID_KEYS}
    return {
        "kind": "call",
        "name": _call_name(path),
        "user": user,
        "session": session,
        "properties": rest,
    }


def _call_name(path: str) -> str:
    return _CALL_NAMES.get(path) or path.removeprefix("/api/sdk/").removeprefix("/api/")


def _first(scopes: list[dict[str, Any]], keys: tuple[str, ...]) -> str | None:
    for scope in scopes:
        for key in keys:
            found = _scalar(scope.get(key))
            if found is not None:
                return found
    return None


def _scalar(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


class _Masker:
    """Replaces a request's site id wherever it shows: header, body keys, any equal string."""

    def __init__(self, site_id: str | None) -> None:
        self._site_id = site_id or None

    def json(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self.json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, str) and (key in _SITE_KEYS or value == self._site_id):
            return mask(value)
        return value

    def text(self, text: str) -> str:
        if self._site_id is None:
            return text
        return text.replace(self._site_id, mask(self._site_id))

    def optional_text(self, text: str | None) -> str | None:
        return None if text is None else self.text(text)


# HTTP helpers -------------------------------------------------------------------------------


@functools.cache
def _asset(name: str) -> bytes:
    return resources.files("trodo.testing").joinpath("_page", name).read_bytes()


def _asset_response(name: str, content_type: str) -> Response:
    return Response(_asset(name), status=200, headers=_SECURITY_HEADERS, content_type=content_type)


def _json(status: int, value: Any) -> Response:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return Response(text, status=status, headers=_SECURITY_HEADERS, mimetype="application/json")


def _text(status: int, message: str, **headers: str) -> Response:
    return Response(
        message + "\n",
        status=status,
        headers={**_SECURITY_HEADERS, **headers},
        mimetype="text/plain",
    )


def _int_arg(args: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {raw!r}")
    return int(raw)


def _hostname(host: str) -> str:
    """The name part of a Host header: ``[::1]:8787`` -> ``::1``, ``a:80`` -> ``a``."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) is this machine only."""
    name = host.lower().rstrip(".")
    return name in _LOOPBACK_HOSTS or name.endswith(".localhost") or name.startswith("127.")
