"""Server sessions: one per user context, registered with Trodo once before use.

The state and its rule are here; how callers wait for the one registration
is the twins' (``trodo._sync.sessions``, ``trodo._async.sessions``).
"""

from __future__ import annotations

import datetime as _dt
import uuid

from trodo._core.answers import Answer, Outcome
from trodo._core.wire_size import text_bytes


class Session:
    """A server session: its id, whose it is, and whether Trodo knows it yet.

    ``registered`` only ever goes from False to True, and only after a
    registration Trodo accepted; a failed one is tried again at the next use.
    """

    __slots__ = (
        "distinct_id",
        "registered",
        "session_id",
        "site_id",
        "start_time",
        "wire_bytes",
    )

    def __init__(self, site_id: str, distinct_id: str, session_id: str | None = None) -> None:
        self.site_id = site_id
        self.session_id = session_id or str(uuid.uuid4())
        # Bytes its id takes in each of its events (a browser's may be long).
        self.wire_bytes = text_bytes(self.session_id)
        # The distinct id the session was registered for; identify may move
        # the user to a new id later, the session stays.
        self.distinct_id = distinct_id
        self.start_time = _dt.datetime.now(_dt.UTC)
        self.registered = False

    def registration_answered(self, answer: Answer) -> Answer:
        """Note the answer to a registration (sync or async): accepted means registered."""
        if answer.outcome is Outcome.OK:
            self.registered = True
        return answer

    def after_fork_in_child(self) -> None:
        """In a forked child: the twins' sessions make their locks new."""

    def __repr__(self) -> str:
        state = "registered" if self.registered else "unregistered"
        return f"<Session {self.session_id} user={self.distinct_id!r} {state}>"
