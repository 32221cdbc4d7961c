"""Sessions of the async client: registered once, awaiting an asyncio lock.

A ``threading.Lock`` held across a registration would freeze the event loop
while another task registers; an ``asyncio.Lock`` lets the waiting tasks
yield instead. The state (``registered``) and its rule are the sync
session's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from trodo._core.answers import ALREADY_DONE, Answer
from trodo._core.sessions import Session


class AsyncSession(Session):
    """A server session that many tasks may need registered at the same moment."""

    __slots__ = ("_registering",)

    def __init__(self, site_id: str, distinct_id: str, session_id: str | None = None) -> None:
        super().__init__(site_id, distinct_id, session_id)
        # Created on first need, on the client's loop.
        self._registering: asyncio.Lock | None = None

    async def register_once(self, register: Callable[[Session], Awaitable[Answer]]) -> Answer:
        """Register through ``register`` unless that already succeeded.

        The first task registers; the others await its answer, so Trodo sees
        one registration however many tasks use the user at once.
        """
        if self.registered:
            return ALREADY_DONE
        if self._registering is None:
            self._registering = asyncio.Lock()
        async with self._registering:
            if self.registered:
                return ALREADY_DONE
            return self.registration_answered(await register(self))

    def after_fork_in_child(self) -> None:
        """The child's loop makes its own lock."""
        self._registering = None


def async_session(session: Session) -> AsyncSession:
    """``session`` as the async client's own (it makes no other kind)."""
    if not isinstance(session, AsyncSession):
        raise TypeError(f"expected a session of the async client, got {session!r}")
    return session
