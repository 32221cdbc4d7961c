"""AsyncTrodoClient: the client for asyncio applications (twin of ``trodo._sync.client``).

The same options, validation, sessions, payloads, retry and batching policy
as :class:`TrodoClient` (they are shared code, ``trodo._core``); what differs
is that every network wait is awaited on the event loop, so a slow Trodo
never freezes the application.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, Unpack

from trodo._async.context import AsyncUserContext, capture_uncaught
from trodo._async.loop import LoopBinding
from trodo._core.answers import Answer
from trodo._core.arguments import wallet_argument
from trodo._core.client_base import ClientBase
from trodo._core.config import ClientOptions, resolve
from trodo._core.context_base import ContextBase
from trodo._core.disabled import refuse_when_disabled
from trodo._core.operations import Call
from trodo._core.profiles import ClientWrites
from trodo._core.records import EventRecord
from trodo._core.write_results import UpsertResult, WriteOutcome, WriteResult
from trodo._core.writes import WriteRecord

if TYPE_CHECKING:
    from trodo._async.batch import AsyncBatchDelivery
    from trodo._async.direct import AsyncDirectDelivery, AsyncDisabledDelivery
    from trodo._wire.transport_base import ApiClient


@dataclass(frozen=True, slots=True)
class _AsyncPort:
    """The client as its contexts see it (`trodo._async.context.AsyncUserPort`)."""

    site_id: str
    max_request_bytes: int
    check_loop: Callable[[], object]
    submit: Callable[[EventRecord], Awaitable[None]]
    submit_threadsafe: Callable[[EventRecord], None]
    request: Callable[[Call], Awaitable[tuple[Answer, Any]]]
    alias: Callable[[str, ContextBase], None]
    write: Callable[[WriteRecord], Awaitable[WriteOutcome]]
    auto_events: Callable[[bool], None]


class AsyncTrodoClient(
    ClientBase[AsyncUserContext], ClientWrites[Awaitable[WriteResult], Awaitable[UpsertResult]]
):
    """A Trodo client for asyncio applications (FastAPI, Starlette, aiohttp, ...).

    The options and defaults of :class:`TrodoClient`; the operations are
    coroutines. Nothing it does blocks the event loop: with batching on,
    ``track`` only queues and a task on the loop sends; with batching off each
    request is awaited. Create it on the loop that uses it (it binds to the
    first loop it runs on) and shut it down there::

        async with trodo.AsyncTrodoClient("site_123", batch_enabled=True) as client:
            await client.for_user("user_42").track("signed_up", {"plan": "pro"})
        # leaving the block flushes and shuts the client down

    Uncaught exceptions (``auto_events``) reach sync hooks: with batching on
    they are queued; with batching off they are sent on the client's loop
    while it runs, and reported as lost when it does not (before its first
    use, or after it ended).
    """

    _delivery: AsyncDirectDelivery | AsyncBatchDelivery | AsyncDisabledDelivery

    def __init__(self, site_id: str | None = None, **options: Unpack[ClientOptions]) -> None:
        config = resolve(site_id, options)
        # As in TrodoClient: the HTTP stack loads with the first client.
        from trodo._async.batch import AsyncBatchDelivery
        from trodo._async.direct import (
            AsyncDirectDelivery,
            AsyncDisabledDelivery,
            AsyncSender,
            unsent_request,
        )
        from trodo._async.transport import AsyncTransport

        self._binding = binding = LoopBinding(type(self).__name__)
        self._transport = AsyncTransport(config)
        self._sender = sender = AsyncSender(self._transport, config)
        request: Callable[[Call], Awaitable[tuple[Answer, Any]]] = self._request
        if config.disabled:  # checked as always, sent never: no task, no connection
            self._delivery = AsyncDisabledDelivery()
            request = unsent_request
        elif config.batch_enabled:
            self._delivery = AsyncBatchDelivery(config, sender, binding)
        else:
            self._delivery = AsyncDirectDelivery(sender, binding)
        self._port = _AsyncPort(
            config.site_id,
            config.max_request_bytes,
            binding.check,
            self._submit,
            self._delivery.submit_threadsafe,
            request,
            self._alias,
            self._write_now,
            self._switch_auto_events,
        )
        super().__init__(config, self._transport, sender, self._delivery)

    @property
    def api_client(self) -> ApiClient:
        """The configured generated client, for direct typed calls to any endpoint.

        It carries the base URL, the ``X-Trodo-Site-Id`` header, the timeout
        and this SDK's User-Agent; await the generated ``asyncio_detailed``
        calls, on the client's loop::

            from trodo_api.api.identity import set_wallet_address
            from trodo_api.models import WalletAddressRequest

            answer = await set_wallet_address.asyncio_detailed(
                client=client.api_client, body=WalletAddressRequest(...)
            )

        A disabled client has none (RuntimeError): it never sends.
        """
        refuse_when_disabled(self._config)
        return self._transport.api_client

    def _new_context(self, distinct_id: str, session_id: str | None) -> AsyncUserContext:
        return AsyncUserContext(self._port, distinct_id, session_id)

    async def _submit(self, record: EventRecord) -> None:
        self._binding.check()
        await self._delivery.submit(record)

    async def _request(self, call: Call) -> tuple[Answer, Any]:
        return await self._sender.request(call)

    async def _write_now(self, record: WriteRecord) -> WriteOutcome:
        self._binding.check()
        return await self._delivery.write(record)

    def _user(self, distinct_id: str | int) -> AsyncUserContext:
        return self.for_user(distinct_id)

    # -- the same operations as direct methods --------------------------------------------

    async def track(
        self,
        distinct_id: str | int,
        event_name: str,
        properties: Mapping[str, object] | None = None,
        category: str = "custom",
        *,
        timestamp: datetime | None = None,
    ) -> None:
        """``await for_user(distinct_id).track(...)``: send a custom event."""
        user = self.for_user(distinct_id)
        await user.track(event_name, properties, category, timestamp=timestamp)

    track_event = track

    async def identify(
        self, identify_id: str | int, session_id: str | None = None
    ) -> AsyncUserContext:
        """Identify the user ``identify_id`` (optionally on the browser's session).

        Returns the user's context, which follows a merged distinct id.
        """
        context = self.for_user(identify_id, session_id)
        await context.identify(identify_id)
        return context

    async def reset(self, distinct_id: str | int) -> bool:
        """``await for_user(distinct_id).reset()``."""
        return await self.for_user(distinct_id).reset()

    async def wallet_address(
        self, distinct_id: str | int, address: str | None = None, *, wallet_addr: str | None = None
    ) -> bool:
        """``await for_user(distinct_id).wallet_address(address)`` (or ``wallet_addr=``)."""
        address = wallet_argument(address, wallet_addr)  # type: ignore[assignment]
        return await self.for_user(distinct_id).wallet_address(address)

    async def capture_error(
        self,
        distinct_id: str | int,
        error: BaseException,
        severity: str = "error",
        *,
        properties: Mapping[str, object] | None = None,
    ) -> None:
        """``await for_user(distinct_id).capture_error(error, severity, properties=...)``."""
        await self.for_user(distinct_id).capture_error(error, severity, properties=properties)

    def _capture_uncaught(self, error: BaseException) -> None:
        # A sync hook, on any thread: queue or hand over, never wait here.
        capture_uncaught(self.for_user(self._config.auto_events_distinct_id), error)

    # -- lifecycle --------------------------------------------------------------------------

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event tracked before this call is delivered or given up.

        Returns True when all of them were delivered, False when some were
        given up or ``timeout`` seconds passed first. The loop runs on meanwhile. With batching off,
        where each event is sent (or given up) before ``track`` returns, it is
        True when no event was given up since the previous ``flush()``.
        """
        self._binding.check()
        return await self._delivery.flush(timeout)

    async def shutdown(self, timeout: float | None = None) -> None:
        """Flush (waiting up to ``timeout``, default ``shutdown_timeout``), then stop.

        Idempotent. Events still unsent after the wait, and events tracked
        afterwards, are given up as ``shutdown`` and reported. Await it on
        the client's loop, e.g. in your app's lifespan shutdown.
        """
        self._binding.check()
        if not self._begin_shutdown():
            return
        await self._delivery.shutdown(self._shutdown_timeout(timeout))
        self._sender.closed = True
        await self._transport.aclose()

    close = shutdown
    aclose = shutdown

    def end_of_process(self) -> None:
        """The process is ending and nobody awaited :meth:`shutdown`: deliver what is
        queued on this thread (an event loop of its own), within ``shutdown_timeout``."""
        if self._begin_shutdown():
            self._delivery.end_of_process(self._config.shutdown_timeout)
            self._sender.closed = True

    def _after_fork_in_child(self) -> None:
        super()._after_fork_in_child()
        self._binding.forget()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()
