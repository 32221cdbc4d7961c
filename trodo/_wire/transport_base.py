"""What the sync and async transports share: the configured generated client,
the classification of faults, and the DEBUG log lines.

The transports turn records and calls into generated models
(``trodo._wire.models``, ``trodo._wire.operations``), call the generated
operations, and return every outcome as an :class:`Answer` the senders
understand (``trodo._core.retry.classify``). Nothing here retries or raises
network faults: a fault is an answer too.
"""

from __future__ import annotations

import logging
import platform
import threading
from abc import ABC, abstractmethod
from typing import Any, TypeVar

import httpx

import trodo_api
from trodo._core.answers import Answer, Outcome
from trodo._core.config import mask
from trodo._core.retry import classify
from trodo._version import __version__
from trodo_api.types import Response

#: The generated client type, for advanced users' direct typed calls.
ApiClient = trodo_api.Client

logger = logging.getLogger("trodo")
USER_AGENT = (
    f"trodo-python/{__version__} ({platform.python_implementation()} "
    f"{platform.python_version()}; httpx {httpx.__version__})"
)
SITE_HEADER = "X-Trodo-Site-Id"
_R = TypeVar("_R")


def classify_error(exc: Exception, last: httpx.Response | None) -> Answer:
    """What a raised exception means: network faults are transient.

    Two generator limitations surface as exceptions although the server did
    answer: a 2xx body that is not JSON (json.JSONDecodeError), and a status
    outside http.HTTPStatus such as Cloudflare's 520
    (openapi-python-client issue #1442). The response hook kept the answer,
    so it is classified by its status like any other.
    """
    if isinstance(exc, httpx.TransportError):
        return Answer(Outcome.RETRY, detail=f"{type(exc).__name__}: {exc}".rstrip(": "))
    if isinstance(exc, ValueError) and last is not None:
        return classify(last.status_code, last.headers, last.content)
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
    text = content[:limit].decode("utf-8", "replace").replace("\n", " ")
    text = text.replace(site_id, mask(site_id))
    return text + ("..." if len(content) > limit else "")


def answered(result: Response[_R]) -> tuple[Answer, _R | None]:
    """The answer of a call that returned: classified by its status, with the parsed body."""
    return classify(int(result.status_code), result.headers, result.content), result.parsed


def raised(exc: Exception, last: httpx.Response | None) -> tuple[Answer, None]:
    """The answer of a call that raised; ``last`` is the response the hook kept, if any."""
    answer = classify_error(exc, last)
    if answer.outcome is not Outcome.OK:
        logger.debug("trodo request failed: %s", answer.detail)
    return answer, None


class TransportBase(ABC):
    """What the sync and async transports share: settings, the configured
    generated client (its sync and asyncio calls alike), fork handling."""

    def __init__(self, site_id: str, api_base: str, timeout: float) -> None:
        self._site_id = site_id
        self._api_base = api_base
        self._timeout = timeout
        self._new_http_client()

    def after_fork_in_child(self) -> None:
        """(Re)create the HTTP client: a forked child never shares its parent's sockets."""
        self._new_http_client()

    def _new_http_client(self) -> None:
        self._api = ApiClient(base_url=self._api_base, raise_on_unexpected_status=False)
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
                    self._connect(self._http_options())
                    self._connected = True
        return self._api

    def _http_options(self) -> dict[str, Any]:
        """The settings of the httpx client under the generated one."""
        return {
            "base_url": self._api_base,
            "headers": {SITE_HEADER: self._site_id, "User-Agent": USER_AGENT},
            "timeout": httpx.Timeout(self._timeout),
            "event_hooks": {"request": [self._log_request], "response": [self._keep]},
        }

    @abstractmethod
    def _connect(self, options: dict[str, Any]) -> None:
        """Give the generated client its httpx client (sync or async), made from ``options``."""

    @abstractmethod
    def _log_request(self, request: httpx.Request) -> object:
        """httpx request hook (a coroutine function in the async transport)."""

    @abstractmethod
    def _keep(self, response: httpx.Response) -> object:
        """httpx response hook: keep the answer for ``raised``, log it at DEBUG."""
