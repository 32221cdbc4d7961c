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
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

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
            delay = self.next_delay(answer, tries, deadline)
            if delay is None:
                return answer, value
            self._sleep(delay)
            self.count_retry()

    def next_delay(self, answer: Answer, tries: int, deadline: float) -> float | None:
        """After try number ``tries`` got ``answer``: seconds to wait before trying
        again, or None to stop with this answer (the retry loops of both clients)."""
        if answer.outcome is not Outcome.RETRY or tries > self._retries:
            return None
        delay = backoff_delay(tries, self._jitter(), retry_after=answer.retry_after)
        if self._clock() + delay >= deadline:
            return None
        return delay

    def count_retry(self) -> None:
        """One more request sent again."""
        with self._lock:
            self.retried += 1


Attempt = Callable[[], tuple[Answer, Any]]
"""One try of a request on the caller's thread: its answer and the value it carries."""

_S = TypeVar("_S")
Flow = Generator[tuple[_S, float], tuple[Answer, Any], tuple[Answer, Any]]
"""A sending flow without I/O: it yields ``(attempt, deadline)`` steps, its
driver runs each with retries and sends back ``(answer, value)``; it returns
the final ``(answer, value)``. The sync and async senders share every flow."""


def drive(flow: Flow[Attempt], run: Callable[[Attempt, float], tuple[Answer, Any]]) -> Any:
    """Run ``flow`` on this thread, each step through ``run`` (``Retrier.run``)."""
    try:
        step = next(flow)
        while True:
            step = flow.send(run(*step))
    except StopIteration as done:
        return done.value


class Report(Protocol):
    """How a flow tells what went wrong: never by raising."""

    def refused(self) -> Answer:
        """Report a send after shutdown; return its answer."""
        ...

    def failed(self, answer: Answer) -> bool:
        """Whether ``answer`` is a failure, reporting it if so."""
        ...


class RequestReport:
    """Identify, reset, wallet address: failures are reported as that operation."""

    def __init__(self, reporter: Reporter, operation: str) -> None:
        self._reporter = reporter
        self._operation = operation

    def refused(self) -> Answer:
        answer = Answer(Outcome.REJECTED, detail="the client was shut down")
        self._reporter.answer_failed(self._operation, answer)
        return answer

    def failed(self, answer: Answer) -> bool:
        if answer.outcome is Outcome.OK:
            return False
        self._reporter.answer_failed(self._operation, answer)
        return True


class EventReport:
    """One event sent on its own: failures are reported with the event."""

    def __init__(self, reporter: Reporter, record: EventRecord) -> None:
        self._reporter = reporter
        self._record = record

    def refused(self) -> Answer:
        detail = "tracked after shutdown()"
        self._reporter.events_failed(DropReason.SHUTDOWN, detail, [self._record])
        return Answer(Outcome.REJECTED, detail=detail)

    def failed(self, answer: Answer) -> bool:
        if answer.outcome is Outcome.OK:
            return False
        self._reporter.events_failed(REASONS[answer.outcome], answer.detail, [self._record])
        return True


class RequestsBase(ABC, Generic[_S]):
    """What the sync and async request senders share: the flow, retries, reporting.

    ``_S`` is the sender's kind of attempt (a function, or a coroutine function).
    """

    def __init__(self, retrier: Retrier, reporter: Reporter) -> None:
        self.retrier = retrier
        self.reporter = reporter
        self.closed = False

    @abstractmethod
    def registration(self, session: Session) -> _S:
        """The attempt that registers ``session`` (once, whatever the callers)."""

    def flow(self, report: Report, session: Session | None, call: _S) -> Flow[_S]:
        """Register ``session`` (unless None) first, then ``call``, within one deadline.

        After shutdown nothing is sent. Failures go to ``report``, never raised;
        the value is None unless ``call`` succeeded.
        """
        if self.closed:
            return report.refused(), None
        deadline = self.retrier.deadline()
        if session is not None:
            answer, _ = yield self.registration(session), deadline
            if report.failed(answer):
                return answer, None
        answer, value = yield call, deadline
        return answer, None if report.failed(answer) else value


_R = TypeVar("_R", bound=RequestsBase[Any])


class Requests(RequestsBase[Attempt]):
    """Requests that need an answer on the caller's thread, session registered first."""

    def __init__(self, transport: Transport, retrier: Retrier, reporter: Reporter) -> None:
        super().__init__(retrier, reporter)
        self.transport = transport

    def registration(self, session: Session) -> Attempt:
        return lambda: (session.ensure_registered(self.transport.register_session), None)

    def send(
        self, operation: str, session: Session | None, call: Callable[[], tuple[Answer, _T]]
    ) -> tuple[Answer, _T | None]:
        """Register ``session`` (unless None) first, then run ``call`` with retries.

        Failures are reported, never raised.
        """
        flow = self.flow(RequestReport(self.reporter, operation), session, call)
        answer, value = drive(flow, self.retrier.run)
        return answer, value


class DirectDeliveryBase(ABC, Generic[_R]):
    """Counters and the flow of sending each event on its own (sync and async)."""

    def __init__(self, requests: _R) -> None:
        self._requests = requests
        self._lock = threading.Lock()
        self._sent = 0
        self._attempts = 0

    def _flow(self, record: EventRecord) -> Flow[Any]:
        requests = self._requests
        report = EventReport(requests.reporter, record)
        return requests.flow(report, record.session, self._attempt(record))

    @abstractmethod
    def _attempt(self, record: EventRecord) -> Any:
        """One try at sending ``record``, counted."""

    def _count_attempt(self) -> None:
        with self._lock:
            self._attempts += 1

    def _delivered(self, answer: Answer) -> None:
        if answer.outcome is Outcome.OK:
            with self._lock:
                self._sent += 1

    def after_fork_in_child(self) -> None:
        """A fork may have copied the lock while another thread held it.

        The child's stats count its own delivery, as with batching on.
        """
        self._lock = threading.Lock()
        self._sent = self._attempts = 0

    def stats(self) -> Stats:
        """Counters of this delivery."""
        with self._lock:
            sent, attempts = self._sent, self._attempts
        requests = self._requests
        return Stats(
            sent=sent,
            requests=attempts,
            retried=requests.retrier.retried,
            dropped=requests.reporter.dropped(),
        )


class DirectDelivery(DirectDeliveryBase[Requests]):
    """Batching off: each event is one request on the caller's thread."""

    def submit(self, record: EventRecord) -> None:
        """Send one event now; a failure is reported, never raised."""
        answer, _ = drive(self._flow(record), self._requests.retrier.run)
        self._delivered(answer)

    def _attempt(self, record: EventRecord) -> Attempt:
        def attempt() -> tuple[Answer, None]:
            self._count_attempt()
            return self._requests.transport.send_event(record), None

        return attempt

    def flush(self, timeout: float | None = None) -> bool:
        """Nothing waits when batching is off: every event was sent or reported."""
        return True

    def shutdown(self, timeout: float | None = None) -> None:
        """Refuse events from now on."""
        self._requests.closed = True
