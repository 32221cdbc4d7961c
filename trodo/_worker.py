"""Batching on: a background thread drives the delivery policy.

The application's thread only validates, stamps and queues (``submit``); this
thread registers new sessions, posts /api/events/bulk, and feeds every answer
back to the policy, which decides what happens next. No lock is held across
I/O; nothing here raises into the application.
"""

from __future__ import annotations

import atexit
import logging
import random
import sys
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from trodo._config import Config
from trodo._delivery import Requests, RequestsBase
from trodo._errors import Stats
from trodo._events import EventRecord
from trodo._policy import (
    Admission,
    Answer,
    Batch,
    DeliveryPolicy,
    Drop,
    DropReason,
    Outcome,
    PolicyConfig,
)
from trodo._sessions import Session

logger = logging.getLogger("trodo")
_live: weakref.WeakSet[BatchDelivery] = weakref.WeakSet()
_R = TypeVar("_R", bound=RequestsBase[Any])


class BatchDeliveryBase(ABC, Generic[_R]):
    """What the threaded and asyncio drivers of the delivery policy share.

    Each holds its policy under a ``threading.Lock`` taken only around policy
    calls (never across I/O), so events can be queued from any thread.
    """

    def __init__(self, config: Config, requests: _R) -> None:
        self._config = config
        self._requests = requests
        self._policy_config = PolicyConfig(
            batch_size=config.batch_size,
            flush_interval=config.batch_flush_interval,
            # batch_size is the trigger; a request may always carry that many.
            max_request_events=max(config.max_request_events, config.batch_size),
            max_request_bytes=config.max_request_bytes,
            max_queue_size=config.max_queue_size,
            max_queue_bytes=config.max_queue_bytes,
            retry_budget=config.retry_budget,
        )
        self._start_fresh()

    @abstractmethod
    def _start_fresh(self) -> None:
        """Empty queue, new lock, nothing sent yet: at creation and in a forked child.

        Drivers extend it with their own primitives.
        """
        self._policy: DeliveryPolicy[EventRecord] = DeliveryPolicy(
            self._policy_config, random.random
        )
        self._lock = threading.Lock()
        self._stopping = False
        # Attempts that stopped at a failed session registration: the policy
        # counts them as requests, but no event request reached the server.
        self._unposted = 0

    def after_fork_in_child(self) -> None:
        """The parent's queue stays the parent's to send: the child starts empty.

        A client shut down before the fork stays shut down in the child.
        """
        closed = self._policy.closed
        self._start_fresh()
        if closed:
            self._policy.close()
            self._stopping = True

    def _admit(self, record: EventRecord) -> Admission:
        """Offer ``record`` to the policy (with the lock held)."""
        return self._policy.add(record, record.size, time.monotonic())

    def _report_refusal(self, admission: Admission) -> None:
        """Say the first refusal of an episode (the policy counts each event)."""
        if admission.accepted or not admission.first_of_episode:
            return
        if admission.reason is DropReason.SHUTDOWN:
            detail = "tracked after shutdown(); this and later events are dropped"
        else:
            detail = (
                f"the queue is full (max_queue_size={self._config.max_queue_size}, "
                f"max_queue_bytes={self._config.max_queue_bytes}); new events are dropped "
                "until it drains to half"
            )
        reason = admission.reason or DropReason.QUEUE_FULL
        self._requests.reporter.events_failed(reason, detail, [], count=1)

    def _report(self, drops: list[Drop[EventRecord]]) -> None:
        for drop in drops:
            self._requests.reporter.events_failed(drop.reason, drop.detail, drop.items)

    def _unposted_attempt(self, answer: Answer) -> Answer:
        """A batch stopped at a failed session registration (only the sender calls it)."""
        self._unposted += 1
        return answer

    def stats(self) -> Stats:
        """The policy's counters."""
        with self._lock:
            s = self._policy.stats()
        return Stats(
            sent=s.sent,
            queued=s.queued,
            in_flight=s.in_flight,
            retried=s.retries,
            requests=s.requests - self._unposted,
            dropped={str(reason): n for reason, n in s.dropped.items() if n},
        )


def unregistered_sessions(batch: Batch[EventRecord]) -> Iterator[Session]:
    """The sessions a batch needs registered first, each checked as its turn comes."""
    for record in batch.items:
        if not record.session.registered:
            yield record.session


def send_failed(exc: Exception) -> Answer:
    """A bug while sending must not kill the sender and strand the queue: log, reject."""
    logger.exception("trodo: unexpected error while sending a batch")
    return Answer(Outcome.REJECTED, detail=f"{type(exc).__name__}: {exc}")


class BatchDelivery(BatchDeliveryBase[Requests]):
    """Queue events and send them in bulk from one background thread."""

    def __init__(self, config: Config, requests: Requests) -> None:
        super().__init__(config, requests)
        _live.add(self)

    def _start_fresh(self) -> None:
        """Empty queue, new locks, no thread yet: at creation and in a forked child."""
        super()._start_fresh()
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
        transport = self._requests.transport
        try:
            for session in unregistered_sessions(batch):
                answer = session.ensure_registered(transport.register_session)
                if answer.outcome is not Outcome.OK:
                    return self._unposted_attempt(answer)
            return transport.send_events(batch.items)
        except Exception as exc:
            return send_failed(exc)


def _shutdown_all() -> None:
    """At interpreter exit: deliver what is queued, each client within its shutdown_timeout."""
    for delivery in list(_live):
        try:
            delivery.shutdown(delivery._config.shutdown_timeout)
        except Exception:  # exit must go on whatever happens here
            logger.exception("trodo: error while flushing at exit")


def _deliver_when_a_multiprocessing_child_ends() -> None:
    """multiprocessing's children leave through os._exit, which skips atexit;
    their own exit hook runs ``Finalize`` callbacks instead."""
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None and multiprocessing.parent_process() is not None:
        multiprocessing.util.Finalize(None, _shutdown_all, exitpriority=10)


atexit.register(_shutdown_all)
