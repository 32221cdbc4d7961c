"""Sending on the caller's thread: events when batching is off, and the calls
that need their answer (registration, identify, reset, wallet address).

The flows are the shared ones (``trodo._core.sending``); this module only
runs their steps, waiting between retries with ``time.sleep``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from trodo._core.answers import Answer
from trodo._core.config import Config
from trodo._core.disabled import DisabledDeliveryBase
from trodo._core.operations import Call
from trodo._core.records import EventRecord
from trodo._core.sending import Attempt, DirectDeliveryBase, Flow, Retrier, SenderBase
from trodo._core.sessions import Session
from trodo._core.write_results import WriteOutcome
from trodo._core.writes import WriteRecord
from trodo._sync.sessions import threaded_session
from trodo._wire.deadline import call_deadline

if TYPE_CHECKING:
    from trodo._sync.transport import Transport


def retry(retrier: Retrier, attempt: Attempt, deadline: float) -> tuple[Answer, Any]:
    """Call ``attempt`` until it is not a transient failure, or retries or time run out."""
    tries = 0
    while True:
        with call_deadline(deadline):  # no request of the call runs past its deadline
            answer, value = attempt()
        tries += 1
        delay = retrier.next_delay(answer, tries, deadline)
        if delay is None:
            return answer, value
        time.sleep(delay)
        retrier.count_retry()


def drive(flow: Flow[Attempt], retrier: Retrier) -> Any:
    """Run ``flow`` on this thread, each step with retries."""
    try:
        step = next(flow)
        while True:
            step = flow.send(retry(retrier, *step))
    except StopIteration as done:
        return done.value


class Sender(SenderBase[Attempt]):
    """Sends calls that need an answer on the caller's thread, session registered first."""

    def __init__(self, transport: Transport, config: Config) -> None:
        super().__init__(config)
        self.transport = transport

    def registration(self, session: Session) -> Attempt:
        registering = threaded_session(session)
        return lambda: (registering.ensure_registered(self.transport.register_session), None)

    def request(self, call: Call) -> tuple[Answer, Any]:
        """Send ``call`` with retries; failures are reported, never raised."""
        attempt: Attempt = lambda: self.transport.request(call)  # noqa: E731
        answer, value = drive(self.operation_flow(call, attempt), self.retrier)
        return answer, value


class DirectDelivery(DirectDeliveryBase[Sender]):
    """Batching off: each event is one request on the caller's thread."""

    def submit(self, record: EventRecord) -> None:
        """Send one event now; a failure is reported, never raised."""
        answer, _ = drive(self._flow(record), self._sender.retrier)
        self._delivered(answer)

    def _attempt(self, record: EventRecord) -> Attempt:
        def attempt() -> tuple[Answer, None]:
            self._count_attempt()
            return self._sender.transport.send_event(record), None

        return attempt

    def write(self, record: WriteRecord) -> WriteOutcome:
        """Send one profile write now, with retries; a failure is reported, never raised."""
        flow, refused = self._write_flow(record)
        answer, value = drive(flow, self._sender.retrier)
        return self._write_outcome(answer, value, refused)

    def _write_attempt(self, record: WriteRecord) -> Attempt:
        def attempt() -> tuple[Answer, Any]:
            self._count_attempt()
            return self._sender.transport.send_write(record)

        return attempt

    def flush(self, timeout: float | None = None) -> bool:
        """Nothing waits when batching is off: every event was sent or reported.

        True when no event was given up since the previous flush().
        """
        return self._nothing_given_up_since_last_flush()

    def shutdown(self, timeout: float | None = None) -> None:
        """Refuse events from now on."""
        self._sender.closed = True


class DisabledDelivery(DisabledDeliveryBase):
    """``disabled=True``: events are counted, never sent; no thread, no connection."""

    def submit(self, record: EventRecord) -> None:
        """Count the (already checked) event."""
        self._accept(record)

    def write(self, record: WriteRecord) -> WriteOutcome:
        """Count the (already checked) profile write."""
        return self._accept_write(record)

    def flush(self, timeout: float | None = None) -> bool:
        """Nothing ever waits."""
        return True

    def shutdown(self, timeout: float | None = None) -> None:
        """Nothing to deliver."""
