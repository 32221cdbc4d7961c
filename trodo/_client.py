"""TrodoClient: configuration, the user-context cache and the client's lifecycle."""

from __future__ import annotations

import logging
import os
import threading
import weakref
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar, Unpack

from trodo._auto_events import AutoEvents
from trodo._config import ClientOptions, Config, mask, resolve
from trodo._context import ContextBase, UserContext
from trodo._delivery import DirectDelivery, Requests, RequestsBase, Retrier
from trodo._errors import Stats
from trodo._events import EventRecord
from trodo._reporting import Reporter
from trodo._validation import require_str

if TYPE_CHECKING:
    from trodo._transport import ApiClient, Transport, TransportBase

logger = logging.getLogger("trodo")


class _Delivery(Protocol):
    def submit(self, record: EventRecord) -> None: ...
    def after_fork_in_child(self) -> None: ...
    def flush(self, timeout: float | None = None) -> bool: ...
    def shutdown(self, timeout: float | None = None) -> None: ...
    def stats(self) -> Stats: ...


class _DeliveryBase(Protocol):
    def after_fork_in_child(self) -> None: ...
    def stats(self) -> Stats: ...


C = TypeVar("C", bound=ContextBase)


class ClientBase(ABC, Generic[C]):
    """What the sync and async clients share: options, the user-context cache,
    failure reporting, auto events, counters and fork handling."""

    _transport: TransportBase
    _requests: RequestsBase[Any]
    _delivery: _DeliveryBase

    def __init__(self, site_id: str | None, options: ClientOptions) -> None:
        config = resolve(site_id, options)
        self._config = config
        self.site_id = config.site_id
        """The site id events are sent for."""
        if config.debug:
            _enable_debug_logging()
        self._contexts: OrderedDict[str, C] = OrderedDict()
        self._contexts_lock = threading.Lock()
        self._closed = False
        self._reporter = Reporter(config.site_id, config.on_error)
        self._retrier = Retrier(config.retries, config.timeout)
        self._auto_events = AutoEvents(self._capture_uncaught)

    def _go_live(self) -> None:
        """The end of a subclass's __init__, once it has its transport and requests:
        delivery as ``batch_enabled`` says, auto events on if asked, fork-aware."""
        batched = self._config.batch_enabled
        self._delivery = self._batch_delivery() if batched else self._direct_delivery()
        if self._config.auto_events:
            self._auto_events.enable()
        _live.add(self)

    def __repr__(self) -> str:
        mode = "batching" if self._config.batch_enabled else "direct"
        state = " closed" if self._closed else ""
        name = type(self).__name__
        return f"<{name} site={mask(self.site_id)} {self._config.api_base} {mode}{state}>"

    @property
    def config(self) -> Config:
        """The options this client runs with."""
        return self._config

    @property
    def api_client(self) -> ApiClient:
        """The configured generated client, for direct typed calls to any endpoint.

        It carries the base URL, the ``X-Trodo-Site-Id`` header, the timeout
        and this SDK's User-Agent. With :class:`TrodoClient` use the generated
        ``sync_detailed`` calls, with :class:`AsyncTrodoClient` the awaited
        ``asyncio_detailed`` ones (on the client's loop)::

            from trodo_api.api.identity import set_wallet_address
            from trodo_api.models import WalletAddressRequest

            answer = set_wallet_address.sync_detailed(
                client=client.api_client, body=WalletAddressRequest(...)
            )
        """
        return self._transport.api_client

    @abstractmethod
    def _new_context(self, distinct_id: str, session_id: str | None) -> C:
        """Make the context type of this client."""

    @abstractmethod
    def _direct_delivery(self) -> _DeliveryBase:
        """Batching off: each event sent when it is tracked."""

    @abstractmethod
    def _batch_delivery(self) -> _DeliveryBase:
        """Batching on: events queued and sent in bulk in the background."""

    def for_user(self, distinct_id: str, session_id: str | None = None) -> C:
        """The context of one user, created on first use and cached (LRU-bounded).

        Pass the browser's Trodo ``session_id`` to tie server events to the
        browser session; the context then switches to that session.
        """
        if type(distinct_id) is not str or not distinct_id:
            require_str(distinct_id, "distinct_id")
        if session_id is not None:
            require_str(session_id, "session_id")
        contexts = self._contexts
        # The hit path takes no lock: OrderedDict's get and move_to_end are
        # atomic under the GIL, and a context evicted meanwhile still works.
        context = contexts.get(distinct_id)
        if context is None:
            with self._contexts_lock:
                context = contexts.get(distinct_id)
                if context is None:
                    context = self._new_context(distinct_id, session_id)
                    contexts[distinct_id] = context
                    if len(contexts) > self._config.max_cached_users:
                        contexts.popitem(last=False)
                    return context
        # try/except, not contextlib.suppress: this runs on every track(), and
        # entering a context manager costs more than the rest of the hit path.
        try:  # noqa: SIM105
            contexts.move_to_end(distinct_id)
        except KeyError:  # evicted by another thread meanwhile: the context still works
            pass
        if session_id is not None:
            context._use_session(session_id)
        return context

    def _alias(self, distinct_id: str, context: ContextBase) -> None:
        """After an identify merge, ``for_user(new_id)`` returns the same context."""
        with self._contexts_lock:
            self._contexts[distinct_id] = context  # type: ignore[assignment]
            self._contexts.move_to_end(distinct_id)

    # -- auto events --------------------------------------------------------------------------

    def enable_auto_events(self) -> None:
        """Send uncaught exceptions (main and other threads) as critical ``server_error`` events."""
        self._auto_events.enable()

    def disable_auto_events(self) -> None:
        """Stop; the exception hooks that were there before are put back."""
        self._auto_events.disable()

    @abstractmethod
    def _capture_uncaught(self, error: BaseException) -> None:
        """Called by the exception hooks, on whatever thread the error ended."""

    # -- lifecycle ------------------------------------------------------------------------

    def stats(self) -> Stats:
        """Delivery counters: sent, queued, in flight, retried, dropped by reason."""
        return self._delivery.stats()

    def _begin_shutdown(self) -> bool:
        """Mark the client closed; False when it already was (shutdown is idempotent)."""
        if self._closed:
            return False
        self._closed = True
        self._auto_events.disable()
        return True

    def _shutdown_timeout(self, timeout: float | None) -> float:
        return self._config.shutdown_timeout if timeout is None else timeout

    def _after_fork_in_child(self) -> None:
        """Give a forked child (gunicorn, celery prefork) a working client of its own.

        Locks another thread held at the fork are replaced, the connection
        pool is new, and the queue starts empty: the parent sends its own.
        """
        self._contexts_lock = threading.Lock()
        for context in self._contexts.values():
            context._after_fork_in_child()
        self._transport.after_fork_in_child()
        self._reporter.after_fork_in_child()
        self._retrier.after_fork_in_child()
        self._delivery.after_fork_in_child()


