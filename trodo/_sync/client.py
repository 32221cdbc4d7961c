"""TrodoClient: the threaded client (twin of ``trodo._async.client``).

The shared part (options, the user-context cache, reporting, auto events,
fork handling) is ``trodo._core.client_base``; this module makes the
threaded parts (transport, sender, delivery) and gives its contexts their
`UserPort`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, Unpack

from trodo._core.answers import Answer
from trodo._core.arguments import wallet_argument
from trodo._core.client_base import ClientBase
from trodo._core.config import ClientOptions, resolve
from trodo._core.context_base import ContextBase
from trodo._core.disabled import refuse_when_disabled, unsent_answer
from trodo._core.operations import Call
from trodo._core.profiles import ClientWrites
from trodo._core.records import EventRecord
from trodo._core.write_results import UpsertResult, WriteOutcome, WriteResult
from trodo._core.writes import WriteRecord
from trodo._sync.context import UserContext

if TYPE_CHECKING:
    from trodo._sync.batch import BatchDelivery
    from trodo._sync.direct import DirectDelivery, DisabledDelivery
    from trodo._wire.transport_base import ApiClient


@dataclass(frozen=True, slots=True)
class _Port:
    """The client as its contexts see it (`trodo._sync.context.UserPort`)."""

    site_id: str
    max_request_bytes: int
    submit: Callable[[EventRecord], None]
    request: Callable[[Call], tuple[Answer, Any]]
    alias: Callable[[str, ContextBase], None]
    write: Callable[[WriteRecord], WriteOutcome]
    auto_events: Callable[[bool], None]


class TrodoClient(ClientBase[UserContext], ClientWrites[WriteResult, UpsertResult]):
    """A Trodo client: one per process (or per worker process), shared by all threads.

    ``site_id`` falls back to TRODO_SITE_ID; every option is listed in
    :class:`trodo.ClientOptions` (api_base, timeout, retries, batch_enabled,
    batch_size, batch_flush_interval, auto_events, on_error, debug, ...)::

        with trodo.TrodoClient("site_123", batch_enabled=True) as client:
            client.for_user("user_42").track("signed_up", {"plan": "pro"})
        # leaving the block flushes and shuts the client down
    """

    _delivery: DirectDelivery | BatchDelivery | DisabledDelivery

    def __init__(self, site_id: str | None = None, **options: Unpack[ClientOptions]) -> None:
        config = resolve(site_id, options)
        # The HTTP stack and the generated client load with the first client,
        # not with `import trodo`.
        from trodo._sync.batch import BatchDelivery
        from trodo._sync.direct import DirectDelivery, DisabledDelivery, Sender
        from trodo._sync.transport import Transport

        self._transport = Transport(config)
        self._sender = Sender(self._transport, config)
        request: Callable[[Call], tuple[Answer, Any]] = self._sender.request
        if config.disabled:  # checked as always, sent never: no thread, no connection
            self._delivery = DisabledDelivery()
            request = unsent_answer
        elif config.batch_enabled:
            self._delivery = BatchDelivery(config, self._sender)
        else:
            self._delivery = DirectDelivery(self._sender)
        self._port = _Port(
            config.site_id,
            config.max_request_bytes,
            self._delivery.submit,
            request,
            self._alias,
            self._delivery.write,
            self._switch_auto_events,
        )
        super().__init__(config, self._transport, self._sender, self._delivery)

    @property
    def api_client(self) -> ApiClient:
        """The configured generated client, for direct typed calls to any endpoint.

        It carries the base URL, the ``X-Trodo-Site-Id`` header, the timeout
        and this SDK's User-Agent; use the generated ``sync_detailed`` calls::

            from trodo_api.api.identity import set_wallet_address
            from trodo_api.models import WalletAddressRequest

            answer = set_wallet_address.sync_detailed(
                client=client.api_client, body=WalletAddressRequest(...)
            )

        A disabled client has none (RuntimeError): it never sends.
        """
        refuse_when_disabled(self._config)
        return self._transport.api_client

    def _new_context(self, distinct_id: str, session_id: str | None) -> UserContext:
        return UserContext(self._port, distinct_id, session_id)

    def _user(self, distinct_id: str | int) -> UserContext:
        return self.for_user(distinct_id)

    # -- the same operations as direct methods --------------------------------------------

    def track(
        self,
        distinct_id: str | int,
        event_name: str,
        properties: Mapping[str, object] | None = None,
        category: str = "custom",
        *,
        timestamp: datetime | None = None,
    ) -> None:
        """``for_user(distinct_id).track(...)``: send a custom event."""
        self.for_user(distinct_id).track(event_name, properties, category, timestamp=timestamp)

    track_event = track

    def identify(self, identify_id: str | int, session_id: str | None = None) -> UserContext:
        """Identify the user ``identify_id`` (optionally on the browser's session).

        Returns the user's context, which follows a merged distinct id.
        """
        context = self.for_user(identify_id, session_id)
        context.identify(identify_id)
        return context

    def reset(self, distinct_id: str | int) -> bool:
        """``for_user(distinct_id).reset()``."""
        return self.for_user(distinct_id).reset()

    def wallet_address(
        self, distinct_id: str | int, address: str | None = None, *, wallet_addr: str | None = None
    ) -> bool:
        """``for_user(distinct_id).wallet_address(address)`` (or the vendor's ``wallet_addr=``)."""
        address = wallet_argument(address, wallet_addr)  # type: ignore[assignment]
        return self.for_user(distinct_id).wallet_address(address)

    def capture_error(
        self,
        distinct_id: str | int,
        error: BaseException,
        severity: str = "error",
        *,
        properties: Mapping[str, object] | None = None,
    ) -> None:
        """``for_user(distinct_id).capture_error(error, severity, properties=...)``."""
        self.for_user(distinct_id).capture_error(error, severity, properties=properties)

    # -- auto events --------------------------------------------------------------------------

    def _capture_uncaught(self, error: BaseException) -> None:
        self.for_user(self._config.auto_events_distinct_id).capture_error(error, "critical")

    # -- lifecycle --------------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event tracked before this call is delivered or given up.

        Returns True when all of them were delivered, False when some were
        given up or ``timeout`` seconds passed first. With batching off,
        where each event is sent (or given up) before ``track`` returns, it is
        True when no event was given up since the previous ``flush()``.
        """
        return self._delivery.flush(timeout)

    def shutdown(self, timeout: float | None = None) -> None:
        """Flush (waiting up to ``timeout``, default ``shutdown_timeout``), then stop.

        Idempotent. Events tracked afterwards are dropped with a warning.
        """
        if not self._begin_shutdown():
            return
        self._delivery.shutdown(self._shutdown_timeout(timeout))
        self._sender.closed = True
        self._transport.close()

    close = shutdown

    def end_of_process(self) -> None:
        """The process is ending: :meth:`shutdown`, within ``shutdown_timeout``."""
        self.shutdown()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()
