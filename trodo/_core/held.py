"""Events held back while their session's registration is retried, and progress:
the part of `trodo._core.policy.DeliveryPolicy` that lets one session's failing
registration hold up nobody else (a mixin; policy.py, batches.py, held.py and
refusals.py are one unit).

Before posting a batch, the driver registers its new sessions. Every accepted
registration is progress (`DeliveryPolicy.progress`: the backoff starts again).
The events of a session whose registration failed transiently are held back
(`DeliveryPolicy.hold_back`) while the rest of the batch is posted; once that
post is accepted they wait at the front and go with the next request: at once,
together with newer events, when those are due, else after a short backoff. A
failed post takes them along as one batch again, in order. A registration
refused for good (400, 413) drops that session's events with its reason.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from trodo._core.answers import DROP_REASONS, Answer, DropReason, Outcome
from trodo._core.batches import DRAINED, WAITING, Batch, Drop, FlushTicket, PolicyConfig
from trodo._core.retry import Stall, stall_delay

T = TypeVar("T")


class HeldBack(Generic[T]):
    """`DeliveryPolicy.progress`, `DeliveryPolicy.hold_back` and what follows."""

    # The policy's state these methods work on (set by DeliveryPolicy.__init__).
    _config: PolicyConfig
    _jitter: Callable[[], float]
    _stall: Stall
    _front: deque[Batch[T]]
    _in_flight: Batch[T] | None
    _items: list[T]
    _sizes: array[int]
    _head: int
    _off: int
    _out_count: int
    _held_bytes: int
    _tickets: deque[FlushTicket]
    _dropped: dict[DropReason, int]

    def _queued(self) -> int:
        raise NotImplementedError

    def _queue_due(self, now: float) -> bool:
        raise NotImplementedError

    def _fit(self, room: int, nbytes: int) -> tuple[int, int]:
        raise NotImplementedError

    def _taken(self, count: int) -> None:
        raise NotImplementedError

    # -- progress and held-back events -------------------------------------

    def progress(self, now: float) -> None:
        """The server accepted a request that is not a batch's post (a session
        registration): the backoff sequence starts again."""
        self._stall.progress()

    def hold_back(
        self, batch: Batch[T], hold: Callable[[T], bool], answer: Answer, now: float
    ) -> list[Drop[T]]:
        """Before posting ``batch``: take out the events ``hold`` picks (their
        session's registration got ``answer``). A transient answer holds them for
        a later attempt; any other drops them now, as its reason. The rest of the
        batch is posted and answered with `on_answer` as usual (an empty one too,
        with the answer of what held its events back, or `ALREADY_DONE`)."""
        if batch._state == DRAINED:
            return []  # drain() gave it up meanwhile (shutdown): nothing to hold
        if batch is not self._in_flight:
            raise ValueError("hold_back() got a batch that is not the one in flight")
        items, sizes, seqs, nbytes = batch._split_off(hold)
        if not items:
            return []
        if answer.outcome is Outcome.RETRY:
            if batch._held is not None:
                raise ValueError("hold_back() holds events back once per attempt")
            batch._held = (items, sizes, seqs, answer.retry_after)
            return []
        reason = DROP_REASONS[answer.outcome]
        self._dropped[reason] += len(items)
        self._out_count -= len(items)
        self._held_bytes -= nbytes
        self._mark_dropped(seqs)
        return [Drop(reason, items, answer.detail)]

    def _carry_back(self, batch: Batch[T], now: float) -> None:
        # The post was accepted; its held-back events wait at the front.
        assert batch._held is not None
        posted_bytes = batch.nbytes
        items, sizes, seqs, retry_after = batch._held
        self._out_count -= len(batch.items)
        self._held_bytes -= posted_bytes
        batch.items, batch._sizes, batch._seqs, batch._held = items, sizes, seqs, None
        batch.nbytes = sum(sizes)
        batch._carry = True
        batch._state = WAITING
        batch._not_before = now + stall_delay(
            self._config, self._stall, retry_after, self._jitter()
        )
        self._front.appendleft(batch)

    def _carry_goes(self, batch: Batch[T], now: float) -> bool:
        """Held-back events go before their backoff when newer events are due."""
        return (
            batch._carry and len(self._front) == 1 and bool(self._queued()) and self._queue_due(now)
        )

    def _carry_on(self, batch: Batch[T]) -> None:
        # Held-back events take the next queued events along (when they adjoin).
        batch._carry = False
        if self._front or batch._end != self._head or not self._queued():
            return
        room = self._config.max_request_events - len(batch.items)
        count, nbytes = self._fit(max(0, room), batch.nbytes)
        if count:
            off = self._off
            added = nbytes - batch.nbytes
            batch._extend(
                self._items[off : off + count], self._sizes[off : off + count], self._head, added
            )
            self._taken(count)

    def _mark_dropped(self, seqs: array[int]) -> None:
        """Tickets covering any of these (sorted) sequence numbers lose delivered_all."""
        for ticket in self._tickets:
            i = bisect_left(seqs, ticket._start)
            if i < len(seqs) and seqs[i] < ticket._end:
                ticket._dropped = True
