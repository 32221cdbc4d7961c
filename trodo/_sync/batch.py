"""Batching on, threaded: a background thread drives the delivery policy.

The application's thread only validates, stamps and queues (``submit``); the
thread registers new sessions, posts /api/events/bulk, and feeds every answer
back to the policy (``trodo._core.policy``), which decides what happens next.
No lock is held across I/O; nothing here raises into the application.

No thread is started, joined or waited for with the lock held either: under
gevent or eventlet, ``Thread.start()`` and every wait yield to other green
threads, and one that then needs the lock would block the only OS thread for
good (``gunicorn -k gevent --preload`` hung on its first event so). Each wait is
on an event made by the waiter, from ``threading`` as it is then, so a client
made before monkey patching waits the patched way once patched.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from trodo._core import process_end
from trodo._core.answers import DropReason
from trodo._core.batch_base import BatchDeliveryBase, Item, send_failed, write_outcome
from trodo._core.batches import Admission, Batch, Drop
from trodo._core.config import Config
from trodo._core.records import EventRecord
from trodo._core.write_results import WriteOutcome
from trodo._core.writes import WriteRecord
from trodo._sync.direct import Sender
from trodo._sync.sessions import threaded_session

logger = logging.getLogger("trodo")


class BatchDelivery(BatchDeliveryBase[Sender]):
    """Queue events and send them in bulk from one background thread."""

    def __init__(self, config: Config, sender: Sender) -> None:
        super().__init__(config, sender)
        self._fresh_primitives()

    def _fresh_primitives(self) -> None:
        """No thread yet, nobody waiting."""
        self._thread: threading.Thread | None = None
        self._starting = False
        # The sender's wake-up (made with the thread) and one event per waiting
        # flush()/shutdown(), set by the sender after each answer.
        self._wake: threading.Event | None = None
        self._waiters: list[threading.Event] = []

    # -- application side --------------------------------------------------------

    def submit(self, record: EventRecord) -> None:
        """Queue one event; returns at once, whatever the network is doing."""
        self._offer(record)

    def write(self, record: WriteRecord) -> WriteOutcome:
        """Queue one profile write, in order with the events; returns at once."""
        return write_outcome(self._offer(record))

    def _offer(self, record: Item) -> Admission:
        """Queue ``record``, then start or wake the sender if it should look (no
        lock held then), and report a refusal."""
        start, wake = False, None
        with self._lock:
            admission = self._admit(record)
            if admission.wake:
                start, wake = self._claim_start(), self._wake
        if start:
            self._start_thread()
        elif wake is not None:
            wake.set()
        if not admission.accepted or admission.report:
            self._report_refusal(admission, record)
        return admission

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before the call is delivered or given up."""
        with self._lock:
            ticket = self._policy.request_flush()
            if ticket.settled:
                return ticket.delivered_all
        self._wake_sender()
        self._wait_until(lambda: ticket.settled, self._patience(timeout))
        with self._lock:
            delivered = ticket.delivered_all
        self.report_unreported()
        return delivered

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
            settled = ticket.settled
        if not settled:
            self._wake_sender()
            self._wait_until(lambda: ticket.settled, self._patience(timeout))
        with self._lock:
            drops = self._policy.drain(DropReason.SHUTDOWN, "shutdown() timed out")
            self._stopping = True
            thread, wake = self._thread, self._wake
            waiters, self._waiters = self._waiters, []
        for event in (wake, *waiters):
            if event is not None:
                event.set()
        self._report(drops)
        self.report_unreported()
        if thread is not None and thread is not threading.current_thread():
            # A request still under way belongs to events just given up: end it.
            self._sender.transport.cancel()
            thread.join(timeout=1.0)

    def _claim_start(self) -> bool:
        """With the lock held: whether the caller is the one to start the sender."""
        if self._thread is not None or self._starting or self._stopping:
            return False
        self._starting = True
        return True

    def _wake_sender(self) -> None:
        """Start the sender if none runs yet, else wake it."""
        with self._lock:
            start, wake = self._claim_start(), self._wake
        if start:
            self._start_thread()
        elif wake is not None:
            wake.set()

    def _wait_until(self, settled: Callable[[], bool], timeout: float | None) -> None:
        """Wait until ``settled()`` (read with the lock held), or ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            event = threading.Event()
            with self._lock:
                if settled():
                    return
                self._waiters.append(event)
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                with self._lock:
                    if event in self._waiters:
                        self._waiters.remove(event)
                return
            event.wait(remaining)

    # -- the background thread ---------------------------------------------------------

    def _start_thread(self) -> None:
        # Only the caller that claimed the start gets here, with no lock held.
        wake = threading.Event()
        thread = threading.Thread(target=self._run, args=(wake,), name="trodo-sender", daemon=True)
        with self._lock:
            self._wake, self._thread, self._starting = wake, thread, False
        thread.start()
        # A pool process (multiprocessing, Celery prefork) hooks its own exits now.
        process_end.hook_runtime()

    def _run(self, wake: threading.Event) -> None:
        policy = self._policy
        while True:
            # Cleared before reading the policy: a wake after the read is not lost.
            wake.clear()
            with self._lock:
                now = time.monotonic()
                batch = policy.next_batch(now)
                stopping = self._stopping
                wait = policy.next_wakeup(now) if batch is None else None
            if batch is None:
                if stopping:
                    return
                wake.wait(wait)
                continue
            drops = self._attempt(batch)
            with self._lock:
                waiters, self._waiters = self._waiters, []
            self._report(drops)
            # Waiters wake only once the drops are reported: when flush() returns,
            # on_error has heard of everything it gave up.
            for event in waiters:
                event.set()

    def _attempt(self, batch: Batch[Item]) -> list[Drop[Item]]:
        """One attempt (``_attempt_flow``): its registrations and post, on this thread."""
        transport = self._sender.transport
        flow = self._attempt_flow(batch)
        try:
            step = next(flow)
            while True:
                try:
                    if isinstance(step, list):
                        answer = transport.send_events(step)
                    elif isinstance(step, WriteRecord):
                        answer = transport.send_write(step)[0]
                    else:
                        answer = threaded_session(step).ensure_registered(
                            transport.register_session
                        )
                except Exception as exc:
                    answer = send_failed(exc)
                step = flow.send(answer)
        except StopIteration as done:
            drops: list[Drop[Item]] = done.value
            return drops
