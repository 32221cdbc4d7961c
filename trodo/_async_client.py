"""AsyncTrodoClient and AsyncUserContext: the client for asyncio applications.

The same options, validation, sessions, payloads, retry and batching policy
as :class:`TrodoClient` (they are shared code); what differs is that every
network wait is awaited on the event loop, so a slow Trodo never freezes the
application.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, Unpack

from trodo._async_delivery import AsyncDirectDelivery, AsyncRequests
from trodo._async_loop import LoopBinding
from trodo._async_sessions import AsyncSession
from trodo._client import ClientBase
from trodo._config import ClientOptions
from trodo._context import ContextBase, IdentifyResult
from trodo._errors import Stats
from trodo._events import EventRecord
from trodo._policy import Answer, Outcome
from trodo._validation import require_str

if TYPE_CHECKING:
    from trodo._async_transport import AsyncTransport


class _AsyncDelivery(Protocol):
    async def submit(self, record: EventRecord) -> None: ...
    def submit_threadsafe(self, record: EventRecord) -> None: ...
    def after_fork_in_child(self) -> None: ...
    async def flush(self, timeout: float | None = None) -> bool: ...
    async def shutdown(self, timeout: float | None = None) -> None: ...
    def stats(self) -> Stats: ...


class AsyncUserContext(ContextBase):
    """One user (a distinct id) and their server session, for asyncio code.

    Get one with :meth:`AsyncTrodoClient.for_user` (no await: it only looks
    up the cache); it is cached per distinct id and safe to share between
    tasks::

        user = client.for_user("user_42", session_id=browser_session_id)
        await user.track("checkout_completed", {"amount": 49.5, "currency": "EUR"})
    """

    __slots__ = ()
    _client: AsyncTrodoClient
    _session_type = AsyncSession

    async def track(
        self,
        event_name: str,
        properties: Mapping[str, object] | None = None,
        category: str = "custom",
        *,
        timestamp: datetime | None = None,
    ) -> None:
        """Send a custom event.

        Wrong arguments raise here, as in :meth:`UserContext.track`. With
        batching on this only queues the event: it awaits nothing and does no
        I/O. With batching off it awaits the request (retries included)::

            await user.track("plan_upgraded", {"from": "free", "to": "pro"})
        """
        record = self._track_record(event_name, properties, category, timestamp)
        await self._client._submit(record)

    track_event = track

    async def capture_error(self, error: BaseException, severity: str = "error") -> None:
        """Send an exception as a ``server_error`` event, stack trace included.

        ``severity`` is "critical", "error" or "warning"::

            try:
                await charge(card)
            except PaymentError as exc:
                await user.capture_error(exc, severity="warning")
        """
        await self._client._submit(self._error_record(error, severity))

    async def identify(self, identify_id: str) -> IdentifyResult:
        """Link this user to your own id for them; see :meth:`UserContext.identify`.

        After a merge this context uses the merged id, keeps its session, and
        ``client.for_user(new_id)`` returns this same context.
        """
        identify_id = require_str(identify_id, "identify_id")
        requests = self._client._bound_requests()
        session, current = self._current_session(), self._distinct_id
        answer, new_id = await requests.send(
            "identify",
            session,
            lambda: requests.transport.identify(session, current, identify_id),
        )
        return self._merge(answer, new_id, current)

    async def reset(self) -> bool:
        """Forget this user's server session, telling Trodo; the next call starts a new one.

        Returns whether Trodo accepted the reset (failures are reported, not raised).
        """
        requests = self._client._bound_requests()
        session, current = self._take_session(), self._distinct_id
        if session is None:
            return True
        # No registration first: a session Trodo never saw is already forgotten.
        answer, _ = await requests.send(
            "reset", None, lambda: _no_value(requests.transport.reset(session, current))
        )
        return answer.outcome is Outcome.OK

    async def wallet_address(self, address: str) -> bool:
        """Associate a wallet address with this user. Returns whether Trodo accepted it."""
        address = require_str(address, "address")
        requests = self._client._bound_requests()
        session, current = self._current_session(), self._distinct_id
        answer, _ = await requests.send(
            "wallet_address",
            session,
            lambda: _no_value(requests.transport.wallet_address(session, current, address)),
        )
        return answer.outcome is Outcome.OK


async def _no_value(answer: Awaitable[Answer]) -> tuple[Answer, None]:
    return await answer, None


class AsyncTrodoClient(ClientBase[AsyncUserContext]):
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

    _transport: AsyncTransport
    _requests: AsyncRequests
    _delivery: _AsyncDelivery

    def __init__(self, site_id: str | None = None, **options: Unpack[ClientOptions]) -> None:
        super().__init__(site_id, options)
        # As in TrodoClient: the HTTP stack loads with the first client.
        from trodo._async_transport import AsyncTransport

        config = self._config
        self._binding = LoopBinding(type(self).__name__)
        self._transport = AsyncTransport(config.site_id, config.api_base, config.timeout)
        self._requests = AsyncRequests(self._transport, self._retrier, self._reporter)
        self._go_live()

    def _new_context(self, distinct_id: str, session_id: str | None) -> AsyncUserContext:
        return AsyncUserContext(self, distinct_id, session_id)

    def _direct_delivery(self) -> _AsyncDelivery:
        return AsyncDirectDelivery(self._requests, self._binding)

    def _batch_delivery(self) -> _AsyncDelivery:
        from trodo._async_worker import AsyncBatchDelivery

        return AsyncBatchDelivery(self._config, self._requests, self._binding)

    def _bound_requests(self) -> AsyncRequests:
        """The request sender, after checking that this is the client's loop."""
        self._binding.check()
        return self._requests

    async def _submit(self, record: EventRecord) -> None:
        self._binding.check()
        await self._delivery.submit(record)

    # -- the same operations as direct methods --------------------------------------------

    async def track(
        self,
        distinct_id: str,
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

    async def identify(self, identify_id: str, session_id: str | None = None) -> AsyncUserContext:
        """Identify the user ``identify_id`` (optionally on the browser's session).

        Returns the user's context, which follows a merged distinct id.
        """
        context = self.for_user(identify_id, session_id)
        await context.identify(identify_id)
        return context

    async def reset(self, distinct_id: str) -> bool:
        """``await for_user(distinct_id).reset()``."""
        return await self.for_user(distinct_id).reset()

    async def wallet_address(self, distinct_id: str, address: str) -> bool:
        """``await for_user(distinct_id).wallet_address(address)``."""
        return await self.for_user(distinct_id).wallet_address(address)

    async def capture_error(
        self, distinct_id: str, error: BaseException, severity: str = "error"
    ) -> None:
        """``await for_user(distinct_id).capture_error(error, severity)``."""
        await self.for_user(distinct_id).capture_error(error, severity)

    def _capture_uncaught(self, error: BaseException) -> None:
        # A sync hook, on any thread: queue or hand over, never wait here.
        user = self.for_user(self._config.auto_events_distinct_id)
        self._delivery.submit_threadsafe(user._error_record(error, "critical"))

    # -- lifecycle --------------------------------------------------------------------------

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event tracked before this call is delivered or given up.

        Returns True when all of them were delivered, False when some were
        given up or ``timeout`` seconds passed first. The loop runs on meanwhile.
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
        self._requests.closed = True
        await self._transport.aclose()

    close = shutdown
    aclose = shutdown

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
