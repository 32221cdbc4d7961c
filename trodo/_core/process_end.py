"""The end of the process: deliver what is queued first, and never change how it ends.

Processes end in more ways than ``atexit`` sees. Each way and what this module does:

- **Normal exit** (the script returns, ``sys.exit``, gunicorn's workers): an
  ``atexit`` hook delivers, each client within its ``shutdown_timeout``.
- **SIGTERM with no handler** (a plain script, ``python app.py``; Python's default is
  to die at once, skipping ``atexit``): the SDK's handler delivers, puts the default
  action back and raises the signal again, so the process still dies by SIGTERM
  (exit status -15), only after delivering.
- **SIGTERM with a handler of the app or the framework** (uvicorn, gunicorn,
  Celery): that handler runs, at once and as before, and the SDK's is out of the way
  for any later SIGTERM; the ``atexit`` hook delivers. uvicorn, once shut down, raises
  SIGTERM again under the default action, which would kill the process before
  ``atexit``: under uvicorn's handler only, the SDK holds SIGTERM blocked on the main
  thread from the first SIGTERM to the end of its ``atexit`` hook; the re-raised
  signal then ends the process exactly as it would have, after delivery. (A thread of
  the SDK keeps SIGTERM deliverable meanwhile, for uvicorn's loop to see a second.)
  Elsewhere nothing is blocked: a blocked SIGTERM would not wake a main thread that
  sleeps, and a second SIGTERM must reach the app's handler at once.
- **A second SIGTERM** while the SDK delivers: the handler that was there before the
  SDK's (or the default action) has been put back, so it acts at once.
- **Pool processes of ``multiprocessing`` and billiard (Celery prefork)** leave through
  ``os._exit``: their exit hooks (``Finalize``, Celery's ``worker_process_shutdown``)
  deliver. Celery and billiard are used only when the app already imported them.
- **SIGKILL, ``os._exit`` elsewhere, a crash of the interpreter**: nothing can run;
  what is queued then is lost without a report (the README says so).

A client takes part through :func:`watch` and the ``end_of_process`` method it has
(see :class:`Ending`); ``handle_sigterm=False`` leaves SIGTERM alone.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
import weakref
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol

logger = logging.getLogger("trodo")

_Handler = Callable[[int, FrameType | None], Any] | int | None


class Ending(Protocol):
    """A client, as the end of the process sees it."""

    def end_of_process(self) -> None:
        """Deliver what is queued within the client's shutdown_timeout, report the rest."""
        ...

    @property
    def exit_patience(self) -> float:
        """Seconds ``end_of_process`` may take (its shutdown_timeout)."""
        ...


class _State:
    """This process's part in its own end (one instance, guarded by ``lock``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # never held across a call out
        # Per process: a forked child hooks its own runtime (its Finalize registry is new).
        self.hooked_pid: int | None = None
        self.previous: _Handler = None  # the SIGTERM handler the SDK's replaced, if installed
        self.held = False  # SIGTERM blocked on the main thread until the exit hook delivered

    def after_fork_in_child(self) -> None:
        """A fork may have copied the lock held; the child hooks its own runtime.
        (``held`` stays: the child's thread inherited the signal mask.)"""
        self.lock = threading.Lock()
        self.hooked_pid = None


# Clients with a queue are kept until shut down: one the app let go of still has
# its sender and its queue, which the end of the process must deliver. The others
# (batching off) hold nothing to deliver and may go when the app lets them go.
_queueing: set[Any] = set()
_clients: weakref.WeakSet[Any] = weakref.WeakSet()
_state = _State()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_state.after_fork_in_child)


def watch(client: Ending, *, queueing: bool, handle_sigterm: bool) -> None:
    """Deliver ``client``'s queue however the process ends (call once the client is live)."""
    _clients.add(client)
    if queueing:
        with _state.lock:
            _queueing.add(client)
    hook_runtime()
    if handle_sigterm:
        _take_over_sigterm()


def forget(client: Ending) -> None:
    """``client`` was shut down: nothing left for the end of the process."""
    _clients.discard(client)
    with _state.lock:
        _queueing.discard(client)


def hook_runtime() -> None:
    """Hook the exits of this process's runtime that skip ``atexit`` (once per process).

    Called when a client goes live and again when its sender starts: a pool process
    made after the client (Celery prefork) hooks its own exits at its first event.
    """
    with _state.lock:
        if _state.hooked_pid == os.getpid():
            return
        _state.hooked_pid = os.getpid()
    _hook_multiprocessing_child()
    _hook_celery_pool_process()


def deliver_all() -> None:
    """Every watched client delivers (each within its shutdown_timeout); never raises."""
    for client in list(_clients):
        try:
            client.end_of_process()
        except Exception:  # the process is ending: that must go on whatever happens here
            logger.exception("trodo: error while delivering at the end of the process")


