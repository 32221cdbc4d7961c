"""What the sync and async user contexts share: the session, the distinct id,
call-site validation, building the records, and preparing and finishing the
operations of ``trodo._core.operations``.

A context knows its client only through a narrow interface, `ContextOwner`
here and the twins' ``UserPort`` and ``AsyncUserPort`` next to their
contexts: submit an event, send an operation's call, alias a merged id.
The twins only hand records and calls to the port and wait (or await).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

from trodo._core.answers import ALREADY_DONE, Answer
from trodo._core.operations import Call, Operation, Reply
from trodo._core.records import ERROR_PROPERTIES, EventRecord, EventType, error_properties
from trodo._core.sessions import Session
from trodo._core.validation import (
    EVENT_OVERHEAD_BYTES,
    copy_properties,
    epoch_seconds,
    is_text,
    json_size,
    require_severity,
    require_text,
)
from trodo._core.wire_size import name_bytes, text_bytes
from trodo._core.writes import Write, WriteRecord, write_record

R = TypeVar("R")


class ContextOwner(Protocol):
    """What a context needs of its client, whichever client it is."""

    @property
    def site_id(self) -> str:
        """The site id events are sent for."""
        ...

    @property
    def max_request_bytes(self) -> int:
        """The largest request: no single event may be larger."""
        ...

    def alias(self, distinct_id: str, context: ContextBase) -> None:
        """After an identify merge, ``for_user(distinct_id)`` returns ``context``."""
        ...

    def auto_events(self, on: bool) -> None:
        """Turn the client's auto events on or off."""
        ...


class ContextBase:
    """State and call-site logic shared by the sync and async user contexts."""

    __slots__ = (
        "__weakref__",
        "_distinct_id",
        "_id_bytes",
        "_lock",
        "_max_bytes",
        "_owner",
        "_session",
    )
    # Each twin's context makes its own kind (how callers wait for registration).
    _session_type: ClassVar[type[Session]]

    def __init__(self, owner: ContextOwner, distinct_id: str, session_id: str | None) -> None:
        self._owner = owner
        self._max_bytes = owner.max_request_bytes
        self._distinct_id = distinct_id
        self._id_bytes = text_bytes(distinct_id)  # in each event, for the queue's byte bound
        self._lock = threading.Lock()
        self._session: Session | None = self._session_type(owner.site_id, distinct_id, session_id)

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
        if type(event_name) is not str or not event_name or not event_name.isascii():
            require_text(event_name, "event_name")
        if category != "custom":
            require_text(category, "category")
        props, size = copy_properties(properties, self._max_bytes)
        when = time.time() if timestamp is None else epoch_seconds(timestamp)
        return self._record("custom", event_name, category, props, when, size)

    def _error_record(
        self,
        error: BaseException,
        severity: str,
        properties: Mapping[str, object] | None = None,
    ) -> EventRecord:
        if not isinstance(error, BaseException):
            raise TypeError(f"error must be an exception, got {type(error).__name__}")
        severity = require_severity(severity)
        extra, _ = copy_properties(properties)
        reserved = ERROR_PROPERTIES.intersection(extra)
        if reserved:
            raise ValueError(
                f"properties may not set {', '.join(sorted(reserved))}: "
                "capture_error fills the six error properties itself"
            )
        now = time.time()
        # Never raises for the exception itself (its str() may): see error_properties.
        props = error_properties(error, severity, now, self._max_bytes)
        if extra:
            props = {**extra, **props}
        return self._record("auto", "server_error", "error", props, now, json_size(props))

    def _record(
        self,
        event_type: EventType,
        name: str,
        category: str,
        props: dict[str, Any],
        when: float,
        size: int,
    ) -> EventRecord:
        session = self._session or self._current_session()
        # Every byte it takes on the wire: ids (exact, counted once per session and
        # user), name and category (exact, remembered), properties (copy_properties),
        # the fixed keys, nulls, timestamp and separators (EVENT_OVERHEAD_BYTES).
        wire = (
            size
            + name_bytes(name)
            + name_bytes(category)
            + EVENT_OVERHEAD_BYTES
            + session.wire_bytes
            + self._id_bytes
        )
        if wire > self._max_bytes:
            self._refuse_size(name, category, props)
        distinct_id = self._distinct_id
        return EventRecord(session, distinct_id, event_type, name, category, props, when, wire)

    def _refuse_size(self, name: str, category: str, props: dict[str, Any]) -> None:
        """Raise unless the event, measured exactly, fits a request after all."""
        session = self._session or self._current_session()
        texts = (name, category, self._distinct_id, session.session_id)
        exact = json_size(props) + json_size(texts) + EVENT_OVERHEAD_BYTES
        if exact > self._max_bytes:
            raise ValueError(
                f"the event is {exact:,} bytes as JSON, more than max_request_bytes "
                f"({self._max_bytes:,}) allows one request; send large data elsewhere and "
                "track a reference to it"
            )

    def _write_record(self, write: Write, args: tuple[Any, ...]) -> WriteRecord:
        """A profile write for this user, its arguments checked (raises on wrong use)."""
        return write_record(write, self._distinct_id, self._owner.site_id, args, self._max_bytes)

    # -- auto events (the vendor has them on the user's context too) ------------------

    def enable_auto_events(self) -> None:
        """Send uncaught exceptions as critical ``server_error`` events: the client's
        setting (the same as ``client.enable_auto_events()``)."""
        self._owner.auto_events(True)

    def disable_auto_events(self) -> None:
        """Stop sending uncaught exceptions: the client's setting."""
        self._owner.auto_events(False)

    # -- operations -----------------------------------------------------------------

    def _prepare(self, operation: Operation[Any], args: tuple[Any, ...]) -> Call | None:
        """The call for ``operation``, its arguments already checked; None: nothing to send."""
        if operation.forgets_session:
            session = self._take_session()
            if session is None:
                return None
        else:
            session = self._current_session()
        return Call(operation, session, self._distinct_id, args)

    def _finish(self, operation: Operation[R], call: Call | None, answer: Answer, value: Any) -> R:
        """The caller's result; an identify answer's new distinct id is followed first."""
        merged = False
        if call is None:
            answer = ALREADY_DONE
        elif operation.follows_merge and is_text(value) and value != call.distinct_id:
            self._distinct_id = value
            self._id_bytes = text_bytes(value)
            self._owner.alias(value, self)
            merged = True
        return operation.result(Reply(answer, value, self._distinct_id, merged))

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
                    self._session = self._session_type(self._owner.site_id, self._distinct_id)
                session = self._session
        return session

    def _use_session(self, session_id: str) -> None:
        """Switch to the browser's session ``session_id`` if it is not the current one."""
        with self._lock:
            if self._session is None or self._session.session_id != session_id:
                self._session = self._session_type(
                    self._owner.site_id, self._distinct_id, session_id
                )

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        if self._session is not None:
            self._session.after_fork_in_child()


def switch_session(context: ContextBase, session_id: str) -> None:
    """Switch ``context`` to the browser's session ``session_id`` (``for_user``)."""
    context._use_session(session_id)


def after_fork_in_child(context: ContextBase) -> None:
    """A forked child's context: new lock, and a session whose lock is new."""
    context._after_fork_in_child()
