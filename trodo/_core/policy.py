"""Delivery policy: what to send next, when to retry, when to split or give up.

Plain logic with no I/O (the "sans-IO" idea of h11): no threads, locks,
sockets or clock reads. Every method that depends on time takes ``now``
(monotonic seconds), and randomness comes from the ``jitter`` callable given
at construction. The threaded and asyncio senders drive a `DeliveryPolicy`;
they hold their own lock around every call, since the policy has none.

How a driver uses it::

    policy = DeliveryPolicy[Record](PolicyConfig(), jitter=random.Random().random)

    # application thread, for each event (under the driver's lock):
    admission = policy.add(record, size=len(encoded), now=time.monotonic())
    if not admission.accepted and admission.first_of_episode:
        report(admission.reason)          # once per episode, not once per event
    if admission.wake:
        condition.notify()                # a batch may have become due

    # worker, one batch at a time:
    batch = policy.next_batch(now)        # None: nothing to send now
    if batch is None:
        condition.wait(policy.next_wakeup(now))   # None: wait until notified
    else:
        answer = transport.send_bulk(batch.items) # an Answer, never an exception
        for drop in policy.on_answer(batch, answer, time.monotonic()):
            on_error(drop.reason, drop.items, drop.detail)

The rules:

* Batching. ``batch_size`` events waiting, or the oldest having waited
  ``flush_interval`` seconds, makes a request due. ``batch_size`` is only the
  trigger: when more events wait (a burst, or a backlog after an outage) one
  request carries as many as fit in ``max_request_events`` and
  ``max_request_bytes``. An event larger than ``max_request_bytes`` on its own
  still goes, alone (the server may then answer 413). A flush ticket or
  `DeliveryPolicy.close` makes the covered events due at once.
* One request at a time, in order. Events are delivered in the order they
  were added, also across retries and splits.
* RETRY answers (5xx, 408, 429, timeouts, dropped connections) are retried
  as `trodo._core.retry` says (backoff, Retry-After, the retry budget, when
  to give up as ``gave_up``). While a batch waits for its retry nothing else
  is sent: the server is struggling.
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
  drain to half of both bounds; only the first refusal of such an episode is
  flagged for reporting. After `DeliveryPolicy.close`, `DeliveryPolicy.add`
  refuses with ``shutdown``, flagged once.

Events are opaque to the policy apart from their encoded size (the caller's).
Each has an implicit sequence number (its position in the order of
acceptance): batches are contiguous ranges of them, even after splits, and
resolve in order, which makes flush tickets cheap.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from trodo._core.answers import Answer, DropReason, Outcome
from trodo._core.batches import (
    ACCEPTED,
    ACCEPTED_WAKE,
    DONE,
    DRAINED,
    FULL,
    FULL_FIRST,
    IN_FLIGHT,
    SHUTDOWN,
    SHUTDOWN_FIRST,
    WAITING,
    Admission,
    Batch,
    Drop,
    FlushTicket,
    PolicyConfig,
    PolicyStats,
)
from trodo._core.retry import batch_retry_at

T = TypeVar("T")


class DeliveryPolicy(Generic[T]):
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
        if queued in (0, self._wake_at):
            return ACCEPTED_WAKE
        return ACCEPTED

    def _refusal(self) -> Admission | None:
        if self._closed:
            self._dropped[DropReason.SHUTDOWN] += 1
            if self._shutdown_reported:
                return SHUTDOWN
            self._shutdown_reported = True
            return SHUTDOWN_FIRST
        # Held events only shrink between calls to add(), so checking here
        # ends the episode exactly when it would have ended.
        held = self._queued() + self._out_count
        if held <= self._max_count // 2 and self._held_bytes <= self._max_bytes // 2:
            self._refusing = False
            return None
        self._dropped[DropReason.QUEUE_FULL] += 1
        return FULL

    def request_flush(self) -> FlushTicket:
        """A ticket for everything accepted so far; those events are now due at once."""
        ticket = FlushTicket(self._resolved, self._head + self._queued())
        if not ticket.settled:
            self._tickets.append(ticket)
        return ticket

    def close(self) -> FlushTicket:
        """Stop accepting events and send all that are held without waiting.

        Later `add` calls are refused with ``shutdown`` (the first one flagged).
        The ticket covers everything held; give up what is left when it does
        not settle in time with `drain`.
        """
        self._closed = self._refusing = True
        return self.request_flush()

    def drain(self, reason: DropReason = DropReason.SHUTDOWN, detail: str = "") -> list[Drop[T]]:
        """Give up every event held, in flight included, and return them in order.

        An answer that arrives later for the batch that was in flight is
        ignored by `on_answer`. Open tickets settle, not delivered_all. Does
        not close the policy.
        """
        items: list[T] = []
        if self._in_flight is not None:
            items.extend(self._in_flight.items)
            self._in_flight._state = DRAINED
            self._in_flight = None
        for batch in self._front:
            items.extend(batch.items)
            batch._state = DRAINED
        self._front.clear()
        items.extend(self._items[self._off :])
        self._head += self._queued()
        self._compact(everything=True)
        self._out_count = 0
        self._held_bytes = 0
        if not items:
            return []
        self._dropped[reason] += len(items)
        self._settle(self._resolved, self._head, dropped=True)
        return [Drop(reason, items, detail)]

    # -- worker side ------------------------------------------------------

    def next_batch(self, now: float) -> Batch[T] | None:
        """The batch to send now, or None (nothing due, waiting for a retry, or
        a batch already in flight: one request at a time).

        Give the batch back to `on_answer` before asking for the next one.
        """
        if self._in_flight is not None:
            return None
        if self._front:
            batch = self._front[0]
            if batch._not_before > now:
                return None  # head of line: nothing overtakes a retry
            self._front.popleft()
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
        if self._front:
            return max(0.0, self._front[0]._not_before - now)
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
            self._sent += len(batch.items)
            self._resolve(batch, dropped=False)
            return []
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
        off = self._off
        limit = min(self._queued(), self._config.max_request_events)
        max_bytes = self._config.max_request_bytes
        sizes = self._sizes[off : off + limit]
        count = nbytes = 0
        for size in sizes:
            # The first event always goes, even when it alone is over the limit.
            if count and nbytes + size > max_bytes:
                break
            nbytes += size
            count += 1
        batch = Batch(self._items[off : off + count], sizes[:count], self._head, nbytes)
        self._off += count
        self._head += count
        self._out_count += count
        self._compact()
        return batch

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
        config = self._config
        batch.failed_attempts += 1
        if batch._first_failure is None:
            batch._first_failure = now
        first = batch._first_failure
        retry_at = batch_retry_at(
            config, batch.failed_attempts, first, now, answer.retry_after, self._jitter()
        )
        if retry_at is None:
            detail = (
                f"gave up after {batch.failed_attempts} failed attempts over {now - first:.1f}s"
                f" (retry budget {config.retry_budget:g}s): {answer.detail}"
            )
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
        count = len(batch.items)
        self._out_count -= count
        self._held_bytes -= batch.nbytes
        # One batch at a time, lowest sequence numbers first: resolution is in order.
        assert batch._start == self._resolved, "batches must resolve in order"
        self._settle(batch._start, batch._start + count, dropped=dropped)

    def _settle(self, start: int, end: int, *, dropped: bool) -> None:
        tickets = self._tickets
        if dropped:
            for ticket in tickets:
                if ticket._start < end and ticket._end > start:
                    ticket._dropped = True
        self._resolved = end
        while tickets and tickets[0]._end <= end:
            tickets.popleft()._settled = True