class TrodoClient(ClientBase[UserContext]):
    """A Trodo client: one per process (or per worker process), shared by all threads.

    ``site_id`` falls back to TRODO_SITE_ID; every option is listed in
    :class:`trodo.ClientOptions` (api_base, timeout, retries, batch_enabled,
    batch_size, batch_flush_interval, auto_events, on_error, debug, ...)::

        with trodo.TrodoClient("site_123", batch_enabled=True) as client:
            client.for_user("user_42").track("signed_up", {"plan": "pro"})
        # leaving the block flushes and shuts the client down
    """

    _transport: Transport
    _requests: Requests
    _delivery: _Delivery

    def __init__(self, site_id: str | None = None, **options: Unpack[ClientOptions]) -> None:
        super().__init__(site_id, options)
        # The HTTP stack and the generated client load with the first client,
        # not with `import trodo`.
        from trodo._transport import Transport

        config = self._config
        self._transport = Transport(config.site_id, config.api_base, config.timeout)
        self._requests = Requests(self._transport, self._retrier, self._reporter)
        self._go_live()

    def _new_context(self, distinct_id: str, session_id: str | None) -> UserContext:
        return UserContext(self, distinct_id, session_id)

    def _direct_delivery(self) -> _Delivery:
        return DirectDelivery(self._requests)

    def _batch_delivery(self) -> _Delivery:
        from trodo._worker import BatchDelivery

        return BatchDelivery(self._config, self._requests)

    # -- the same operations as direct methods --------------------------------------------

    def track(
        self,
        distinct_id: str,
        event_name: str,
        properties: Mapping[str, object] | None = None,
        category: str = "custom",
        *,
        timestamp: datetime | None = None,
    ) -> None:
        """``for_user(distinct_id).track(...)``: send a custom event."""
        self.for_user(distinct_id).track(event_name, properties, category, timestamp=timestamp)

    track_event = track

    def identify(self, identify_id: str, session_id: str | None = None) -> UserContext:
        """Identify the user ``identify_id`` (optionally on the browser's session).

        Returns the user's context, which follows a merged distinct id.
        """
        context = self.for_user(identify_id, session_id)
        context.identify(identify_id)
        return context

    def reset(self, distinct_id: str) -> bool:
        """``for_user(distinct_id).reset()``."""
        return self.for_user(distinct_id).reset()

    def wallet_address(self, distinct_id: str, address: str) -> bool:
        """``for_user(distinct_id).wallet_address(address)``."""
        return self.for_user(distinct_id).wallet_address(address)

    def capture_error(
        self, distinct_id: str, error: BaseException, severity: str = "error"
    ) -> None:
        """``for_user(distinct_id).capture_error(error, severity)``."""
        self.for_user(distinct_id).capture_error(error, severity)

    # -- auto events --------------------------------------------------------------------------

    def _capture_uncaught(self, error: BaseException) -> None:
        self.for_user(self._config.auto_events_distinct_id).capture_error(error, "critical")

    # -- lifecycle --------------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event tracked before this call is delivered or given up.

        Returns True when all of them were delivered, False when some were
        given up or ``timeout`` seconds passed first.
        """
        return self._delivery.flush(timeout)

    def shutdown(self, timeout: float | None = None) -> None:
        """Flush (waiting up to ``timeout``, default ``shutdown_timeout``), then stop.

        Idempotent. Events tracked afterwards are dropped with a warning.
        """
        if not self._begin_shutdown():
            return
        self._delivery.shutdown(self._shutdown_timeout(timeout))
        self._requests.closed = True
        self._transport.close()

    close = shutdown

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()


_live: weakref.WeakSet[ClientBase[Any]] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for client in list(_live):
        client._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _enable_debug_logging() -> None:
    """debug=True: the trodo logger at DEBUG, printed to stderr unless already handled."""
    logger.setLevel(logging.DEBUG)
    if not any(not isinstance(h, logging.NullHandler) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
