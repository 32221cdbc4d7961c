"""The event loop an async client belongs to.

An ``httpx.AsyncClient``'s connections and the sender task live on one loop:
used from another loop they hang or fail obscurely. So the client binds to
the loop it first runs on and says so clearly when called from another one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable


class LoopBinding:
    """Binds at the first call from a running loop; checks every later call."""

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The bound loop, if any."""
        return self._loop

    def check(self) -> asyncio.AbstractEventLoop:
        """The running loop, bound on the first call; RuntimeError on any other loop."""
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return loop
        with self._lock:
            if self._loop is None:
                self._loop = loop
                return loop
            bound = self._loop
        state = "closed" if bound.is_closed() else "still running elsewhere"
        raise RuntimeError(
            f"this {self._owner} belongs to the event loop it first ran on ({state}) and was "
            "called from another event loop. Its connections and sender task live on that "
            "loop: create the client inside the loop that uses it (e.g. in your app's "
            "lifespan), one client per loop, and shut it down there."
        )

    def on_loop(self) -> bool:
        """Whether the caller runs on the bound loop (its thread, inside it)."""
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def running(self) -> asyncio.AbstractEventLoop | None:
        """The bound loop if it is running (to hand it work from another thread)."""
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running():
            return None
        return loop

    def call_soon(self, callback: Callable[[], object]) -> bool:
        """Run ``callback`` on the bound loop, from any thread; False when it is not running."""
        loop = self.running()
        if loop is None:
            return False
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:  # closed in the meantime
            return False
        return True

    def forget(self) -> None:
        """After a fork: the child binds to a loop of its own."""
        self._lock = threading.Lock()
        self._loop = None
