"""Sending on the caller's thread or task: what the sync and async senders share.

A call that needs its answer (an operation, or an event when batching is
off) is a `Flow`: register the session first if needed, then the call, all
within one deadline, failures reported and never raised. The flow has no
I/O; ``trodo._sync.direct`` and ``trodo._async.direct`` drive it, retrying
as ``trodo._core.retry.call_retry_delay`` says, so a call never takes much
more than ``timeout`` in all.
"""

from __future__ import annotations

import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator
from typing import Any, Generic, Protocol, TypeVar

from trodo._core.answers import DROP_REASONS, Answer, DropReason, Outcome
from trodo._core.config import Config
from trodo._core.errors import Stats
from trodo._core.operations import Call
from trodo._core.records import EventRecord
from trodo._core.reporting import Reporter
from trodo._core.retry import call_retry_delay
from trodo._core.sessions import Session
from trodo._core.write_results import WriteOutcome, WriteStatus
from trodo._core.writes import WriteRecord

_T = TypeVar("_T")
_Record = TypeVar("_Record")


class Retrier:
    """Counts retries and decides them for one client's calls (the drivers wait)."""

    def __init__(
        self,
        retries: int,
        timeout: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._retries = retries
        self._timeout = timeout
        self._clock, self._jitter = clock, jitter
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

    def next_delay(self, answer: Answer, tries: int, deadline: float) -> float | None:
        """After try number ``tries`` got ``answer``: seconds to wait before trying
        again, or None to stop with this answer (``retry.call_retry_delay``)."""
        remaining = deadline - self._clock()
        return call_retry_delay(answer, tries, self._retries, self._jitter(), remaining)

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
            self._reporter.accepted()
            return False
        self._reporter.answer_failed(self._operation, answer)
        return True


class _RecordReport(ABC, Generic[_Record]):
    """One record (an event, a write) sent on its own: failures are reported with it."""

    _after_shutdown: str  # the detail of a send refused after shutdown

    def __init__(self, reporter: Reporter, record: _Record) -> None:
        self._reporter = reporter
        self._record = record

    def refused(self) -> Answer:
        detail = self._after_shutdown
        self._lost(DropReason.SHUTDOWN, detail)
        return Answer(Outcome.REJECTED, detail=detail)

    def failed(self, answer: Answer) -> bool:
        if answer.outcome is Outcome.OK:
            self._accepted()
            return False
        self._lost(DROP_REASONS[answer.outcome], answer.detail)
        return True

    @abstractmethod
    def _lost(self, reason: DropReason, detail: str) -> None:
        """Report the record given up."""

    def _accepted(self) -> None:
        """Trodo accepted it: an unauthorized episode, if any, is over."""
        self._reporter.accepted()


class EventReport(_RecordReport[EventRecord]):
    """One event sent on its own."""

    _after_shutdown = "tracked after shutdown()"

    def _lost(self, reason: DropReason, detail: str) -> None:
        self._reporter.events_failed(reason, detail, [self._record])


class WriteReport(_RecordReport[WriteRecord]):
    """A profile write sent on its own."""

    _after_shutdown = "written after shutdown()"

    def _lost(self, reason: DropReason, detail: str) -> None:
        self._reporter.writes_failed(reason, detail, [self._record])


class SenderBase(ABC, Generic[_S]):
    """What the sync and async request senders share: the flow, retries, reporting.

    ``_S`` is the sender's kind of attempt (a function, or a coroutine function).
    """

    def __init__(self, config: Config) -> None:
        self.retrier = Retrier(config.retries, config.timeout)
        self.reporter = Reporter(config.site_id, config.on_error)
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

    def operation_flow(self, call: Call, attempt: _S) -> Flow[_S]:
        """The flow of an operation: its session registered first if it says so."""
        operation = call.operation
        session = call.session if operation.registers_session else None
        return self.flow(RequestReport(self.reporter, operation.name), session, attempt)


_R = TypeVar("_R", bound=SenderBase[Any])


class DirectDeliveryBase(ABC, Generic[_R]):
    """Counters and the flow of sending each event on its own (sync and async)."""

    def __init__(self, sender: _R) -> None:
        self._sender = sender
        self._lock = threading.Lock()
        self._sent = 0
        self._attempts = 0
        self._dropped_at_flush = 0

    def _nothing_given_up_since_last_flush(self) -> bool:
        """flush()'s answer with batching off, where every event was sent or given
        up before its track() returned: True when no event was given up since the
        previous flush() (or since the client started)."""
        total = self._sender.reporter.dropped_total()
        with self._lock:
            clean, self._dropped_at_flush = total == self._dropped_at_flush, total
        return clean

    def _flow(self, record: EventRecord) -> Flow[Any]:
        sender = self._sender
        report = EventReport(sender.reporter, record)
        return sender.flow(report, record.session, self._attempt(record))

    @abstractmethod
    def _attempt(self, record: EventRecord) -> Any:
        """One try at sending ``record``, counted."""

    def _write_flow(self, record: WriteRecord) -> tuple[Flow[Any], bool]:
        """The flow of a write (no session registered first), and whether it is
        refused (the client was shut down)."""
        sender = self._sender
        report = WriteReport(sender.reporter, record)
        return sender.flow(report, None, self._write_attempt(record)), sender.closed

    @abstractmethod
    def _write_attempt(self, record: WriteRecord) -> Any:
        """One try at sending the write ``record``, counted."""

    def _write_outcome(self, answer: Answer, value: Any, refused: bool) -> WriteOutcome:
        """What the caller of a write sent on the call is told."""
        self._delivered(answer)
        if answer.outcome is Outcome.OK:
            return WriteStatus.SENT, None, value
        reason = DropReason.SHUTDOWN if refused else DROP_REASONS[answer.outcome]
        return WriteStatus.DROPPED, reason, None

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
        self._sent = self._attempts = self._dropped_at_flush = 0

    def stats(self) -> Stats:
        """Counters of this delivery."""
        with self._lock:
            sent, attempts = self._sent, self._attempts
        sender = self._sender
        return Stats(
            sent=sent,
            requests=attempts,
            retried=sender.retrier.retried,
            dropped=sender.reporter.dropped(),
        )
