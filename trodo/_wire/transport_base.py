"""What the sync and async transports share: the configured generated client,
the classification of faults, and the DEBUG log lines.

The transports turn records and calls into generated models
(``trodo._wire.models``, ``trodo._wire.operations``), call the generated
operations, and return every outcome as an :class:`Answer` the senders
understand (``trodo._core.retry.classify``). Nothing here retries or raises
network faults: a fault is an answer too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import platform
import threading
from abc import ABC, abstractmethod
from typing import Any, TypeVar

import httpx

import trodo_api
from trodo._core.answers import Answer, Outcome
from trodo._core.config import Config, hide_credentials, redact
from trodo._core.reporting import say_loudly
from trodo._core.retry import classify
from trodo._version import __version__
from trodo._wire.deadline import Cancel, request_limits
from trodo_api.types import Response

#: The generated client type, for advanced users' direct typed calls.
ApiClient = trodo_api.Client

logger = logging.getLogger("trodo")
USER_AGENT = (
    f"trodo-python/{__version__} ({platform.python_implementation()} "
    f"{platform.python_version()}; httpx {httpx.__version__})"
)
SITE_HEADER = "X-Trodo-Site-Id"
# What httpx reads from the environment while trust_env is on.
ENVIRONMENT = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)
_R = TypeVar("_R")


class HttpSetupError(Exception):
    """The httpx client could not be made: a proxy URL it cannot parse or use, an
    unreadable CA bundle, from the options or the environment. Handled as Trodo
    being unreachable (retried, then given up), reported once with its cause."""


def classify_error(exc: Exception, last: httpx.Response | None) -> Answer:
    """What a raised exception means: network faults are transient.

    Generator limitations surface as exceptions although the server did
    answer: a 2xx body that is not JSON (json.JSONDecodeError) or not of the
    documented shape (TypeError, KeyError, ...), and a status
    outside http.HTTPStatus such as Cloudflare's 520
    (openapi-python-client issue #1442). The response hook kept the answer,
    so it is classified by its status like any other.
    """
    if isinstance(exc, httpx.TransportError | HttpSetupError):
        return Answer(Outcome.RETRY, detail=f"{type(exc).__name__}: {exc}".rstrip(": "))
    if last is not None:
        # The server answered; reading what it said failed (a body of another
        # shape, an odd status): the status is the answer.
        try:
            body = last.content
        except Exception:  # not read: nothing of it is needed
            body = b""
        return classify(last.status_code, last.headers, body)
    # Anything else (a bug, an invalid URL): retrying cannot help.
    return Answer(Outcome.REJECTED, detail=f"{type(exc).__name__}: {exc}")


def log_request(request: httpx.Request, site_id: str) -> None:
    """At DEBUG: one line for a request about to be sent."""
    if logger.isEnabledFor(logging.DEBUG):
        path, body = request.url.path, _preview(request.content, site_id)
        logger.debug("trodo -> %s %s %s", request.method, path, body)


def log_response(response: httpx.Response, site_id: str) -> None:
    """At DEBUG: one line for an answer (its body already read)."""
    logger.debug(
        "trodo <- %s %s %s",
        response.status_code,
        response.request.url.path,
        _preview(response.content, site_id),
    )


def _preview(content: bytes, site_id: str, limit: int = 300) -> str:
    # Masked before the cut, so the id is masked wherever it falls.
    secret = site_id.encode()
    if secret in content:
        content = content.replace(secret, redact(site_id, site_id).encode())
    text = redact(content[:limit].decode("utf-8", "replace").replace("\n", " "), site_id)
    return text + ("..." if len(content) > limit else "")


def _masked(answer: Answer, site_id: str) -> Answer:
    """An answer whose detail (a server's words, an exception) never shows the site id."""
    if not site_id or not answer.detail:
        return answer
    detail = redact(answer.detail, site_id)
    return answer if detail == answer.detail else dataclasses.replace(answer, detail=detail)


def answered(result: Response[_R], site_id: str = "") -> tuple[Answer, _R | None]:
    """The answer of a call that returned: classified by its status, with the parsed body."""
    answer = classify(int(result.status_code), result.headers, result.content)
    return _masked(answer, site_id), result.parsed


def raised(exc: Exception, last: httpx.Response | None, site_id: str = "") -> tuple[Answer, None]:
    """The answer of a call that raised; ``last`` is the response the hook kept, if any."""
    answer = _masked(classify_error(exc, last), site_id)
    if answer.outcome is not Outcome.OK:
        logger.debug("trodo request failed: %s", answer.detail)
    return answer, None


class TransportBase(ABC):
    """What the sync and async transports share: settings, the configured
    generated client (its sync and asyncio calls alike), fork handling."""

    def __init__(self, config: Config) -> None:
        self._site_id = config.site_id
        self._api_base = config.api_base
        self._timeout = config.timeout
        self._proxy = config.proxy
        self._verify = config.verify
        self._trust_env = config.trust_env
        self._setup_fault_said = False
        self._new_http_client()

    def after_fork_in_child(self) -> None:
        """(Re)create the HTTP client: a forked child never shares its parent's sockets."""
        self._new_http_client()

    def _new_http_client(self) -> None:
        self._api = ApiClient(base_url=self._api_base, raise_on_unexpected_status=False)
        # Ends the requests under way at shutdown, and refuses new ones.
        self._cancel = Cancel()
        # The httpx client is made at first use: loading the CA bundle takes
        # tens of milliseconds that a client never used should not cost.
        self._connected = False
        self._connecting = threading.Lock()

    @property
    def api_client(self) -> ApiClient:
        """The configured generated client (base URL, site-id header, timeout, User-Agent)."""
        if not self._connected:
            with self._connecting:
                if not self._connected:
                    try:
                        self._connect(self._http_options())
                    except Exception as exc:
                        raise self._setup_fault(exc) from exc
                    self._connected = True
        return self._api

    def _setup_fault(self, exc: Exception) -> HttpSetupError:
        """The fault of making the httpx client, said loudly the first time.

        Tried again at each request, since the environment may be fixed.
        """
        cause = f"{type(exc).__name__}: {exc}"
        fault = HttpSetupError(f"the HTTP client could not be made ({cause})")
        if not self._setup_fault_said:
            self._setup_fault_said = True
            if self._trust_env:
                named = [f"{n}={hide_credentials(v)!r}" for n, v in _environment().items()]
                where = f"; from the environment: {', '.join(named)}" if named else ""
                where += " (trust_env=False ignores the environment)"
            else:
                where = ""
            say_loudly(
                f"trodo: the HTTP client's configuration is broken ({cause}){where}. "
                "Every request fails as if Trodo were unreachable: events are retried, "
                "then given up."
            )
        return fault

    def _http_options(self) -> dict[str, Any]:
        """The settings of the httpx client under the generated one."""
        verify = self._verify
        if isinstance(verify, str):  # httpx 0.28 deprecates a path: give it the context
            import ssl

            folder = os.path.isdir(verify)
            verify = ssl.create_default_context(
                cafile=None if folder else verify, capath=verify if folder else None
            )
        return {
            "base_url": self._api_base,
            "headers": {SITE_HEADER: self._site_id, "User-Agent": USER_AGENT},
            "timeout": httpx.Timeout(self._timeout),
            "event_hooks": {"request": [self._log_request], "response": [self._keep]},
            "proxy": self._proxy,
            "verify": verify,
            "trust_env": self._trust_env,
        }

    def _limits(self) -> contextlib.AbstractContextManager[None]:
        """The limits of one request: ``timeout`` for the whole of it (and no more than
        the call it belongs to has left), its answer read up to the cap."""
        return request_limits(self._timeout, self._cancel)

    def cancel(self, wait: float = 0.0) -> None:
        """End the requests under way (a read stops within ``deadline.SLICE``) and
        refuse new ones: at shutdown, so nothing is still reading afterwards. Waits
        up to ``wait`` seconds for the requests under way to end."""
        self._cancel.cancel()
        if wait:
            self._cancel.wait_idle(wait)

    @abstractmethod
    def _connect(self, options: dict[str, Any]) -> None:
        """Give the generated client its httpx client (sync or async), made from ``options``."""

    @abstractmethod
    def _log_request(self, request: httpx.Request) -> object:
        """httpx request hook (a coroutine function in the async transport)."""

    @abstractmethod
    def _keep(self, response: httpx.Response) -> object:
        """httpx response hook: keep the answer for ``raised``, log it at DEBUG."""


def _environment() -> dict[str, str]:
    """The variables of ``ENVIRONMENT`` that are set (either case, as httpx reads them)."""
    found: dict[str, str] = {}
    for name in ENVIRONMENT:
        value = os.environ.get(name) or os.environ.get(name.lower())
        if value:
            found[name] = value
    return found
