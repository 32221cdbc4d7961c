"""Uncaught exceptions as ``server_error`` events (auto events)."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from types import TracebackType

logger = logging.getLogger("trodo")

_SysHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]
_ThreadHook = Callable[[threading.ExceptHookArgs], object]


class AutoEvents:
    """Hooks ``sys.excepthook`` and ``threading.excepthook`` while enabled.

    Each uncaught exception goes to ``capture`` first, then to the hook that
    was there before, so other tools (and the default traceback print) still
    see it. Disabling puts back exactly the hooks that were there.
    """

    def __init__(self, capture: Callable[[BaseException], None]) -> None:
        self._capture = capture
        self._lock = threading.Lock()
        self._saved: tuple[_SysHook, _ThreadHook] | None = None

    @property
    def enabled(self) -> bool:
        """Whether the hooks are installed."""
        return self._saved is not None

    def enable(self) -> None:
        """Install the hooks (once)."""
        with self._lock:
            if self._saved is None:
                self._saved = (sys.excepthook, threading.excepthook)
                sys.excepthook = self._sys_hook
                threading.excepthook = self._thread_hook

    def disable(self) -> None:
        """Put back the hooks that were there before :meth:`enable`."""
        with self._lock:
            if self._saved is not None:
                sys.excepthook, threading.excepthook = self._saved
                self._saved = None

    def _report(self, error: BaseException | None) -> None:
        if error is None or isinstance(error, KeyboardInterrupt | SystemExit):
            return
        try:
            self._capture(error)
        except Exception:  # a failing capture must not hide the original error
            logger.exception("trodo: could not capture an uncaught exception")

    def _sys_hook(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        self._report(error)
        previous = self._saved[0] if self._saved else sys.__excepthook__
        previous(kind, error, tb)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        self._report(args.exc_value)
        previous = self._saved[1] if self._saved else threading.__excepthook__
        previous(args)
