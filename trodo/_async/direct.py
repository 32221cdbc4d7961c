"""Sending on the event loop: events when batching is off, and the requests
that need their answer (registration, identify, reset, wallet).

The asyncio twin of ``trodo._sync.direct``: the retry decision, refusal and failure
reporting and the counters are the sync ones; only the waiting is awaited
(requests, and ``asyncio.sleep`` between retries), so the loop runs on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from trodo._async.loop import LoopBinding
from trodo._async.sessions import async_session
from trodo._core.answers import Answer, DropReason
from trodo._core.config import Config
from trodo._core.disabled import DisabledDeliveryBase, unsent_answer
from trodo._core.operations import Call
from trodo._core.records import EventRecord
from trodo._core.sending import DirectDeliveryBase, Flow, Retrier, SenderBase
from trodo._core.sessions import Session
from trodo._core.write_results import WriteOutcome
from trodo._core.writes import WriteRecord
from trodo._wire.deadline import call_deadline

if TYPE_CHECKING:
    from trodo._async.transport import AsyncTransport


AsyncAttempt = Callable[[], Awaitable[tuple[Answer, Any]]]
"""One try of a request, awaited on the loop: its answer and the value it carries."""


async def retry(retrier: Retrier, attempt: AsyncAttempt, deadline: float) -> tuple[Answer, Any]:
    """``trodo._sync.direct.retry`` on the loop: the same decisions, awaited attempts and waits."""
    tries = 0
    while True:
        with call_deadline(deadline):  # no request of the call runs past its deadline
            answer, value = await attempt()
        tries += 1
        delay = retrier.next_delay(answer, tries, deadline)
        if delay is None:
            return answer, value
        await asyncio.sleep(delay)
        retrier.count_retry()


async def drive(flow: Flow[AsyncAttempt], retrier: Retrier) -> Any:
    """``trodo._sync.direct.drive`` on the loop: each step of ``flow`` awaited with retries."""
    try:
        step = next(flow)
        while True:
            step = flow.send(await retry(retrier, *step))
    except StopIteration as done:
        return done.value


class AsyncSender(SenderBase[AsyncAttempt]):
    """Sends calls that need an answer, awaited by the calling task, session registered first."""

    def __init__(self, transport: AsyncTransport, config: Config) -> None:
        super().__init__(config)
        self.transport = transport

    def registration(self, session: Session) -> AsyncAttempt:
        registering = async_session(session)

        async def attempt() -> tuple[Answer, None]:
            return await registering.register_once(self.transport.register_session), None

        return attempt

    async def request(self, call: Call) -> tuple[Answer, Any]:
        """Send ``call`` with retries, awaited; failures are reported, never raised."""
        transport = self.transport

        async def attempt() -> tuple[Answer, Any]:
            return await transport.request(call)

        answer, value = await drive(self.operation_flow(call, attempt), self.retrier)
        return answer, value


class AsyncDirectDelivery(DirectDeliveryBase[AsyncSender]):
    """Batching off: each event is one request, awaited by the task that tracked it."""

    def __init__(self, sender: AsyncSender, binding: LoopBinding) -> None:
        super().__init__(sender)
        self._binding = binding
        # Sends handed to the loop from other threads (auto events), until done.
        self._handed: set[concurrent.futures.Future[None]] = set()

    async def submit(self, record: EventRecord) -> None:
        """Send one event now; a failure is reported, never raised."""
        answer, _ = await drive(self._flow(record), self._sender.retrier)
        self._delivered(answer)

    def _attempt(self, record: EventRecord) -> AsyncAttempt:
        async def attempt() -> tuple[Answer, None]:
            self._count_attempt()
            return await self._sender.transport.send_event(record), None

        return attempt

    async def write(self, record: WriteRecord) -> WriteOutcome:
        """Send one profile write now, awaited with retries; a failure is reported."""
        flow, refused = self._write_flow(record)
        answer, value = await drive(flow, self._sender.retrier)
        return self._write_outcome(answer, value, refused)

    def _write_attempt(self, record: WriteRecord) -> AsyncAttempt:
        async def attempt() -> tuple[Answer, Any]:
            self._count_attempt()
            return await self._sender.transport.send_write(record)

        return attempt

    def submit_threadsafe(self, record: EventRecord) -> None:
        """From a sync hook on any thread: send on the client's loop if it is running.

        Otherwise (before the client's first use, or after its loop ended, as
        when an exception ends ``asyncio.run``) nothing can send it: it is
        reported as lost.
        """
        loop = self._binding.running()
        if loop is None:
            detail = "the client's event loop is not running, so nothing can send it"
            self._sender.reporter.events_failed(DropReason.SHUTDOWN, detail, [record])
            return
        future = asyncio.run_coroutine_threadsafe(self.submit(record), loop)
        with self._lock:
            self._handed.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: concurrent.futures.Future[None]) -> None:
        with self._lock:
            self._handed.discard(future)

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait for sends handed over from other threads; every other event was
        sent or reported when its ``track`` returned. True when none is still
        pending at ``timeout`` and no event was given up since the previous flush()."""
        with self._lock:
            handed = [asyncio.wrap_future(f) for f in self._handed]
        pending: set[Any] = set()
        if handed:
            _, pending = await asyncio.wait(handed, timeout=timeout)
        return self._nothing_given_up_since_last_flush() and not pending

    async def shutdown(self, timeout: float | None = None) -> None:
        """Wait (up to ``timeout``) for sends under way from other threads, then refuse events."""
        await self.flush(timeout)
        self._sender.closed = True

    def end_of_process(self, timeout: float) -> None:
        """Every event was sent or reported when its ``track`` returned."""
        self._sender.closed = True


class AsyncDisabledDelivery(DisabledDeliveryBase):
    """``disabled=True``: events are counted, never sent; no task, no connection."""

    async def submit(self, record: EventRecord) -> None:
        """Count the (already checked) event."""
        self._accept(record)

    async def write(self, record: WriteRecord) -> WriteOutcome:
        """Count the (already checked) profile write."""
        return self._accept_write(record)

    def submit_threadsafe(self, record: EventRecord) -> None:
        """Count it, from any thread."""
        self._accept(record)

    async def flush(self, timeout: float | None = None) -> bool:
        """Nothing ever waits."""
        return True

    async def shutdown(self, timeout: float | None = None) -> None:
        """Nothing to deliver."""

    def end_of_process(self, timeout: float) -> None:
        """Nothing to deliver."""


async def unsent_request(call: Call) -> tuple[Answer, Any]:
    """An operation of a disabled client: accepted, nothing sent."""
    return unsent_answer(call)
