"""Sessions of the threaded client: registered once, other threads waiting.

The state (``registered``) and its rule are the shared session's
(``trodo._core.sessions``); the async twin waits on an asyncio lock instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from trodo._core.answers import ALREADY_DONE, Answer
from trodo._core.sessions import Session


class ThreadedSession(Session):
    """A server session that many threads may need registered at the same moment."""

    __slots__ = ("_lock",)

    def __init__(self, site_id: str, distinct_id: str, session_id: str | None = None) -> None:
        super().__init__(site_id, distinct_id, session_id)
        self._lock: threading.Lock | None = None  # made at the first registration

    def ensure_registered(self, register: Callable[[Session], Answer]) -> Answer:
        """Register this session through ``register`` unless that already succeeded.

        Many threads may arrive at once for the same user: one registers, the
        others wait for its answer, so Trodo sees exactly one registration.
        """
        if self.registered:
            return ALREADY_DONE
        with self._registration_lock():
            if self.registered:
                return ALREADY_DONE
            return self.registration_answered(register(self))

    def _registration_lock(self) -> threading.Lock:
        """The lock held across the registration request, made at the first one.

        Made then, not with the session, so that it comes from ``threading`` as it
        is when green threads use it: a session made before gevent or eventlet
        patched (``gunicorn --preload``) would otherwise hold a real lock across
        the request, and a second green thread waiting for it would block the
        only OS thread for good.
        """
        with _Making.lock:
            if self._lock is None:
                self._lock = threading.Lock()
            return self._lock

    def after_fork_in_child(self) -> None:
        """A fork may have copied the lock while another thread held it."""
        self._lock = None


class _Making:
    """Guards making a session's lock; held for no I/O."""

    lock = threading.Lock()

    @classmethod
    def after_fork_in_child(cls) -> None:
        cls.lock = threading.Lock()  # a fork may have copied it held


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_Making.after_fork_in_child)


def threaded_session(session: Session) -> ThreadedSession:
    """``session`` as the threaded client's own (it makes no other kind)."""
    if not isinstance(session, ThreadedSession):
        raise TypeError(f"expected a session of the threaded client, got {session!r}")
    return session
