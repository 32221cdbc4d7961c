"""Batching on, asyncio: one task on the client's loop drives the delivery policy.

``track`` only validates, stamps and queues: no I/O, nothing awaited. The
task, started on the loop at first use, registers new sessions, posts
/api/events/bulk through the generated asyncio calls and feeds every answer
back to the policy, which decides what happens next. The policy sits behind
a ``threading.Lock`` held only around its calls (microseconds), so sync
hooks on other threads (auto events) may queue too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from trodo._async.direct import AsyncSender
from trodo._async.loop import LoopBinding
from trodo._async.sessions import async_session
from trodo._core.answers import Answer, DropReason, Outcome
from trodo._core.batch_base import BatchDeliveryBase, Item, send_failed, write_outcome
from trodo._core.batches import Batch, Drop, FlushTicket
from trodo._core.config import Config
from trodo._core.records import EventRecord
from trodo._core.write_results import WriteOutcome
from trodo._core.writes import WriteRecord

if TYPE_CHECKING:
    from trodo._async.transport import AsyncTransport

logger = logging.getLogger("trodo")
_CUT_OFF = Answer(Outcome.RETRY, detail="the event loop stopped while the request was under way")


class AsyncBatchDelivery(BatchDeliveryBase[AsyncSender]):
    """Queue events and send them in bulk from one asyncio task."""

    def __init__(self, config: Config, sender: AsyncSender, binding: LoopBinding) -> None:
        super().__init__(config, sender)
        self._binding = binding
        self._fresh_primitives()

    def _fresh_primitives(self) -> None:
        """New asyncio primitives, no task yet."""
        # asyncio primitives bind to the loop that first waits on them.
        self._wake = asyncio.Event()
        self._settled = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    # -- application side --------------------------------------------------------

    async def submit(self, record: EventRecord) -> None:
        """Queue one event (on the loop); returns without awaiting anything."""
        self.submit_threadsafe(record)
        if self._task is None and not self._stopping:
            # Events queued from other threads before the loop was known.
            self._poke()

    def submit_threadsafe(self, record: EventRecord) -> None:
        """Queue one event from any thread; never waits.

        Off the loop the task is woken through the loop; while no loop runs
        the event waits for the client's next use on its loop.
        """
        with self._lock:
            admission = self._admit(record)
        if admission.wake:
            if self._binding.on_loop():
                self._poke()
            else:
                self._binding.call_soon(self._poke)
        self._report_refusal(admission)

    async def write(self, record: WriteRecord) -> WriteOutcome:
        """Queue one profile write (on the loop), in order with the events; awaits nothing."""
        with self._lock:
            admission = self._admit(record)
        if admission.wake or (self._task is None and not self._stopping):
            self._poke()
        self._report_refusal(admission, record)
        return write_outcome(admission)

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before the call is delivered or given up."""
        with self._lock:
            ticket = self._policy.request_flush()
        await self._until_settled(ticket, timeout)
        with self._lock:
            delivered = ticket.delivered_all
        self.report_unreported()
        return delivered

    async def shutdown(self, timeout: float | None = None) -> None:
        """Send what is queued (waiting up to ``timeout``), then stop the task.

        What is still undelivered when the time is up is given up as
        ``shutdown`` and reported.
        """
        with self._lock:
            ticket = self._policy.close()
        await self._until_settled(ticket, timeout)
        with self._lock:
            drops = self._policy.drain(DropReason.SHUTDOWN, "shutdown() timed out")
        self._stopping = True
        self._report(drops)
        self.report_unreported()
        task = self._task
        if task is not None and not task.done():
            # Idle, or in a request whose events were just given up.
            task.cancel()
            await asyncio.wait({task})

    async def _until_settled(self, ticket: FlushTicket, timeout: float | None) -> None:
        if self._settled_now(ticket):
            return
        self._poke()
        try:
            async with asyncio.timeout(timeout), self._settled:
                await self._settled.wait_for(lambda: self._settled_now(ticket))
        except TimeoutError:
            pass

    def _settled_now(self, ticket: FlushTicket) -> bool:
        with self._lock:
            return ticket.settled

    def end_of_process(self, timeout: float) -> None:
        """The process ends, and the client's loop will not send again (it has ended,
        or it is the very thread the process ends on): deliver what is queued on an
        event loop of its own on this thread, within ``timeout``; report the rest.

        A batch the loop's task had in flight when that loop stopped gets no answer:
        it is reported with the rest (it may have arrived)."""
        try:
            asyncio.run(self._deliver_alone(timeout))
        except Exception:  # e.g. a loop already runs on this thread: report instead
            logger.exception("trodo: could not deliver at the end of the process")
        finally:
            self._stopping = True
            self.abandon("the process ended before they could be delivered")

    async def _deliver_alone(self, timeout: float) -> None:
        from trodo._async.transport import AsyncTransport

        transport = AsyncTransport(self._config)
        policy = self._policy
        try:
            async with asyncio.timeout(timeout):
                while True:
                    with self._lock:
                        policy.close()
                        now = time.monotonic()
                        batch = policy.next_batch(now)
                        wait = policy.next_wakeup(now) if batch is None else None
                        pending = policy.stats()
                    if batch is None:
                        if pending.queued == 0 and pending.in_flight == 0:
                            return
                        await asyncio.sleep(0.05 if wait is None else wait)
                        continue
                    self._report(await self._attempt(batch, transport))
        except TimeoutError:
            pass
        finally:
            await transport.aclose()

    # -- the sender task ---------------------------------------------------------------

    def _poke(self) -> None:
        """On the loop: start the task if it is not running, and make it look again."""
        if self._task is None or self._task.done():
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run(), name="trodo-sender")
        self._wake.set()

    async def _run(self) -> None:
        policy = self._policy
        while True:
            # Cleared before reading the policy: a wake after the read is not lost.
            self._wake.clear()
            with self._lock:
                now = time.monotonic()
                batch = policy.next_batch(now)
                wait = policy.next_wakeup(now) if batch is None else None
            if batch is None:
                if self._stopping:
                    return
                await self._sleep(wait)
                continue
            try:
                drops = await self._attempt(batch)
            except asyncio.CancelledError:
                # The loop is ending (asyncio.run cancels what is left) or shutdown()
                # gave the batch up: no answer will come. Like any unanswered request
                # it is due again, for the end of the process to send.
                with self._lock:
                    drops = policy.on_answer(batch, _CUT_OFF, time.monotonic())
                self._report(drops)
                raise
            self._report(drops)  # before waking flush(), as the threaded sender does
            async with self._settled:
                self._settled.notify_all()

    async def _sleep(self, seconds: float | None) -> None:
        """Until woken, or ``seconds`` pass (None: until woken)."""
        try:
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            pass

    async def _attempt(
        self, batch: Batch[Item], transport: AsyncTransport | None = None
    ) -> list[Drop[Item]]:
        """One attempt (``_attempt_flow``): its registrations and post, awaited
        (through ``transport``, by default the client's)."""
        transport = transport or self._sender.transport
        flow = self._attempt_flow(batch)
        try:
            step = next(flow)
            while True:
                try:
                    if isinstance(step, list):
                        answer = await transport.send_events(step)
                    elif isinstance(step, WriteRecord):
                        answer = (await transport.send_write(step))[0]
                    else:
                        register = async_session(step).register_once
                        answer = await register(transport.register_session)
                except Exception as exc:
                    answer = send_failed(exc)
                step = flow.send(answer)
        except StopIteration as done:
            drops: list[Drop[Item]] = done.value
            return drops
