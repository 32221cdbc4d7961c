"""Client options: defaults, environment fallbacks and their checks, in one place."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, TypedDict

from trodo._core.errors import ErrorCallback
from trodo._core.validation import require_str

DEFAULT_API_BASE = "https://sdkapi.trodo.ai"
# The site id of a disabled client made without one: it never reaches a request.
DISABLED_SITE_ID = "disabled"
_TRUE = frozenset({"1", "true", "yes", "on"})


# -- the checks every option uses (the policy's settings use the same ones) ----------


def positive_int(name: str, value: object) -> None:
    """An int >= 1 (not a bool)."""
    if type(value) is not int or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def non_negative_int(name: str, value: object) -> None:
    """An int >= 0 (not a bool)."""
    if type(value) is not int or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")


def positive_seconds(name: str, value: object) -> None:
    """A finite number of seconds > 0 (NaN and the infinities are refused)."""
    if not _finite(value) or value <= 0:  # type: ignore[operator]
        raise ValueError(f"{name} must be a positive float (finite seconds), got {value!r}")


def seconds(name: str, value: object) -> None:
    """A finite number of seconds >= 0."""
    if not _finite(value) or value < 0:  # type: ignore[operator]
        raise ValueError(f"{name} must be a finite float >= 0 (seconds), got {value!r}")


def non_empty_str(name: str, value: object) -> None:
    require_str(value, name)


def callback(name: str, value: object) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be a callable taking a trodo.DeliveryError")


def unchecked(name: str, value: object) -> None:
    """Flags: any value, read for its truth (as the vendor's SDK does)."""


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _option(default: Any, check: Check) -> Any:
    return field(default=default, metadata={"check": check})


Check = Callable[[str, object], None]


@dataclass(frozen=True, slots=True)
class Config:
    """Every option a client was configured with: its name, type, default and check.

    The one schema of the options (shared by the sync and async clients):
    :class:`ClientOptions`, the delivery policy's settings (`policy_config`)
    and the README's options table follow it, and tests/test_config.py checks
    that they do. Adding an option is one line here, its ``ClientOptions``
    entry and its README row.
    """

    site_id: str = field(metadata={"check": non_empty_str})
    api_base: str = _option(DEFAULT_API_BASE, non_empty_str)
    timeout: float = _option(10.0, positive_seconds)
    retries: int = _option(2, non_negative_int)
    batch_enabled: bool = _option(False, unchecked)
    batch_size: int = _option(50, positive_int)
    batch_flush_interval: float = _option(5.0, positive_seconds)
    auto_events: bool = _option(False, unchecked)
    on_error: ErrorCallback | None = _option(None, callback)  # noqa: RUF009 (a field())
    debug: bool = _option(False, unchecked)
    max_cached_users: int = _option(10_000, positive_int)
    max_queue_size: int = _option(200_000, positive_int)
    max_queue_bytes: int = _option(64 * 1024 * 1024, positive_int)
    max_request_events: int = _option(500, positive_int)
    max_request_bytes: int = _option(512 * 1024, positive_int)
    retry_budget: float = _option(60.0, seconds)
    shutdown_timeout: float = _option(5.0, positive_seconds)
    auto_events_distinct_id: str = _option("server", non_empty_str)
    disabled: bool = _option(False, unchecked)
    handle_sigterm: bool = _option(True, unchecked)

    def __post_init__(self) -> None:
        for option in fields(self):
            option.metadata["check"](option.name, getattr(self, option.name))
        if self.batch_size > self.max_queue_size:
            raise ValueError(
                f"batch_size ({self.batch_size}) must not exceed "
                f"max_queue_size ({self.max_queue_size})"
            )


def mask(site_id: str) -> str:
    """A site id safe for logs and reprs: never in full."""
    return site_id[:4] + "…" if len(site_id) > 6 else "…"


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
    disabled: bool
    """Check every call, send nothing (no site id needed); default TRODO_DISABLED."""
    handle_sigterm: bool
    """On SIGTERM, deliver what is queued first, then let the signal end the process
    as it would have (default True); False leaves SIGTERM alone."""


def resolve(site_id: str | None, options: ClientOptions) -> Config:
    """Build a Config, filling site_id, api_base, debug and disabled from the environment.

    TRODO_SITE_ID, TRODO_API_BASE, TRODO_DEBUG and TRODO_DISABLED ("1",
    "true", "yes", "on") apply only where the argument was not passed. A
    disabled client needs no site id.
    """
    disabled = options.get("disabled")
    if disabled is None:
        disabled = os.environ.get("TRODO_DISABLED", "").strip().lower() in _TRUE
    site_id = site_id if site_id is not None else os.environ.get("TRODO_SITE_ID")
    if not site_id and disabled:
        site_id = DISABLED_SITE_ID
    if not site_id:
        raise ValueError(
            "a site id is required: pass site_id=... (e.g. trodo.init(site_id='...')) "
            "or set TRODO_SITE_ID"
        )
    unknown = set(options) - set(ClientOptions.__annotations__)
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
    values = dict(options)
    values["disabled"] = bool(disabled)
    api_base = values.pop("api_base", None) or os.environ.get("TRODO_API_BASE") or DEFAULT_API_BASE
    debug = values.pop("debug", None)
    if debug is None:
        debug = os.environ.get("TRODO_DEBUG", "").strip().lower() in _TRUE
    return Config(site_id=site_id, api_base=str(api_base).rstrip("/"), debug=bool(debug), **values)  # type: ignore[arg-type]
