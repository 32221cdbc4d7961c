"""Delivery policy: what to send next, when to retry, when to split or give up.

Plain logic with no I/O (the "sans-IO" idea of h11): no threads, locks,
sockets or clock reads. Every method that depends on time takes ``now``
(monotonic seconds), and randomness comes from the ``jitter`` callable given
at construction. The threaded and asyncio senders drive a `DeliveryPolicy`;
they hold their own lock around every call, since the policy has none.

Its drivers: ``trodo._core.batch_base``, ``trodo._sync.batch``, ``trodo._async.batch``.

The rules:

* Batching. ``batch_size`` events waiting, or the oldest having waited
  ``flush_interval`` seconds, makes a request due. ``batch_size`` is only the
  trigger: when more events wait (a burst, or a backlog after an outage) one
  request carries as many as fit in ``max_request_events`` and
  ``max_request_bytes``. An event larger than ``max_request_bytes`` on its own
  still goes, alone (the server may then answer 413), and so does an item
  the settings' ``alone`` names (a profile write). A flush ticket or
  `DeliveryPolicy.close` makes the covered events due at once.
* One request at a time, in order. Events are delivered in the order they
  were added, also across retries and splits.
* RETRY answers (5xx, 408, 429, timeouts, dropped connections) are retried
  as `trodo._core.retry` says (backoff, Retry-After, the retry budget, when
  to give up as ``gave_up``), by progress: any accepted request (a bulk post,
  or a session registration the driver reports with `DeliveryPolicy.progress`)
  restarts the backoff, and the budget runs only while nothing gets through.
  While a batch waits for its retry nothing else is sent: the server is
  struggling. After a batch is given up, the next request still waits its
  backoff.
* Held back: events whose session's registration failed wait while the rest
  of their batch is posted (`trodo._core.held`).
* TOO_LARGE (413) splits the batch in halves, sent next, before newer events;
  a single event that is too large is dropped as ``too_large``.
* REJECTED (400/422) bisects the batch the same way, so only the events the
  server refuses on their own are dropped (``rejected``) and every other event
  is delivered exactly once. This assumes a 400 means the server stored
  nothing of that request.
* UNAUTHORIZED (401/403) drops the batch as ``unauthorized``.
* Memory. Every event held (queued, waiting for a retry or in flight) counts
  against ``max_queue_size`` events and ``max_queue_bytes`` bytes. When either
  is full, `DeliveryPolicy.add` refuses (``queue_full``) until the held events
  drain to half of both bounds; after `DeliveryPolicy.close` it refuses with
  ``shutdown``. How those episodes are reported: `trodo._core.refusals`.

Events are opaque to the policy apart from their encoded size (the caller's).
Each has an implicit sequence number (its position in the order of
acceptance): batches cover contiguous ranges of them, even after splits and
hold-backs, and resolve in order, which makes flush tickets cheap.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from trodo._core.answers import Answer, DropReason, Outcome
from trodo._core.batches import (
    ACCEPTED,
    ACCEPTED_REPORT,
    ACCEPTED_WAKE,
    ACCEPTED_WAKE_REPORT,
    DONE,
    DRAINED,
    FULL_FIRST,
    IN_FLIGHT,
    WAITING,
    Admission,
    Batch,
    Drop,
    FlushTicket,
    PolicyConfig,
    PolicyStats,
)
from trodo._core.held import HeldBack
from trodo._core.refusals import Episodes, Refusals
from trodo._core.retry import Stall, batch_retry_at, stall_delay

T = TypeVar("T")


class DeliveryPolicy(HeldBack[T], Refusals[T]):
    """Decides what the sender does next; see the module docstring for the rules.

    Not thread-safe: the driver serialises calls with its own lock. ``jitter``
    returns a draw in [0, 1) (e.g. ``random.Random().random``).
    """

    def __init__(self, config: PolicyConfig, jitter: Callable[[], float]) -> None:
        self._config = config
        self._jitter = jitter
        # Copies of hot settings: add() runs on the application's thread.
        self._batch_size = config.batch_size
        self._max_count = config.max_queue_size
        self._max_bytes = config.max_queue_bytes
        # Events not yet in a batch: parallel sequences from index _off on, no
        # per-event wrapper. Arrays keep sizes and times as machine numbers
        # (~16 bytes an event instead of ~70 for int and float objects).
        self._items: list[T] = []
        self._sizes: array[int] = array("Q")
        self._times: array[float] = array("d")
        self._off = 0  # index of the oldest queued event
        self._head = 0  # its sequence number
        self._wake_at = config.batch_size - 1  # queued count before the add that fills a batch
        # Batches to send before the queue, in order: a batch waiting for its
        # retry, split halves. Then the one batch in flight, if any.
        self._front: deque[Batch[T]] = deque()
        self._in_flight: Batch[T] | None = None
        self._out_count = 0  # events in _front and _in_flight
        self._held_bytes = 0  # bytes of every event held, wherever it is
        self._resolved = 0  # every sequence number below is delivered or dropped
        self._tickets: deque[FlushTicket] = deque()  # unsettled, by end
        self._closed = False
        self._refusing = False  # closed or in a queue_full episode: add() takes the slow path
        self._shutdown_reported = False
        self._episodes = Episodes()
        self._episode_ended = False  # add() says so in its admission
        self._stall = Stall()  # the failures since the server last accepted anything
        self._resume_at = -math.inf  # after a give-up: no request before this
        self._sent = 0
        self._requests = 0
        self._retries = 0
        self._dropped = dict.fromkeys(DropReason, 0)

    @property
    def config(self) -> PolicyConfig:
        return self._config

    @property
    def closed(self) -> bool:
        return self._closed

    # -- application side -------------------------------------------------

    def add(self, item: T, size: int, now: float) -> Admission:
        """Accept ``item`` (``size`` encoded bytes, tracked at ``now``) or refuse it.

        O(1), with no per-event wrapper object: it runs on the application's
        thread. A negative or non-int ``size`` raises ValueError and changes
        nothing. A refused event is counted as dropped (``queue_full`` or
        ``shutdown``); the driver still holds it, so it is not returned.
        """
        if self._refusing:
            refusal = self._refusal()
            if refusal is not None:
                return refusal
        items = self._items
        queued = len(items) - self._off
        held_bytes = self._held_bytes + size
        if queued + self._out_count >= self._max_count or held_bytes > self._max_bytes:
            self._dropped[DropReason.QUEUE_FULL] += 1
            self._episodes.refused(DropReason.QUEUE_FULL, first=True)
            self._refusing = True
            return FULL_FIRST
        try:  # free unless it raises (Python 3.11)
            self._sizes.append(size)
            self._times.append(now)
        except (TypeError, OverflowError):
            del self._sizes[len(items) :]  # keep the sequences aligned
            raise ValueError(
                f"add() needs an int size >= 0 and a float now, got {size!r} and {now!r}"
            ) from None
        items.append(item)
        self._held_bytes = held_bytes
        if self._episode_ended:
            self._episode_ended = False
            return ACCEPTED_WAKE_REPORT if queued in (0, self._wake_at) else ACCEPTED_REPORT
        if queued in (0, self._wake_at):
            return ACCEPTED_WAKE
        return ACCEPTED

    def request_flush(self) -> FlushTicket:
        """A ticket for everything accepted so far; those events are now due at once."""
        ticket = FlushTicket(self._resolved, self._head + self._queued())
        if not ticket.settled:
            self._tickets.append(ticket)
        return ticket

    # -- worker side ------------------------------------------------------

    def next_batch(self, now: float) -> Batch[T] | None:
        """The batch to send now, or None (nothing due, waiting for a retry, or
        a batch already in flight: one request at a time).

        Give the batch back to `on_answer` before asking for the next one.
        """
        if self._in_flight is not None or now < self._resume_at:
            return None
        if self._front:
            batch = self._front[0]
            if batch._not_before > now and not self._carry_goes(batch, now):
                return None  # head of line: nothing overtakes a retry
            self._front.popleft()
            if batch._carry:
                self._carry_on(batch)
        elif self._queued() and self._queue_due(now):
            batch = self._take()
        else:
            return None
        batch._state = IN_FLIGHT
        self._in_flight = batch
        self._requests += 1
        return batch

    def next_wakeup(self, now: float) -> float | None:
        """Seconds from ``now`` until `next_batch` has something (0.0: now).

        None when nothing will become due by time alone: nothing is held, or a
        batch is in flight. Then only `add` (see `Admission.wake`),
        `request_flush`, `close` or `on_answer` change that.
        """
        if self._in_flight is not None:
            return None
        wait = self._queue_wakeup(now)
        if self._front:
            head = self._front[0]
            front = max(0.0, head._not_before - now)
            # Held-back events go with the next due ones, or after their own wait.
            carried = head._carry and len(self._front) == 1 and wait is not None
            wait = min(front, wait) if carried and wait is not None else front
        if wait is not None and now < self._resume_at:
            wait = max(wait, self._resume_at - now)  # after a give-up
        return wait

    def _queue_wakeup(self, now: float) -> float | None:
        if not self._queued():
            return None
        if self._queue_due(now):
            return 0.0
        return max(0.0, self._times[self._off] + self._config.flush_interval - now)

    def on_answer(self, batch: Batch[T], answer: Answer, now: float) -> list[Drop[T]]:
        """Record the server's answer to ``batch``; return what was given up."""
        if batch._state == DRAINED:
            return []  # drain() gave it up while it was in flight
        if batch is not self._in_flight:
            raise ValueError("on_answer() got a batch that is not the one in flight")
        self._in_flight = None
        outcome = answer.outcome
        if outcome is Outcome.OK:
            self._stall.progress()
            self._sent += len(batch.items)
            if batch._held is not None:
                self._carry_back(batch, now)
            else:
                self._resolve(batch, dropped=False)
            return []
        batch._restore()  # the post failed: its held-back events go with it again
        if outcome is Outcome.RETRY:
            return self._retry(batch, answer, now)
        if outcome is Outcome.UNAUTHORIZED:
            return [self._drop(batch, DropReason.UNAUTHORIZED, answer.detail)]
        reason = DropReason.TOO_LARGE if outcome is Outcome.TOO_LARGE else DropReason.REJECTED
        if len(batch.items) == 1:
            return [self._drop(batch, reason, answer.detail)]
        # Both halves go next, before anything newer, keeping the order.
        left, right = batch._halves()
        self._front.appendleft(right)
        self._front.appendleft(left)
        return []

    def stats(self) -> PolicyStats:
        in_flight = len(self._in_flight.items) if self._in_flight is not None else 0
        return PolicyStats(
            sent=self._sent,
            queued=self._queued() + self._out_count - in_flight,
            in_flight=in_flight,
            requests=self._requests,
            retries=self._retries,
            dropped=dict(self._dropped),
        )

    # -- internals --------------------------------------------------------

    def _queued(self) -> int:
        return len(self._items) - self._off

    def _queue_due(self, now: float) -> bool:
        return (
            self._closed
            or self._queued() >= self._batch_size
            or (bool(self._tickets) and self._tickets[-1]._end > self._head)
            or now - self._times[self._off] >= self._config.flush_interval
        )

    def _take(self) -> Batch[T]:
        count, nbytes = self._fit(self._config.max_request_events, 0)
        off, head = self._off, self._head
        seqs = array("Q", range(head, head + count))
        sizes = self._sizes[off : off + count]
        batch = Batch(self._items[off : off + count], sizes, seqs, head + count, nbytes)
        self._taken(count)
        return batch

    def _fit(self, room: int, nbytes: int) -> tuple[int, int]:
        """How many queued events fit beside ``nbytes`` already in a request, and
        the bytes then. An event alone in a request always goes, even when over
        the limit."""
        max_bytes, count, off = self._config.max_request_bytes, 0, self._off
        alone = self._config.alone  # e.g. a profile write: a request of its own
        for size in self._sizes[off : off + min(room, self._queued())]:
            lone = alone is not None and alone(self._items[off + count])
            if (count or nbytes) and (nbytes + size > max_bytes or lone):
                break
            nbytes += size
            count += 1
            if lone:
                break
        return count, nbytes

    def _taken(self, count: int) -> None:
        self._off += count
        self._head += count
        self._out_count += count
        self._compact()

    def _compact(self, *, everything: bool = False) -> None:
        # Taken events stay in the sequences until at least half of them is
        # dead, so the memmove that drops them costs O(1) per event.
        off = self._off
        if everything or off == len(self._items):
            del self._items[:], self._sizes[:], self._times[:]
            self._off = 0
        elif off >= 4096 and 2 * off >= len(self._items):
            del self._items[:off], self._sizes[:off], self._times[:off]
            self._off = 0

    def _retry(self, batch: Batch[T], answer: Answer, now: float) -> list[Drop[T]]:
        config, stall = self._config, self._stall
        batch.failed_attempts += 1
        stall.failed(now)
        retry_at = batch_retry_at(config, stall, now, answer.retry_after, self._jitter())
        if retry_at is None:
            since = now if stall.since is None else stall.since
            detail = (
                f"gave up after {batch.failed_attempts} failed attempts; nothing got through "
                f"for {now - since:.1f}s (retry budget {config.retry_budget:g}s): {answer.detail}"
            )
            self._resume_at = now + stall_delay(config, stall, answer.retry_after, self._jitter())
            return [self._drop(batch, DropReason.GAVE_UP, detail)]
        batch._not_before = retry_at
        batch._state = WAITING
        self._front.appendleft(batch)
        self._retries += 1
        return []

    def _drop(self, batch: Batch[T], reason: DropReason, detail: str) -> Drop[T]:
        self._dropped[reason] += len(batch.items)
        self._resolve(batch, dropped=True)
        return Drop(reason, batch.items, detail)

    def _resolve(self, batch: Batch[T], *, dropped: bool) -> None:
        batch._state = DONE
        self._out_count -= len(batch.items)
        self._held_bytes -= batch.nbytes
        if dropped:
            self._mark_dropped(batch._seqs)
        # One batch at a time, lowest sequence numbers first: resolution is in order.
        assert batch._start == self._resolved, "batches must resolve in order"
        self._settle(batch._start, batch._end, dropped=False)

    def _settle(self, start: int, end: int, *, dropped: bool) -> None:
        tickets = self._tickets
        if dropped:
            for ticket in tickets:
                if ticket._start < end and ticket._end > start:
                    ticket._dropped = True
        self._resolved = end
        while tickets and tickets[0]._end <= end:
            tickets.popleft()._settled = True
