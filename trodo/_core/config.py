"""Client options: defaults, environment fallbacks and their checks, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypedDict

from trodo._core.errors import ErrorCallback
from trodo._core.validation import require_str

DEFAULT_API_BASE = "https://sdkapi.trodo.ai"
_TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True, slots=True)
class Config:
    """Everything a client was configured with (shared by the sync and async clients)."""

    site_id: str
    api_base: str = DEFAULT_API_BASE
    timeout: float = 10.0
    retries: int = 2
    batch_enabled: bool = False
    batch_size: int = 50
    batch_flush_interval: float = 5.0
    auto_events: bool = False
    on_error: ErrorCallback | None = None
    debug: bool = False
    max_cached_users: int = 10_000
    max_queue_size: int = 200_000
    max_queue_bytes: int = 64 * 1024 * 1024
    max_request_events: int = 500
    max_request_bytes: int = 512 * 1024
    retry_budget: float = 60.0
    shutdown_timeout: float = 5.0
    auto_events_distinct_id: str = "server"

    def __post_init__(self) -> None:
        require_str(self.site_id, "site_id")
        require_str(self.api_base, "api_base")
        require_str(self.auto_events_distinct_id, "auto_events_distinct_id")
        for name in ("timeout", "batch_flush_interval", "retry_budget", "shutdown_timeout"):
            _positive(name, getattr(self, name), float)
        for name in (
            "batch_size",
            "max_cached_users",
            "max_queue_size",
            "max_queue_bytes",
            "max_request_events",
            "max_request_bytes",
        ):
            _positive(name, getattr(self, name), int)
        if type(self.retries) is not int or self.retries < 0:
            raise ValueError(f"retries must be an int >= 0, got {self.retries!r}")
        if self.on_error is not None and not callable(self.on_error):
            raise TypeError("on_error must be a callable taking a trodo.DeliveryError")


def mask(site_id: str) -> str:
    """A site id safe for logs and reprs: never in full."""
    return site_id[:4] + "…" if len(site_id) > 6 else "…"


def _positive(name: str, value: object, kind: type) -> None:
    ok = isinstance(value, int | float) if kind is float else type(value) is int
    if not ok or isinstance(value, bool) or value <= 0:  # type: ignore[operator]
        raise ValueError(f"{name} must be a positive {kind.__name__}, got {value!r}")


class ClientOptions(TypedDict, total=False):
    """Keyword options of :class:`TrodoClient`, :func:`trodo.init` and the async client."""

    api_base: str
    """Trodo API base URL; default ``https://sdkapi.trodo.ai`` or TRODO_API_BASE."""
    timeout: float
    """Seconds one request may take, and a call on your thread in all (default 10)."""
    retries: int
    """Retries of a request on your thread after transient failures (default 2)."""
    batch_enabled: bool
    """Queue events and send them from a background thread (default False)."""
    batch_size: int
    """Send when this many events wait (default 50)."""
    batch_flush_interval: float
    """Send when the oldest waiting event has waited this long, in seconds (default 5)."""
    auto_events: bool
    """Send uncaught exceptions as ``server_error`` events (default False)."""
    on_error: ErrorCallback | None
    """Called with a :class:`DeliveryError` for everything given up."""
    debug: bool | None
    """Log every request and answer on the ``trodo`` logger; default TRODO_DEBUG."""
    max_cached_users: int
    """User contexts kept, least recently used evicted first (default 10,000)."""
    max_queue_size: int
    """Events the batch queue holds before it sheds new ones (default 200,000)."""
    max_queue_bytes: int
    """Approximate bytes the batch queue holds before it sheds (default 64 MiB)."""
    max_request_events: int
    """Most events in one bulk request (default 500)."""
    max_request_bytes: int
    """Approximate largest bulk request body (default 512 KiB)."""
    retry_budget: float
    """Seconds a batch keeps being retried before it is given up (default 60)."""
    shutdown_timeout: float
    """Seconds ``shutdown()`` and interpreter exit wait for delivery (default 5)."""
    auto_events_distinct_id: str
    """Distinct id that uncaught exceptions are reported under (default "server")."""


def resolve(site_id: str | None, options: ClientOptions) -> Config:
    """Build a Config, filling site_id, api_base and debug from the environment.

    TRODO_SITE_ID, TRODO_API_BASE and TRODO_DEBUG ("1", "true", "yes", "on")
    apply only where the argument was not passed.
    """
    site_id = site_id if site_id is not None else os.environ.get("TRODO_SITE_ID")
    if not site_id:
        raise ValueError(
            "a site id is required: pass site_id=... (e.g. trodo.init(site_id='...')) "
            "or set TRODO_SITE_ID"
        )
    unknown = set(options) - set(ClientOptions.__annotations__)
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
    values = dict(options)
    api_base = values.pop("api_base", None) or os.environ.get("TRODO_API_BASE") or DEFAULT_API_BASE
    debug = values.pop("debug", None)
    if debug is None:
        debug = os.environ.get("TRODO_DEBUG", "").strip().lower() in _TRUE
    return Config(site_id=site_id, api_base=str(api_base).rstrip("/"), debug=bool(debug), **values)  # type: ignore[arg-type]
