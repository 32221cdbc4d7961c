"""Serverless functions (AWS Lambda, Google Cloud Functions, Azure Functions):
``flush_after`` delivers what a handler queued before it returns.

A function's process may be frozen or ended as soon as the handler returns,
so what it queued must leave first::

    import trodo
    from trodo.integrations.serverless import flush_after

    trodo.init(batch_enabled=True)  # TRODO_SITE_ID from the environment


    @flush_after
    def handler(event, context):
        trodo.track(event["user_id"], "invoice_paid", {"amount": event["amount"]})
        return {"statusCode": 200}

``flush_after`` (or ``flush_after(timeout=2.0, client=...)``) wraps sync and
async handlers. After the handler returns or raises, it flushes the client
(the one passed, else the default client) for at most ``timeout`` seconds,
then returns the handler's result or re-raises its exception unchanged. An
exception escaping the handler is first sent as a ``server_error`` with the
handler's name (``capture_errors=False`` turns that off). An async handler
with an :class:`trodo.AsyncTrodoClient` awaits its flush; with a sync client
the flush runs in a worker thread, so the loop keeps running.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

from trodo import TrodoClient, _current
from trodo.integrations._clients import existing_default
from trodo.integrations._request import logger, report_error, report_error_async

if TYPE_CHECKING:
    from trodo._current import Client

__all__ = ["flush_after"]

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_TIMEOUT = 2.0


@overload
def flush_after(handler: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def flush_after(
    *,
    timeout: float = DEFAULT_TIMEOUT,
    client: Client | None = None,
    capture_errors: bool = True,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def flush_after(
    handler: Callable[P, R] | None = None,
    /,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    client: Client | None = None,
    capture_errors: bool = True,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Deliver what the invocation queued before the handler returns (bounded by ``timeout``)."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        if not callable(function):
            raise TypeError("flush_after decorates a function")
        name = getattr(function, "__qualname__", None) or repr(function)
        if inspect.iscoroutinefunction(function):
            return _wrap_async(function, name, timeout, client, capture_errors)
        return _wrap_sync(function, name, timeout, client, capture_errors)

    return decorate if handler is None else decorate(handler)


def _client(given: Client | None) -> Client | None:
    if given is not None:
        return given
    return existing_default()


def _wrap_sync(
    function: Callable[P, R],
    name: str,
    timeout: float,
    given: Client | None,
    capture_errors: bool,
) -> Callable[P, R]:
    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except Exception as error:
            client = _client(given)
            if capture_errors and client is not None:
                report_error(client, _current.binding(), error, {"handler": name})
            raise
        finally:
            client = _client(given)
            if isinstance(client, TrodoClient):
                _flush(client, timeout)
            elif client is not None:
                logger.warning("flush_after on a sync handler cannot flush an AsyncTrodoClient")

    return wrapper


def _wrap_async(
    function: Callable[P, Any],
    name: str,
    timeout: float,
    given: Client | None,
    capture_errors: bool,
) -> Callable[P, Any]:
    @functools.wraps(function)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return await function(*args, **kwargs)
        except Exception as error:
            client = _client(given)
            if capture_errors and client is not None:
                await report_error_async(client, _current.binding(), error, {"handler": name})
            raise
        finally:
            client = _client(given)
            if isinstance(client, TrodoClient):
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, _flush, client, timeout)
            elif client is not None:
                try:
                    await client.flush(timeout)  # type: ignore[attr-defined]
                except Exception:
                    logger.warning("flushing trodo after the handler failed", exc_info=True)

    return wrapper


def _flush(client: TrodoClient, timeout: float) -> None:
    try:
        if not client.flush(timeout):
            logger.warning("flush_after: not everything was delivered within %.1f s", timeout)
    except Exception:
        logger.warning("flushing trodo after the handler failed", exc_info=True)
