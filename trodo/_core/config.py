"""Client options: defaults, environment fallbacks and their checks, in one place."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urlsplit

from trodo._core import vendor_options as vendor
from trodo._core.errors import ErrorCallback
from trodo._core.validation import require_str, require_text

if TYPE_CHECKING:
    import ssl  # loaded with the HTTP stack, not with `import trodo`

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
    require_text(value, name)


def site_id_text(name: str, value: object) -> None:
    """Sent in a header: printable ASCII without spaces (shown masked if refused)."""
    require_str(value, name)
    text = str(value)
    if not (text.isascii() and text.isprintable()) or any(c.isspace() for c in text):
        raise ValueError(
            f"{name} must be printable ASCII without spaces (it is sent in the "
            f"X-Trodo-Site-Id header); got {mask(text)!r} of {len(text)} characters"
        )


def http_url(name: str, value: object) -> None:
    """An http:// or https:// URL with a host (api_base)."""
    require_str(value, name)
    if not _url_ok(str(value), ("http", "https")):
        raise ValueError(
            f"{name} must be an http:// or https:// URL with a host, such as "
            f"'https://sdkapi.trodo.ai' or 'http://127.0.0.1:8787'; got {value!r}"
        )


def proxy_url(name: str, value: object) -> None:
    """None, or a proxy URL as httpx takes it (http, https, socks5, socks5h)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a proxy URL (str) or None, got {type(value).__name__}")
    if not _url_ok(value, ("http", "https", "socks5", "socks5h")):
        raise ValueError(
            f"{name} must be a URL such as 'http://proxy.internal:3128' (schemes http, https, "
            f"socks5, socks5h) with a host; got {hide_credentials(value)!r}"
        )


def tls_verify(name: str, value: object) -> None:
    """True, False, an ssl.SSLContext, or the path of a CA bundle file or directory."""
    if isinstance(value, bool):
        return
    if not isinstance(value, str):
        import ssl

        if isinstance(value, ssl.SSLContext):
            return
        raise TypeError(
            f"{name} must be True, False, an ssl.SSLContext or a CA bundle path, "
            f"got {type(value).__name__}"
        )
    if not os.path.exists(value):
        raise ValueError(f"{name}: no CA bundle file or directory at {value!r}")


def flag(name: str, value: object) -> None:
    """A bool, exactly."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def callback(name: str, value: object) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be a callable taking a trodo.DeliveryError")


def unchecked(name: str, value: object) -> None:
    """Flags: any value, read for its truth (as the vendor's SDK does)."""


def _url_ok(text: str, schemes: tuple[str, ...]) -> bool:
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        return False
    return parts.scheme in schemes and bool(parts.hostname) and not any(c.isspace() for c in text)


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

    site_id: str = field(metadata={"check": site_id_text})
    api_base: str = _option(DEFAULT_API_BASE, http_url)
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
    # trodo-python's LLM-tracing options: accepted so that its code starts
    # unchanged; they configure nothing here (trodo._core.vendor_options).
    auto_instrument: bool | None = _option(None, vendor.check_auto_instrument)
    disable_instrumentations: Sequence[str] | None = _option(
        None, vendor.check_disable_instrumentations
    )
    otel_mode: str | None = _option(None, vendor.check_otel_mode)
    delivery: str | None = _option(None, vendor.check_delivery)
    delivery_options: Mapping[str, Any] | None = _option(None, vendor.check_delivery_options)
    disabled: bool = _option(False, unchecked)
    proxy: str | None = _option(None, proxy_url)
    verify: bool | str | ssl.SSLContext = _option(True, tls_verify)  # noqa: RUF009
    trust_env: bool = _option(True, flag)
    handle_sigterm: bool = _option(True, flag)

    def __post_init__(self) -> None:
        for option in fields(self):
            option.metadata["check"](option.name, getattr(self, option.name))
        if self.batch_size > self.max_queue_size:
            raise ValueError(
                f"batch_size ({self.batch_size}) must not exceed "
                f"max_queue_size ({self.max_queue_size})"
            )

    def __repr__(self) -> str:
        # The site id masked and proxy credentials hidden: reprs end up in logs.
        shown = {option.name: getattr(self, option.name) for option in fields(self)}
        shown["site_id"] = mask(self.site_id)
        if self.proxy is not None:
            shown["proxy"] = hide_credentials(self.proxy)
        return f"Config({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


# -- never in full: the site id and proxy credentials -------------------------------------


def mask(site_id: str) -> str:
    """A site id safe for logs and reprs: never in full."""
    return site_id[:4] + "…" if len(site_id) > 6 else "…"


def redact(text: str, site_id: str) -> str:
    """``text`` with the site id masked wherever it appears, also when a cut
    (a preview, a body excerpt) left only its beginning at the end of ``text``.

    Every log line, ``DeliveryError.detail`` and repr that may carry a server's
    words or a request body goes through this.

    >>> redact("unknown site site_7f3e9a1c (HTTP 401)", "site_7f3e9a1c")
    'unknown site site… (HTTP 401)'
    """
    if not site_id or not text:
        return text
    masked = mask(site_id)
    if site_id in text:
        text = text.replace(site_id, masked)
    shown = len(masked) - 1  # the characters of the id the mask keeps
    for cut in range(min(len(site_id) - 1, len(text)), max(shown, 2), -1):
        if text.endswith(site_id[:cut]):
            return text[:-cut] + masked
    return text


_CREDENTIALS = re.compile(r"//[^/@\s]*@")


def hide_credentials(url: str) -> str:
    """A URL without its user:password part (a proxy URL may carry one)."""
    return _CREDENTIALS.sub("//***@", url)


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
    auto_instrument: bool | None
    """trodo-python's LLM tracing switch: False (or None) is silent; True warns once."""
    disable_instrumentations: Sequence[str] | None
    """trodo-python's tracing instrumentations to turn off: accepted, nothing to turn off."""
    otel_mode: str | None
    """trodo-python's tracing mode, "trodo" or "otlp": accepted; "otlp" warns once."""
    delivery: str | None
    """trodo-python's trace delivery, "auto", "background" or "immediate": accepted."""
    delivery_options: Mapping[str, Any] | None
    """trodo-python's trace sender settings: accepted."""
    disabled: bool
    """Check every call, send nothing (no site id needed); default TRODO_DISABLED."""
    proxy: str | None
    """Proxy URL for every request, e.g. ``http://proxy.internal:3128`` (default: none,
    or the environment's HTTPS_PROXY / HTTP_PROXY / ALL_PROXY while ``trust_env``)."""
    verify: bool | str | ssl.SSLContext
    """TLS verification: True (default), False, a CA bundle path, or an ``ssl.SSLContext``."""
    trust_env: bool
    """Honour proxy and CA variables of the environment, as httpx does (default True)."""
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
    api_base = values.pop("api_base", None)
    if api_base:
        http_url("api_base", api_base)
    elif os.environ.get("TRODO_API_BASE"):
        api_base = os.environ["TRODO_API_BASE"]
        http_url("api_base (from TRODO_API_BASE)", api_base)
    api_base = api_base or DEFAULT_API_BASE
    debug = values.pop("debug", None)
    if debug is None:
        debug = os.environ.get("TRODO_DEBUG", "").strip().lower() in _TRUE
    return Config(site_id=site_id, api_base=str(api_base).rstrip("/"), debug=bool(debug), **values)  # type: ignore[arg-type]
