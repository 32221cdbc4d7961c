"""Server sessions: one per user context, registered with Trodo once before use."""

from __future__ import annotations

import datetime as _dt
import threading
import uuid
from collections.abc import Callable

from trodo._policy import Answer, Outcome


class Session:
    """A server session: its id, whose it is, and whether Trodo knows it yet.

    ``registered`` only ever goes from False to True, and only after a
    registration Trodo accepted; a failed one is tried again at the next use.
    """

    __slots__ = ("_lock", "distinct_id", "registered", "session_id", "site_id", "start_time")

    def __init__(self, site_id: str, distinct_id: str, session_id: str | None = None) -> None:
        self.site_id = site_id
        self.session_id = session_id or str(uuid.uuid4())
        # The distinct id the session was registered for; identify may move
        # the user to a new id later, the session stays.
        self.distinct_id = distinct_id
        self.start_time = _dt.datetime.now(_dt.UTC)
        self.registered = False
        self._lock = threading.Lock()

    def ensure_registered(self, register: Callable[[Session], Answer]) -> Answer:
        """Register this session through ``register`` unless that already succeeded.

        Many threads may arrive at once for the same user: one registers, the
        others wait for its answer, so Trodo sees exactly one registration.
        """
        if self.registered:
            return _ALREADY
        with self._lock:
            if self.registered:
                return _ALREADY
            answer = register(self)
            if answer.outcome is Outcome.OK:
                self.registered = True
            return answer

    def after_fork_in_child(self) -> None:
        """A fork may have copied the lock while another thread held it."""
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "registered" if self.registered else "unregistered"
        return f"<Session {self.session_id} user={self.distinct_id!r} {state}>"


_ALREADY = Answer(Outcome.OK)
