"""Sessions of the threaded client: registered once, other threads waiting.

The state (``registered``) and its rule are the shared session's
(``trodo._core.sessions``); the async twin waits on an asyncio lock instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from trodo._core.answers import ALREADY_DONE, Answer
from trodo._core.sessions import Session


class ThreadedSession(Session):
    """A server session that many threads may need registered at the same moment."""

    __slots__ = ("_lock",)

    def __init__(self, site_id: str, distinct_id: str, session_id: str | None = None) -> None:
        super().__init__(site_id, distinct_id, session_id)
        self._lock = threading.Lock()

    def ensure_registered(self, register: Callable[[Session], Answer]) -> Answer:
        """Register this session through ``register`` unless that already succeeded.

        Many threads may arrive at once for the same user: one registers, the
        others wait for its answer, so Trodo sees exactly one registration.
        """
        if self.registered:
            return ALREADY_DONE
        with self._lock:
            if self.registered:
                return ALREADY_DONE
            return self.registration_answered(register(self))

    def after_fork_in_child(self) -> None:
        """A fork may have copied the lock while another thread held it."""
        self._lock = threading.Lock()


def threaded_session(session: Session) -> ThreadedSession:
    """``session`` as the threaded client's own (it makes no other kind)."""
    if not isinstance(session, ThreadedSession):
        raise TypeError(f"expected a session of the threaded client, got {session!r}")
    return session
