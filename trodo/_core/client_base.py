"""What the sync and async clients share: options, the user-context cache,
failure reporting, auto events, counters, fork handling and the lifecycle."""

from __future__ import annotations

import logging
import os
import threading
import weakref
from abc import ABC, abstractmethod
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from trodo._core import process_end
from trodo._core.arguments import require_distinct_id
from trodo._core.auto_events import AutoEvents
from trodo._core.config import Config, mask
from trodo._core.context_base import ContextBase, after_fork_in_child, switch_session
from trodo._core.errors import Stats
from trodo._core.sending import SenderBase
from trodo._core.validation import require_text
from trodo._core.vendor_options import not_included

logger = logging.getLogger("trodo")


class Forkable(Protocol):
    """A part that makes itself new in a forked child."""

    def after_fork_in_child(self) -> None: ...


class Delivery(Forkable, Protocol):
    """What the client needs of either delivery (direct or batching), either twin."""

    def stats(self) -> Stats: ...


C = TypeVar("C", bound=ContextBase)


class ClientBase(ABC, Generic[C]):
    """What the sync and async clients share: options, the user-context cache,
    failure reporting, auto events, counters and fork handling."""

    def __init__(
        self,
        config: Config,
        transport: Forkable,
        sender: SenderBase[Any],
        delivery: Delivery,
    ) -> None:
        """Take the twin's parts, made from ``config``; the client is live on return
        (auto events on if asked, fork-aware)."""
        self._config = config
        self.site_id = config.site_id
        """The site id events are sent for."""
        if config.debug:
            _enable_debug_logging()
        self._contexts: OrderedDict[str, C] = OrderedDict()
        self._contexts_lock = threading.Lock()
        self._closed = False
        self._parts: tuple[Forkable, ...] = (transport, sender.reporter, sender.retrier, delivery)
        self._delivery_stats = delivery.stats
        self._auto_events = AutoEvents(self._capture_uncaught)
        if config.auto_events:
            self._auto_events.enable()
        _live.add(self)
        process_end.watch(
            self,
            queueing=bool(config.batch_enabled and not config.disabled),
            handle_sigterm=bool(config.handle_sigterm),
        )

    def __repr__(self) -> str:
        config = self._config
        mode = "disabled" if config.disabled else "batching" if config.batch_enabled else "direct"
        state = " closed" if self._closed else ""
        name = type(self).__name__
        return f"<{name} site={mask(self.site_id)} {self._config.api_base} {mode}{state}>"

    @property
    def config(self) -> Config:
        """The options this client runs with."""
        return self._config

    @abstractmethod
    def _new_context(self, distinct_id: str, session_id: str | None) -> C:
        """Make the context type of this client."""

    def for_user(self, distinct_id: str | int, session_id: str | None = None) -> C:
        """The context of one user, created on first use and cached (LRU-bounded).

        Pass the browser's Trodo ``session_id`` to tie server events to the
        browser session; the context then switches to that session. An int
        distinct id (a database key) is the same user as its decimal string.
        """
        if type(distinct_id) is not str or not distinct_id:
            distinct_id = require_distinct_id(distinct_id)
        if session_id is not None:
            require_text(session_id, "session_id")
        contexts = self._contexts
        # The hit path takes no lock: OrderedDict's get and move_to_end are
        # atomic under the GIL, and a context evicted meanwhile still works.
        context = contexts.get(distinct_id)
        if context is None:
            # A cached id was checked when its context was made: only new ones are.
            require_text(distinct_id, "distinct_id")
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
            switch_session(context, session_id)
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

    def _switch_auto_events(self, on: bool) -> None:
        """A user context's enable/disable_auto_events (the vendor has them there too)."""
        if on:
            self._auto_events.enable()
        else:
            self._auto_events.disable()

    if not TYPE_CHECKING:  # a type checker still reports a misspelt attribute

        def __getattr__(self, name: str) -> Any:
            # Only for names not found otherwise: the vendor's LLM-tracing ones
            # say they are not included rather than a bare AttributeError.
            kind = type(self).__name__
            raise not_included(kind, name, f"{kind!r} object has no attribute {name!r}")

    @abstractmethod
    def _capture_uncaught(self, error: BaseException) -> None:
        """Called by the exception hooks, on whatever thread the error ended."""

    # -- lifecycle ------------------------------------------------------------------------

    def stats(self) -> Stats:
        """Delivery counters: sent, queued, in flight, retried, dropped by reason."""
        return self._delivery_stats()

    def _begin_shutdown(self) -> bool:
        """Mark the client closed; False when it already was (shutdown is idempotent)."""
        if self._closed:
            return False
        self._closed = True
        self._auto_events.disable()
        process_end.forget(self)
        return True

    @property
    def exit_patience(self) -> float:
        """Seconds delivery may take when the process ends: ``shutdown_timeout``."""
        return self._config.shutdown_timeout

    @abstractmethod
    def end_of_process(self) -> None:
        """The process is ending (``trodo._core.process_end``, on any thread): deliver
        what is queued within ``shutdown_timeout``, report the rest, close."""

    def _shutdown_timeout(self, timeout: float | None) -> float:
        return self._config.shutdown_timeout if timeout is None else timeout

    def _after_fork_in_child(self) -> None:
        """Give a forked child (gunicorn, celery prefork) a working client of its own.

        Locks another thread held at the fork are replaced, the connection
        pool is new, and the queue starts empty: the parent sends its own.
        """
        self._contexts_lock = threading.Lock()
        for context in self._contexts.values():
            after_fork_in_child(context)
        for part in self._parts:
            part.after_fork_in_child()


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
