"""Batching on, threaded: a background thread drives the delivery policy.

The application's thread only validates, stamps and queues (``submit``); the
thread registers new sessions, posts /api/events/bulk, and feeds every answer
back to the policy (``trodo._core.policy``), which decides what happens next.
No lock is held across I/O; nothing here raises into the application.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import time
import weakref

from trodo._core.answers import Answer, DropReason, Outcome
from trodo._core.batch_base import BatchDeliveryBase, send_failed, unregistered_sessions
from trodo._core.batches import Batch
from trodo._core.config import Config
from trodo._core.records import EventRecord
from trodo._sync.direct import Sender
from trodo._sync.sessions import threaded_session

logger = logging.getLogger("trodo")
_live: weakref.WeakSet[BatchDelivery] = weakref.WeakSet()


class BatchDelivery(BatchDeliveryBase[Sender]):
    """Queue events and send them in bulk from one background thread."""

    def __init__(self, config: Config, sender: Sender) -> None:
        super().__init__(config, sender)
        self._fresh_primitives()
        _live.add(self)

    def _fresh_primitives(self) -> None:
        """New conditions on the new lock, no thread yet."""
        self._wake = threading.Condition(self._lock)
        self._settled = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    # -- application side --------------------------------------------------------

    def submit(self, record: EventRecord) -> None:
        """Queue one event; returns at once, whatever the network is doing."""
        with self._lock:
            admission = self._admit(record)
            if admission.wake:
                if self._thread is None:
                    self._start_thread()
                self._wake.notify()
        if not admission.accepted:
            self._report_refusal(admission)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before the call is delivered or given up."""
        with self._lock:
            ticket = self._policy.request_flush()
            if not ticket.settled:
                if self._thread is None:
                    self._start_thread()
                self._wake.notify()
                self._settled.wait_for(lambda: ticket.settled, self._patience(timeout))
            return ticket.delivered_all

    def _patience(self, timeout: float | None) -> float | None:
        """How long a flush may wait: never on the sender thread (an on_error
        callback calling flush() or shutdown()), which would wait for itself."""
        if self._thread is not threading.current_thread():
            return timeout
        logger.warning("trodo: flush()/shutdown() called from on_error cannot wait; not waiting")
        return 0.0

    def shutdown(self, timeout: float | None = None) -> None:
        """Send what is queued (waiting up to ``timeout``), then stop the thread.

        What is still undelivered when the time is up is given up as
        ``shutdown`` and reported.
        """
        with self._lock:
            ticket = self._policy.close()
            if not ticket.settled and self._thread is None:
                self._start_thread()
            self._wake.notify()
            self._settled.wait_for(lambda: ticket.settled, self._patience(timeout))
            drops = self._policy.drain(DropReason.SHUTDOWN, "shutdown() timed out")
            self._stopping = True
            self._wake.notify()
            thread = self._thread
        self._report(drops)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)
        _live.discard(self)

    # -- the background thread ---------------------------------------------------------

    def _start_thread(self) -> None:
        # Called with the lock held.
        self._thread = threading.Thread(target=self._run, name="trodo-sender", daemon=True)
        self._thread.start()
        _deliver_when_a_multiprocessing_child_ends()

    def _run(self) -> None:
        policy = self._policy
        while True:
            with self._lock:
                while True:
                    now = time.monotonic()
                    batch = policy.next_batch(now)
                    if batch is not None:
                        break
                    if self._stopping:
                        return
                    self._wake.wait(policy.next_wakeup(now))
            answer = self._send(batch)
            with self._lock:
                drops = policy.on_answer(batch, answer, time.monotonic())
            self._report(drops)
            # Waiters wake only once the drops are reported: when flush() returns,
            # on_error has heard of everything it gave up.
            with self._lock:
                self._settled.notify_all()

    def _send(self, batch: Batch[EventRecord]) -> Answer:
        """One attempt: register the batch's new sessions, then post the events."""
        transport = self._sender.transport
        try:
            for session in unregistered_sessions(batch):
                answer = threaded_session(session).ensure_registered(transport.register_session)
                if answer.outcome is not Outcome.OK:
                    return self._unposted_attempt(answer)
            return transport.send_events(batch.items)
        except Exception as exc:
            return send_failed(exc)


def _shutdown_all() -> None:
    """At interpreter exit: deliver what is queued, each client within its shutdown_timeout."""
    for delivery in list(_live):
        try:
            delivery.shutdown(delivery.config.shutdown_timeout)
        except Exception:  # exit must go on whatever happens here
            logger.exception("trodo: error while flushing at exit")


def _deliver_when_a_multiprocessing_child_ends() -> None:
    """multiprocessing's children leave through os._exit, which skips atexit;
    their own exit hook runs ``Finalize`` callbacks instead."""
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None and multiprocessing.parent_process() is not None:
        multiprocessing.util.Finalize(None, _shutdown_all, exitpriority=10)


atexit.register(_shutdown_all)
