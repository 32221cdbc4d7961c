"""What the delivery policy hands its drivers, and its settings.

`PolicyConfig` (the settings, derived from the client's options), `Admission`
(what ``add`` did), `Batch` (one request's worth of events), `Drop` (events
given up), `FlushTicket` and `PolicyStats`. See `trodo._core.policy`.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from trodo._core.answers import DropReason
from trodo._core.config import Config, positive_int, positive_seconds, seconds
from trodo._core.retry import DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_CAP, DEFAULT_MAX_RETRY_AFTER

T = TypeVar("T")


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
    - ``backoff_base=0.1``, ``backoff_cap=30.0``: an isolated failure costs
      about 50 ms; a long outage is probed at most every 30 s.
    - ``max_retry_after=60.0``: the longest Retry-After the client honours.
    - ``retry_budget=60.0``: the sender gives a batch up once nothing at all has
      got through for a minute, which rides out restarts and short outages (a
      5-second outage costs nothing) without holding memory for ever; while the
      server accepts other requests, nothing is given up.
    - ``alone=None``: which items go in a request of their own (profile
      writes, which have no bulk form); None: none.
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
    alone: Callable[[Any], bool] | None = None

    def __post_init__(self) -> None:
        # The client's options' own checks (trodo._core.config), so the two agree.
        positive_int("batch_size", self.batch_size)
        positive_seconds("flush_interval", self.flush_interval)
        positive_int("max_request_events", self.max_request_events)
        positive_int("max_request_bytes", self.max_request_bytes)
        positive_int("max_queue_size", self.max_queue_size)
        positive_int("max_queue_bytes", self.max_queue_bytes)
        positive_seconds("backoff_base", self.backoff_base)
        positive_seconds("backoff_cap", self.backoff_cap)
        seconds("max_retry_after", self.max_retry_after)
        seconds("retry_budget", self.retry_budget)
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


def policy_config(config: Config) -> PolicyConfig:
    """The policy's settings, from the client's options (the rest keep their defaults)."""
    return PolicyConfig(
        batch_size=config.batch_size,
        flush_interval=config.batch_flush_interval,
        # batch_size is the trigger; a request may always carry that many.
        max_request_events=max(config.max_request_events, config.batch_size),
        max_request_bytes=config.max_request_bytes,
        max_queue_size=config.max_queue_size,
        max_queue_bytes=config.max_queue_bytes,
        retry_budget=config.retry_budget,
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
    report: bool = False
    """A queue_full episode just ended: `DeliveryPolicy.unreported` has its total."""


# add() returns one of these, so it allocates nothing for its answer.
ACCEPTED = Admission(accepted=True)
ACCEPTED_WAKE = Admission(accepted=True, wake=True)
ACCEPTED_REPORT = Admission(accepted=True, report=True)
ACCEPTED_WAKE_REPORT = Admission(accepted=True, wake=True, report=True)
FULL = Admission(accepted=False, reason=DropReason.QUEUE_FULL)
FULL_FIRST = Admission(accepted=False, reason=DropReason.QUEUE_FULL, first_of_episode=True)
SHUTDOWN = Admission(accepted=False, reason=DropReason.SHUTDOWN)
SHUTDOWN_FIRST = Admission(accepted=False, reason=DropReason.SHUTDOWN, first_of_episode=True)


@dataclass(frozen=True, slots=True)
class Drop(Generic[T]):
    """Events given up, in the order they were added, with why."""

    reason: DropReason
    items: list[T]
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PolicyStats:
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


WAITING, IN_FLIGHT, DONE, DRAINED = 0, 1, 2, 3


class Batch(Generic[T]):
    """One request's worth of events, handed out by `DeliveryPolicy.next_batch`.

    Drivers read ``items`` (in order), ``nbytes`` (the sum of their sizes) and
    ``failed_attempts`` (transient failures so far, for logs), and give the
    batch back to `DeliveryPolicy.on_answer` unchanged (after
    `DeliveryPolicy.hold_back`, ``items`` are the events still to post).

    A batch covers the sequence numbers ``[_start, _end)``; ``_seqs`` are its
    events' own (sorted). Events of the range that are not in the batch were
    resolved already (delivered while others were held back), so resolving the
    batch resolves its whole range, in order.
    """

    __slots__ = (
        "_carry",
        "_end",
        "_held",
        "_not_before",
        "_seqs",
        "_sizes",
        "_start",
        "_state",
        "failed_attempts",
        "items",
        "nbytes",
    )

    def __init__(
        self, items: list[T], sizes: array[int], seqs: array[int], end: int, nbytes: int
    ) -> None:
        self.items = items
        self.nbytes = nbytes
        self.failed_attempts = 0
        self._sizes = sizes
        self._seqs = seqs
        self._start = seqs[0] if seqs else end
        self._end = end
        # Held back (their session's registration failed): items, sizes, seqs, Retry-After.
        self._held: tuple[list[T], array[int], array[int], float | None] | None = None
        self._carry = False  # only held-back events, waiting to go with the next ones
        self._not_before = -math.inf
        self._state = WAITING

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return (
            f"Batch(events={len(self.items)}, nbytes={self.nbytes}, "
            f"failed_attempts={self.failed_attempts})"
        )

    def _halves(self) -> tuple[Batch[T], Batch[T]]:
        mid = len(self.items) // 2
        left_bytes = sum(self._sizes[:mid])
        cut = self._seqs[mid]
        left = Batch(self.items[:mid], self._sizes[:mid], self._seqs[:mid], cut, left_bytes)
        left._start = self._start
        right = Batch(
            self.items[mid:],
            self._sizes[mid:],
            self._seqs[mid:],
            self._end,
            self.nbytes - left_bytes,
        )
        for half in (left, right):
            half.failed_attempts = self.failed_attempts
        return left, right

    def _split_off(self, hold: Callable[[T], bool]) -> tuple[list[T], array[int], array[int], int]:
        """Take the events ``hold`` picks out of the batch: theirs and their bytes."""
        keep: list[T] = []
        keep_sizes, keep_seqs = array("Q"), array("Q")
        out: list[T] = []
        out_sizes, out_seqs = array("Q"), array("Q")
        for item, size, seq in zip(self.items, self._sizes, self._seqs, strict=True):
            if hold(item):
                out.append(item)
                out_sizes.append(size)
                out_seqs.append(seq)
            else:
                keep.append(item)
                keep_sizes.append(size)
                keep_seqs.append(seq)
        out_bytes = sum(out_sizes)
        self.items, self._sizes, self._seqs = keep, keep_sizes, keep_seqs
        self.nbytes -= out_bytes
        return out, out_sizes, out_seqs, out_bytes

    def _restore(self) -> None:
        """Put the held-back events back among the others, in order."""
        if self._held is None:
            return
        items, sizes, seqs, _ = self._held
        self._held = None
        merged = sorted(
            [
                *zip(self._seqs, self.items, self._sizes, strict=True),
                *zip(seqs, items, sizes, strict=True),
            ],
            key=lambda entry: entry[0],
        )
        self._seqs = array("Q", (seq for seq, _, _ in merged))
        self.items = [item for _, item, _ in merged]
        self._sizes = array("Q", (size for _, _, size in merged))
        self.nbytes = sum(self._sizes)

    def _extend(self, items: list[T], sizes: array[int], start: int, nbytes: int) -> None:
        """Add the next ``len(items)`` queued events (sequence numbers from ``start``)."""
        self.items.extend(items)
        self._sizes.extend(sizes)
        self._seqs.extend(range(start, start + len(items)))
        self._end = start + len(items)
        self.nbytes += nbytes


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
