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
  after `backoff_delay`: exponential backoff with full jitter, never shorter
  than the server's Retry-After (itself capped by ``max_retry_after``). While a
  batch waits for its retry nothing else is sent: the server is struggling.
  Each batch may keep retrying for ``retry_budget`` seconds from its first
  failure. A jittered delay that would land past that deadline is shortened to
  the deadline, so the last attempt happens at the budget's end; a failure at
  or after the deadline, or a Retry-After that points past it, gives the batch
  up as ``gave_up``. Nothing retries forever.
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

Events are opaque to the policy apart from their encoded size, which the
caller computes. Internally each event has an implicit sequence number (its
position in the order of acceptance): batches are contiguous ranges of them,
even after splits, and they resolve in order, which is what makes flush
tickets cheap.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

__all__ = [
    "DEFAULT_BACKOFF_BASE",
    "DEFAULT_BACKOFF_CAP",
    "DEFAULT_MAX_RETRY_AFTER",
    "Admission",
    "Answer",
    "Batch",
    "DeliveryPolicy",
    "Drop",
    "DropReason",
    "FlushTicket",
    "Outcome",
    "PolicyConfig",
    "Stats",
    "backoff_delay",
]

T = TypeVar("T")

DEFAULT_BACKOFF_BASE = 0.5
DEFAULT_BACKOFF_CAP = 30.0
DEFAULT_MAX_RETRY_AFTER = 60.0


class DropReason(StrEnum):
    """Why events were given up. Passed to ``on_error`` and counted in ``stats()``.

    - ``queue_full``: the in-memory queue was full when the event was tracked.
    - ``gave_up``: the server kept failing for longer than the retry budget.
    - ``too_large``: the server refused the event alone as too large (413).
    - ``rejected``: the server refused the event alone as malformed (400/422).
    - ``unauthorized``: the server refused the site id (401/403).
    - ``shutdown``: tracked after shutdown, or still unsent when shutdown's
      time ran out.
    """

    QUEUE_FULL = "queue_full"
    GAVE_UP = "gave_up"
    TOO_LARGE = "too_large"
    REJECTED = "rejected"
    UNAUTHORIZED = "unauthorized"
    SHUTDOWN = "shutdown"


class Outcome(StrEnum):
    """How the transport classifies the answer to one request."""

    OK = "ok"  # 2xx
    RETRY = "retry"  # 5xx, 408, 429, timeouts, refused or reset connections
    TOO_LARGE = "too_large"  # 413
    REJECTED = "rejected"  # 400, 422
    UNAUTHORIZED = "unauthorized"  # 401, 403


@dataclass(frozen=True, slots=True)
class Answer:
    """The transport's verdict on one request.

    ``retry_after`` is the Retry-After header in seconds, when there was one;
    ``detail`` says what happened in words (status line, exception), for logs.
    """

    outcome: Outcome
    retry_after: float | None = None
    detail: str = ""