# -- normal exit -----------------------------------------------------------------------------


def _at_exit() -> None:
    deliver_all()
    _release_sigterm()


atexit.register(_at_exit)


# -- pool processes that leave through os._exit ------------------------------------------------


def _hook_multiprocessing_child() -> None:
    """multiprocessing's and billiard's processes run their ``Finalize`` callbacks
    (not ``atexit``) when their target returns, then leave through ``os._exit``."""
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None and multiprocessing.parent_process() is not None:
        multiprocessing.util.Finalize(None, deliver_all, exitpriority=10)
    billiard, util = sys.modules.get("billiard.process"), sys.modules.get("billiard.util")
    if billiard and util and billiard.current_process().name != "MainProcess":
        util.Finalize(None, deliver_all, exitpriority=10)


def _hook_celery_pool_process() -> None:
    """Celery's prefork pool processes leave through ``os._exit`` right after sending
    ``worker_process_shutdown``: deliver in that signal. Connected in the process
    that makes the client; the pool processes forked from it inherit the receiver."""
    signals = sys.modules.get("celery.signals")
    if signals is None:
        return
    signals.worker_process_shutdown.connect(_on_worker_process_shutdown, weak=False)


def _on_worker_process_shutdown(*args: object, **kwargs: object) -> None:
    deliver_all()


# -- SIGTERM ---------------------------------------------------------------------------------


def _take_over_sigterm() -> None:
    """Install the SDK's SIGTERM handler where that is safe: on the main thread, over
    the default action or a Python handler (which it then calls), never over SIG_IGN
    or a handler installed outside Python."""
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        return
    try:
        current = signal.getsignal(signal.SIGTERM)
        if current is _on_sigterm or current is signal.SIG_IGN or current is None:
            return
        with _state.lock:
            _state.previous = current
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # not the main interpreter, or no signals here
        return


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    with _state.lock:
        previous, _state.previous = _state.previous, None
    if previous is None:  # not ours any more: nothing to chain to
        previous = signal.SIG_DFL
    # From now on a second SIGTERM does what it would have done without the SDK.
    signal.signal(signum, previous)
    if previous is signal.SIG_DFL:
        _deliver_bounded()
        signal.raise_signal(signum)  # the default action: the process dies by SIGTERM
        return
    if callable(previous):
        if _raises_sigterm_again(previous):
            _hold_sigterm()
        previous(signum, frame)


def _deliver_bounded() -> None:
    """Deliver from a thread of its own, waiting at most the clients' patience.

    The handler may have interrupted the main thread inside the SDK (with a lock
    held, or in the middle of a print): delivering right here could then wait for
    itself. The thread is started with no lock of the SDK held."""
    clients = list(_clients)
    if not clients:
        return
    # Each shutdown() reports what it gave up right after its shutdown_timeout; the
    # margin is for those reports (a process killed in the middle says nothing).
    patience = sum(client.exit_patience + 2.0 for client in clients)
    worker = threading.Thread(target=deliver_all, name="trodo-exit", daemon=True)
    worker.start()
    worker.join(patience)


# Servers whose SIGTERM handler starts a graceful shutdown at the end of which they
# raise SIGTERM again under the default action (uvicorn since 0.29), killing the
# process before atexit. Their main thread runs an event loop that looks at signals
# every few milliseconds, so holding SIGTERM there delays nothing of theirs.
_RAISE_AGAIN = ("uvicorn.",)


def _raises_sigterm_again(handler: Callable[..., Any]) -> bool:
    return str(getattr(handler, "__module__", "")).startswith(_RAISE_AGAIN)


def _hold_sigterm() -> None:
    """Keep a SIGTERM raised again by the framework from killing the process before
    the exit hook has delivered (uvicorn re-raises it once shut down)."""
    if not _queueing or not hasattr(signal, "pthread_sigmask") or _green_threads():
        return
    # A thread that accepts SIGTERM, started before the mask, so that a SIGTERM from
    # outside still acts at once while the main thread holds its own.
    threading.Thread(target=threading.Event().wait, name="trodo-signals", daemon=True).start()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    with _state.lock:
        _state.held = True


def _release_sigterm() -> None:
    """After delivery: a SIGTERM held back now acts (usually: the process dies by it)."""
    with _state.lock:
        held, _state.held = _state.held, False
    if held and threading.current_thread() is threading.main_thread():
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _green_threads() -> bool:
    """Whether gevent or eventlet patched threading (one OS thread: no mask games)."""
    gevent = sys.modules.get("gevent.monkey")
    if gevent is not None and gevent.is_module_patched("threading"):
        return True
    eventlet = sys.modules.get("eventlet.patcher")
    return bool(eventlet is not None and eventlet.is_monkey_patched("thread"))
