"""UserContext: everything one user does, on that user's server session.

``ContextBase`` holds what the sync and async contexts share: the session,
the distinct id, call-site validation and building the records. The
subclasses only hand records to delivery and wait (or await) for answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from trodo._events import EventRecord, EventType, error_properties
from trodo._policy import Answer, Outcome
from trodo._sessions import Session
from trodo._validation import (
    EVENT_OVERHEAD_BYTES,
    copy_properties,
    epoch_seconds,
    require_severity,
    require_str,
)

if TYPE_CHECKING:
    from trodo._client import ClientBase, TrodoClient


@dataclass(frozen=True, slots=True)
class IdentifyResult:
    """What :meth:`UserContext.identify` did.

    ``distinct_id`` is the id the context uses from now on: the merged id
    when Trodo merged the identity (``merged`` is then True).
    """

    ok: bool
    """Trodo accepted the call."""
    distinct_id: str
    """The context's distinct id after the call."""
    merged: bool
    """Trodo answered with a new distinct id, which the context now uses."""


class ContextBase:
    """State and call-site logic shared by the sync and async user contexts."""

    __slots__ = ("__weakref__", "_client", "_distinct_id", "_lock", "_session")
    # The async context registers its sessions under an asyncio lock.
    _session_type: ClassVar[type[Session]] = Session

    def __init__(self, client: ClientBase[Any], distinct_id: str, session_id: str | None) -> None:
        self._client = client
        self._distinct_id = distinct_id
        self._lock = threading.Lock()
        self._session: Session | None = self._session_type(client.site_id, distinct_id, session_id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._distinct_id!r} session={self.get_session_id()}>"

    def get_session_id(self) -> str:
        """The id of this user's server session (the browser's, when you passed it)."""
        return self._current_session().session_id

    def get_current_distinct_id(self) -> str:
        """The distinct id this context sends now (changed by an identify merge)."""
        return self._distinct_id

    # -- records --------------------------------------------------------------------

    def _track_record(
        self,
        event_name: str,
        properties: Mapping[str, object] | None,
        category: str,
        timestamp: datetime | None,
    ) -> EventRecord:
        # Every track() runs this: the checks are inline, helpers only raise.
        if type(event_name) is not str or not event_name:
            require_str(event_name, "event_name")
        if category != "custom":
            require_str(category, "category")
        props, size = copy_properties(properties)
        when = time.time() if timestamp is None else epoch_seconds(timestamp)
        return self._record("custom", event_name, category, props, when, size)

    def _error_record(self, error: BaseException, severity: str) -> EventRecord:
        if not isinstance(error, BaseException):
            raise TypeError(f"error must be an exception, got {type(error).__name__}")
        severity = require_severity(severity)
        now = time.time()
        props = error_properties(error, severity, now)
        size = sum(len(str(v)) for v in props.values()) + 120
        return self._record("auto", "server_error", "error", props, now, size)

    def _record(
        self,
        event_type: EventType,
        name: str,
        category: str,
        props: dict[str, Any],
        when: float,
        size: int,
    ) -> EventRecord:
        return EventRecord(
            self._session or self._current_session(),
            self._distinct_id,
            event_type,
            name,
            category,
            props,
            when,
            size + len(name) + len(category) + EVENT_OVERHEAD_BYTES,
        )

    # -- identity -------------------------------------------------------------------

    def _merge(self, answer: Answer, new_id: str | None, current: str) -> IdentifyResult:
        """Apply an identify answer: follow a merged distinct id, keep the session."""
        merged = new_id is not None and new_id != current
        if new_id is not None and merged:
            self._distinct_id = new_id
            self._client._alias(new_id, self)
        return IdentifyResult(
            ok=answer.outcome is Outcome.OK, distinct_id=self._distinct_id, merged=merged
        )

    def _take_session(self) -> Session | None:
        """Forget the session (reset); the next call starts a fresh one."""
        with self._lock:
            session, self._session = self._session, None
        return session

    # -- session ----------------------------------------------------------------------

    def _current_session(self) -> Session:
        session = self._session
        if session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._session_type(self._client.site_id, self._distinct_id)
                session = self._session
        return session

    def _use_session(self, session_id: str) -> None:
        """Switch to the browser's session ``session_id`` if it is not the current one."""
        with self._lock:
            if self._session is None or self._session.session_id != session_id:
                self._session = self._session_type(
                    self._client.site_id, self._distinct_id, session_id
                )

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        if self._session is not None:
            self._session.after_fork_in_child()


class UserContext(ContextBase):
    """One user (a distinct id) and their server session.

    Get one with :meth:`TrodoClient.for_user`; it is cached per distinct id,
    and safe to share between threads::

        user = client.for_user("user_42", session_id=browser_session_id)
        user.track("checkout_completed", {"amount": 49.5, "currency": "EUR"})
    """

    __slots__ = ()
    _client: TrodoClient

    def track(
        self,
        event_name: str,
        properties: Mapping[str, object] | None = None,
        category: str = "custom",
        *,
        timestamp: datetime | None = None,
    ) -> None:
        """Send a custom event.

        ``properties`` are copied now (see the README for how values are
        converted); ``timestamp`` (a timezone-aware datetime) defaults to now.
        With batching on this only queues the event and returns::

            user.track("plan_upgraded", {"from": "free", "to": "pro"})
        """
        record = self._track_record(event_name, properties, category, timestamp)
        self._client._delivery.submit(record)

    track_event = track

    def capture_error(self, error: BaseException, severity: str = "error") -> None:
        """Send an exception as a ``server_error`` event, stack trace included.

        ``severity`` is "critical", "error" or "warning". Works inside and
        outside the ``except`` block, since the stack comes from the
        exception's own traceback::

            try:
                charge(card)
            except PaymentError as exc:
                user.capture_error(exc, severity="warning")
        """
        self._client._delivery.submit(self._error_record(error, severity))

    def identify(self, identify_id: str) -> IdentifyResult:
        """Link this user to your own id for them (database id, Stripe customer id, ...).

        When Trodo merges the identity into another distinct id, this
        context uses that id from now on, keeps its session, and
        ``client.for_user(new_id)`` returns this same context.
        """
        identify_id = require_str(identify_id, "identify_id")
        session, current = self._current_session(), self._distinct_id
        requests = self._client._requests
        answer, new_id = requests.send(
            "identify",
            session,
            lambda: requests.transport.identify(session, current, identify_id),
        )
        return self._merge(answer, new_id, current)

    def reset(self) -> bool:
        """Forget this user's server session, telling Trodo; the next call starts a new one.

        Returns whether Trodo accepted the reset (failures are reported, not raised).
        """
        session, current = self._take_session(), self._distinct_id
        if session is None:
            return True
        requests = self._client._requests
        # No registration first: a session Trodo never saw is already forgotten.
        answer, _ = requests.send(
            "reset", None, lambda: (requests.transport.reset(session, current), None)
        )
        return answer.outcome is Outcome.OK

    def wallet_address(self, address: str) -> bool:
        """Associate a wallet address with this user. Returns whether Trodo accepted it."""
        address = require_str(address, "address")
        session, current = self._current_session(), self._distinct_id
        requests = self._client._requests
        answer, _ = requests.send(
            "wallet_address",
            session,
            lambda: (requests.transport.wallet_address(session, current, address), None),
        )
        return answer.outcome is Outcome.OK
