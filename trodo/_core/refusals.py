"""Refusal episodes of the delivery policy: a full queue, or events tracked after
shutdown. The first refusal of an episode is reported at once; the others are
counted, and reported with the episode's total when it ends or a flush asks, so
the counts ``on_error`` hears add up to ``stats().dropped``. (A mixin of
`trodo._core.policy.DeliveryPolicy`: policy.py, batches.py, held.py and this
module are one unit.)
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

from trodo._core.answers import DropReason
from trodo._core.batches import (
    DRAINED,
    FULL,
    SHUTDOWN,
    SHUTDOWN_FIRST,
    Admission,
    Batch,
    Drop,
    FlushTicket,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Unreported:
    """Refused events not reported yet: ``count`` of them, ``total`` in the
    episode so far (the first, reported when it began, included); ``ended``:
    the episode is over."""

    reason: DropReason
    count: int
    total: int
    ended: bool


class Episodes:
    """Refusal episodes (queue_full, shutdown): the first refusal is reported at
    once, the rest are counted here until the episode ends or a flush asks."""

    __slots__ = ("_ended", "_total", "_unreported")

    def __init__(self) -> None:
        self._unreported = dict.fromkeys(DropReason, 0)
        self._total = dict.fromkeys(DropReason, 0)
        self._ended: set[DropReason] = set()

    def refused(self, reason: DropReason, *, first: bool) -> None:
        if first:
            self._total[reason] = 1
        else:
            self._total[reason] += 1
            self._unreported[reason] += 1

    def end(self, reason: DropReason) -> None:
        if self._total[reason]:
            self._ended.add(reason)

    def take(self) -> list[Unreported]:
        """What is unreported (each reason once); ended episodes are forgotten."""
        found = []
        for reason, count in self._unreported.items():
            ended = reason in self._ended
            if count or ended:
                found.append(Unreported(reason, count, self._total[reason], ended))
                self._unreported[reason] = 0
                if ended:
                    self._total[reason] = 0
        self._ended.clear()
        return found


class Refusals(Generic[T]):
    """`DeliveryPolicy.add`'s slow path, `DeliveryPolicy.unreported`, and closing:
    `DeliveryPolicy.close` and `DeliveryPolicy.drain`."""

    # The policy's state these methods work on (set by DeliveryPolicy.__init__).
    _closed: bool
    _refusing: bool
    _shutdown_reported: bool
    _episodes: Episodes
    _episode_ended: bool
    _out_count: int
    _held_bytes: int
    _max_count: int
    _max_bytes: int
    _dropped: dict[DropReason, int]

    _in_flight: Batch[T] | None
    _front: deque[Batch[T]]
    _items: list[T]
    _head: int
    _off: int
    _resolved: int

    def _queued(self) -> int:
        raise NotImplementedError

    def request_flush(self) -> FlushTicket:
        raise NotImplementedError

    def _compact(self, *, everything: bool = False) -> None:
        raise NotImplementedError

    def _settle(self, start: int, end: int, *, dropped: bool) -> None:
        raise NotImplementedError

    def _refusal(self) -> Admission | None:
        if self._closed:
            self._dropped[DropReason.SHUTDOWN] += 1
            first = not self._shutdown_reported
            self._shutdown_reported = True
            self._episodes.refused(DropReason.SHUTDOWN, first=first)
            return SHUTDOWN_FIRST if first else SHUTDOWN
        # Held events only shrink between calls to add(), so checking here
        # ends the episode exactly when it would have ended.
        held = self._queued() + self._out_count
        if held <= self._max_count // 2 and self._held_bytes <= self._max_bytes // 2:
            self._refusing = False
            self._episodes.end(DropReason.QUEUE_FULL)
            self._episode_ended = True
            return None
        self._dropped[DropReason.QUEUE_FULL] += 1
        self._episodes.refused(DropReason.QUEUE_FULL, first=False)
        return FULL

    def unreported(self) -> list[Unreported]:
        """Refused events not reported yet (see `Unreported`): call it when an
        admission says ``report``, and at flush and shutdown, and report them."""
        return self._episodes.take()

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
            self._in_flight._restore()
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
