"""Sending on the caller's thread: events when batching is off, and the
requests that need their answer (registration, identify, reset, wallet).

Retries follow the delivery policy's backoff and stop when ``timeout``
seconds have passed since the call began, so a call never takes much more
than ``timeout`` in all, and a fault never raises into the caller.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from trodo._errors import Stats
from trodo._events import EventRecord
from trodo._policy import Answer, DropReason, Outcome, backoff_delay
from trodo._reporting import REASONS, Reporter
from trodo._sessions import Session

if TYPE_CHECKING:
    from trodo._transport import Transport

_T = TypeVar("_T")


class Retrier:
    """Runs one request again after transient failures, within a deadline."""

    def __init__(
        self,
        retries: int,
        timeout: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._retries = retries
        self._timeout = timeout
        self._sleep, self._clock, self._jitter = sleep, clock, jitter
        self._lock = threading.Lock()
        self.retried = 0

    def after_fork_in_child(self) -> None:
        """A fork may have copied the lock while another thread held it.

        The child counts its own retries, as it sends its own events.
        """
        self._lock = threading.Lock()
        self.retried = 0

    def deadline(self) -> float:
        """When a call beginning now must be done."""
        return self._clock() + self._timeout

    def run(self, attempt: Callable[[], tuple[Answer, _T]], deadline: float) -> tuple[Answer, _T]:
        """Call ``attempt`` until it is not a transient failure, or retries or time run out."""
        tries = 0
        while True:
            answer, value = attempt()
            tries += 1
            if answer.outcome is not Outcome.RETRY or tries > self._retries:
                return answer, value
            delay = backoff_delay(tries, self._jitter(), retry_after=answer.retry_after)
            if self._clock() + delay >= deadline:
                return answer, value
            self._sleep(delay)
            with self._lock:
                self.retried += 1


class Requests:
    """Requests that need an answer on the caller's thread, session registered first."""

    def __init__(self, transport: Transport, retrier: Retrier, reporter: Reporter) -> None:
        self.transport = transport
        self.retrier = retrier
        self.reporter = reporter
        self.closed = False

    def register(self, session: Session, deadline: float) -> Answer:
        """Make sure Trodo knows ``session`` (once, whatever the threads)."""

        def attempt() -> tuple[Answer, None]:
            return session.ensure_registered(self.transport.register_session), None

        return self.retrier.run(attempt, deadline)[0]

    def send(
        self, operation: str, session: Session | None, call: Callable[[], tuple[Answer, _T]]
    ) -> tuple[Answer, _T | None]:
        """Register ``session`` (unless None) first, then run ``call`` with retries.

        Failures are reported, never raised.
        """
        if self.closed:
            answer = Answer(Outcome.REJECTED, detail="the client was shut down")
            self.reporter.answer_failed(operation, answer)
            return answer, None
        deadline = self.retrier.deadline()
        if session is not None:
            answer = self.register(session, deadline)
            if answer.outcome is not Outcome.OK:
                self.reporter.answer_failed(operation, answer)
                return answer, None
        answer, value = self.retrier.run(call, deadline)
        if answer.outcome is not Outcome.OK:
            self.reporter.answer_failed(operation, answer)
            return answer, None
        return answer, value


class DirectDelivery:
    """Batching off: each event is one request on the caller's thread."""

    def __init__(self, requests: Requests) -> None:
        self._requests = requests
        self._lock = threading.Lock()
        self._sent = 0
        self._attempts = 0

    def submit(self, record: EventRecord) -> None:
        """Send one event now; a failure is reported, never raised."""
        requests = self._requests
        if requests.closed:
            requests.reporter.events_failed(
                DropReason.SHUTDOWN, "tracked after shutdown()", [record]
            )
            return
        deadline = requests.retrier.deadline()
        answer = requests.register(record.session, deadline)
        if answer.outcome is Outcome.OK:
            answer = requests.retrier.run(self._attempt(record), deadline)[0]
        if answer.outcome is Outcome.OK:
            with self._lock:
                self._sent += 1
        else:
            requests.reporter.events_failed(REASONS[answer.outcome], answer.detail, [record])

    def _attempt(self, record: EventRecord) -> Callable[[], tuple[Answer, None]]:
        def attempt() -> tuple[Answer, None]:
            with self._lock:
                self._attempts += 1
            return self._requests.transport.send_event(record), None

        return attempt

    def after_fork_in_child(self) -> None:
        """A fork may have copied the lock while another thread held it.

        The child's stats count its own delivery, as with batching on.
        """
        self._lock = threading.Lock()
        self._sent = self._attempts = 0

    def flush(self, timeout: float | None = None) -> bool:
        """Nothing waits when batching is off: every event was sent or reported."""
        return True

    def shutdown(self, timeout: float | None = None) -> None:
        """Refuse events from now on."""
        self._requests.closed = True

    def stats(self) -> Stats:
        """Counters of this delivery."""
        with self._lock:
            sent, attempts = self._sent, self._attempts
        return Stats(
            sent=sent,
            requests=attempts,
            retried=self._requests.retrier.retried,
            dropped=self._requests.reporter.dropped(),
        )