def backoff_delay(
    attempt: int,
    jitter: float,
    *,
    base: float = DEFAULT_BACKOFF_BASE,
    cap: float = DEFAULT_BACKOFF_CAP,
    retry_after: float | None = None,
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 for the first retry).

    Full jitter: ``jitter`` (a draw in [0, 1]) times ``min(cap, base * 2 **
    (attempt - 1))``. A positive ``retry_after`` is a floor on the result,
    after capping it at ``max_retry_after`` so a server cannot park the
    client for hours.

    >>> backoff_delay(3, 0.5, base=0.5, cap=30.0)
    1.0
    >>> backoff_delay(1, 0.0, retry_after=7.0)
    7.0
    """
    if attempt < 1:
        raise ValueError(f"attempt must be 1 or more, got {attempt}")
    if not 0.0 <= jitter <= 1.0:
        raise ValueError(f"jitter must be in [0, 1], got {jitter}")
    # The exponent is bounded so a huge attempt count cannot overflow a float.
    delay = jitter * min(cap, base * 2.0 ** min(attempt - 1, 64))
    # `> 0` also rules out NaN.
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, max_retry_after))
    return delay


def _check_int(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_seconds(name: str, value: float, *, positive: bool = False) -> None:
    ok = (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and (value > 0 if positive else value >= 0)
    )
    if not ok:
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number of seconds {bound}, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyConfig:
    """Delivery settings. Defaults and why:

    - ``batch_size=50``, ``flush_interval=5.0``: the SDK's documented batching
      defaults (``batch_size`` and ``batch_flush_interval`` of the client).
    - ``max_request_events=500``, ``max_request_bytes=512 KiB``: one request
      drains a backlog ten batches at a time while staying far below common
      body limits of proxies (1 MiB is nginx's default).
    - ``max_queue_size=200_000``, ``max_queue_bytes=64 MiB``: a burst of
      100,000 typical events (~300 encoded bytes each, ~30 MB) tracked faster
      than they can be sent fits with room to spare, so nothing is shed under
      the defaults, while a server outage cannot grow memory without bound.
    - ``backoff_base=0.5``, ``backoff_cap=30.0``: first retries come quickly;
      a long outage is probed at most every 30 s.
    - ``max_retry_after=60.0``: the longest Retry-After the client honours.
    - ``retry_budget=60.0``: each batch keeps retrying for a minute after its
      first failure, which rides out restarts and short outages (a 5-second
      outage costs nothing) without holding memory for ever.
    """

    batch_size: int = 50
    flush_interval: float = 5.0
    max_request_events: int = 500
    max_request_bytes: int = 512 * 1024
    max_queue_size: int = 200_000
    max_queue_bytes: int = 64 * 1024 * 1024
    backoff_base: float = DEFAULT_BACKOFF_BASE
    backoff_cap: float = DEFAULT_BACKOFF_CAP
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    retry_budget: float = 60.0

    def __post_init__(self) -> None:
        _check_int("batch_size", self.batch_size, 1)
        _check_seconds("flush_interval", self.flush_interval)
        _check_int("max_request_events", self.max_request_events, 1)
        _check_int("max_request_bytes", self.max_request_bytes, 1)
        _check_int("max_queue_size", self.max_queue_size, 1)
        _check_int("max_queue_bytes", self.max_queue_bytes, 1)
        _check_seconds("backoff_base", self.backoff_base, positive=True)
        _check_seconds("backoff_cap", self.backoff_cap, positive=True)
        _check_seconds("max_retry_after", self.max_retry_after)
        _check_seconds("retry_budget", self.retry_budget)
        if self.batch_size > self.max_request_events:
            raise ValueError(
                f"batch_size ({self.batch_size}) must not exceed "
                f"max_request_events ({self.max_request_events})"
            )
        if self.batch_size > self.max_queue_size:
            raise ValueError(
                f"batch_size ({self.batch_size}) must not exceed "
                f"max_queue_size ({self.max_queue_size})"
            )
        if self.backoff_cap < self.backoff_base:
            raise ValueError(
                f"backoff_cap ({self.backoff_cap}) must not be below "
                f"backoff_base ({self.backoff_base})"
            )


@dataclass(frozen=True, slots=True)
class Admission:
    """What `DeliveryPolicy.add` did with an event.

    ``wake``: the worker should look again now (the queue just became
    non-empty or reached ``batch_size``). ``reason`` is set when the event was
    refused; ``first_of_episode`` is True for the first refusal of an episode,
    the one to report.
    """

    accepted: bool
    wake: bool = False
    reason: DropReason | None = None
    first_of_episode: bool = False


# add() returns one of these, so it allocates nothing for its answer.
_ACCEPTED = Admission(accepted=True)
_ACCEPTED_WAKE = Admission(accepted=True, wake=True)
_FULL = Admission(accepted=False, reason=DropReason.QUEUE_FULL)
_FULL_FIRST = Admission(accepted=False, reason=DropReason.QUEUE_FULL, first_of_episode=True)
_SHUTDOWN = Admission(accepted=False, reason=DropReason.SHUTDOWN)
_SHUTDOWN_FIRST = Admission(accepted=False, reason=DropReason.SHUTDOWN, first_of_episode=True)


@dataclass(frozen=True, slots=True)
class Drop(Generic[T]):
    """Events given up, in the order they were added, with why."""

    reason: DropReason
    items: list[T]
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Stats:
    """Counters since the policy was created.

    ``sent``: events the server accepted. ``queued``: events held and not in
    flight (waiting for their batch, a retry or a split half). ``in_flight``:
    events of the request being sent. ``requests``: requests handed to the
    driver, retries included. ``retries``: retry attempts scheduled (each is
    one more request for a batch that failed transiently; splits after 413 or
    400 are not retries). ``dropped``: events given up, by reason, every
    reason present.
    """

    sent: int
    queued: int
    in_flight: int
    requests: int
    retries: int
    dropped: dict[DropReason, int]


_WAITING, _IN_FLIGHT, _DONE, _DRAINED = 0, 1, 2, 3


class Batch(Generic[T]):
    """One request's worth of events, handed out by `DeliveryPolicy.next_batch`.

    Drivers read ``items`` (in order), ``nbytes`` (the sum of their sizes) and
    ``failed_attempts`` (transient failures so far, for logs), and give the
    batch back to `DeliveryPolicy.on_answer` unchanged.
    """

    __slots__ = (
        "_first_failure",
        "_not_before",
        "_sizes",
        "_start",
        "_state",
        "failed_attempts",
        "items",
        "nbytes",
    )

    def __init__(
        self,
        items: list[T],
        sizes: array[int],
        start: int,
        nbytes: int,
    ) -> None:
        self.items = items
        self.nbytes = nbytes
        self.failed_attempts = 0
        self._sizes = sizes
        self._start = start  # sequence number of items[0]
        self._first_failure: float | None = None
        self._not_before = -math.inf
        self._state = _WAITING

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return (
            f"Batch(events={len(self.items)}, nbytes={self.nbytes}, "
            f"failed_attempts={self.failed_attempts})"
        )

    def _halves(self) -> tuple[Batch[T], Batch[T]]:
        # Halves inherit the retry history, so splitting cannot extend the budget.
        mid = len(self.items) // 2
        left_bytes = sum(self._sizes[:mid])
        halves = (
            Batch(self.items[:mid], self._sizes[:mid], self._start, left_bytes),
            Batch(
                self.items[mid:],
                self._sizes[mid:],
                self._start + mid,
                self.nbytes - left_bytes,
            ),
        )
        for half in halves:
            half.failed_attempts = self.failed_attempts
            half._first_failure = self._first_failure
        return halves


class FlushTicket:
    """Covers every event accepted before it was issued and not yet resolved.

    Read it under the driver's lock. ``settled``: every covered event was
    delivered or dropped. ``delivered_all``: settled with none dropped.
    """

    __slots__ = ("_dropped", "_end", "_settled", "_start")

    def __init__(self, start: int, end: int) -> None:
        self._start = start  # covered sequence numbers: [start, end)
        self._end = end
        self._settled = start >= end
        self._dropped = False

    @property
    def settled(self) -> bool:
        return self._settled

    @property
    def delivered_all(self) -> bool:
        return self._settled and not self._dropped

    def __repr__(self) -> str:
        return f"FlushTicket(settled={self._settled}, delivered_all={self.delivered_all})"


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
            return _FULL_FIRST
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
            return _ACCEPTED_WAKE
        return _ACCEPTED

    def _refusal(self) -> Admission | None:
        if self._closed:
            self._dropped[DropReason.SHUTDOWN] += 1
            if self._shutdown_reported:
                return _SHUTDOWN
            self._shutdown_reported = True
            return _SHUTDOWN_FIRST
        # Held events only shrink between calls to add(), so checking here
        # ends the episode exactly when it would have ended.
        held = self._queued() + self._out_count
        if held <= self._max_count // 2 and self._held_bytes <= self._max_bytes // 2:
            self._refusing = False
            return None
        self._dropped[DropReason.QUEUE_FULL] += 1
        return _FULL

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
            self._in_flight._state = _DRAINED
            self._in_flight = None
        for batch in self._front:
            items.extend(batch.items)
            batch._state = _DRAINED
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
        batch._state = _IN_FLIGHT
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
        if batch._state == _DRAINED:
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

    def stats(self) -> Stats:
        in_flight = len(self._in_flight.items) if self._in_flight is not None else 0
        return Stats(
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
        deadline = batch._first_failure + config.retry_budget
        floor = 0.0
        if answer.retry_after is not None and answer.retry_after > 0:
            floor = min(answer.retry_after, config.max_retry_after)
        if now >= deadline or now + floor > deadline:
            waited = now - batch._first_failure
            detail = (
                f"gave up after {batch.failed_attempts} failed attempts over {waited:.1f}s"
                f" (retry budget {config.retry_budget:g}s): {answer.detail}"
            )
            return [self._drop(batch, DropReason.GAVE_UP, detail)]
        delay = backoff_delay(
            batch.failed_attempts,
            self._jitter(),
            base=config.backoff_base,
            cap=config.backoff_cap,
            retry_after=answer.retry_after,
            max_retry_after=config.max_retry_after,
        )
        batch._not_before = min(now + delay, deadline)
        batch._state = _WAITING
        self._front.appendleft(batch)
        self._retries += 1
        return []

    def _drop(self, batch: Batch[T], reason: DropReason, detail: str) -> Drop[T]:
        self._dropped[reason] += len(batch.items)
        self._resolve(batch, dropped=True)
        return Drop(reason, batch.items, detail)

    def _resolve(self, batch: Batch[T], *, dropped: bool) -> None:
        batch._state = _DONE
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
