"""Batching on: what the threaded and asyncio drivers of the delivery policy share.

The application only validates, stamps and queues (``submit``); the driver's
background thread (``trodo._sync.batch``) or task (``trodo._async.batch``)
registers new sessions, posts /api/events/bulk, and feeds every answer back
to the policy, which decides what happens next. Profile, group and upsert
writes wait in the same queue, in call order with the events, and go one
request each (they have no bulk form): `batch_write` tells such a batch.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from typing import Any, Generic, TypeVar, cast

from trodo._core.answers import ALREADY_DONE, Answer, DropReason, Outcome
from trodo._core.batches import Admission, Batch, Drop, policy_config
from trodo._core.config import Config
from trodo._core.errors import Stats
from trodo._core.policy import DeliveryPolicy
from trodo._core.records import EventRecord
from trodo._core.sending import SenderBase
from trodo._core.sessions import Session
from trodo._core.write_results import WriteOutcome, WriteStatus
from trodo._core.writes import WriteRecord

logger = logging.getLogger("trodo")
_R = TypeVar("_R", bound=SenderBase[Any])

Item = EventRecord | WriteRecord
"""What the queue holds: events, and profile writes in their place among them."""


def _is_write(item: Item) -> bool:
    return type(item) is WriteRecord


class BatchDeliveryBase(ABC, Generic[_R]):
    """What the threaded and asyncio drivers of the delivery policy share.

    Each holds its policy under a ``threading.Lock`` taken only around policy
    calls (never across I/O), so events can be queued from any thread.
    """

    def __init__(self, config: Config, sender: _R) -> None:
        self._config = config
        self._sender = sender
        self._policy_config = replace(policy_config(config), alone=_is_write)
        self._fresh_policy()

    def _fresh_policy(self) -> None:
        """Empty queue, new lock, nothing sent yet: at creation and in a forked child.

        The drivers make their own primitives after it, in their ``__init__``
        and ``after_fork_in_child``.
        """
        self._policy: DeliveryPolicy[Item] = DeliveryPolicy(self._policy_config, random.random)
        self._lock = threading.Lock()
        self._stopping = False
        # Attempts that posted nothing (every event held back at a failed session
        # registration): the policy counts them as requests, the server saw none.
        self._unposted = 0

    def after_fork_in_child(self) -> None:
        """The parent's queue stays the parent's to send: the child starts empty.

        A client shut down before the fork stays shut down in the child.
        """
        closed = self._policy.closed
        self._fresh_policy()
        if closed:
            self._policy.close()
            self._stopping = True
        self._fresh_primitives()

    @abstractmethod
    def _fresh_primitives(self) -> None:
        """The driver's own primitives, new: its ``__init__`` calls it after
        ``super().__init__()``, and a forked child after the new policy."""

    @property
    def config(self) -> Config:
        """The options of the client this delivery belongs to."""
        return self._config

    def abandon(self, detail: str) -> None:
        """Give up and report everything held, from any thread (at interpreter exit)."""
        with self._lock:
            drops = self._policy.drain(DropReason.SHUTDOWN, detail)
        self._report(drops)

    def _admit(self, record: Item) -> Admission:
        """Offer ``record`` to the policy (with the lock held)."""
        return self._policy.add(record, record.size, time.monotonic())

    def _report_refusal(self, admission: Admission, item: Item | None = None) -> None:
        """Say the first refusal of an episode when it happens, and the episode's
        total when it ends (the policy counts each event and write; a refused
        write is reported as itself when it is the first)."""
        if admission.report:
            self.report_unreported()
        if admission.accepted or not admission.first_of_episode:
            return
        if admission.reason is DropReason.SHUTDOWN:
            done = "written" if isinstance(item, WriteRecord) else "tracked"
            detail = f"{done} after shutdown(); this and later events and writes are dropped"
        else:
            detail = (
                f"the queue is full (max_queue_size={self._config.max_queue_size}, "
                f"max_queue_bytes={self._config.max_queue_bytes}); new events and writes "
                "are dropped until it drains to half"
            )
        reason = admission.reason or DropReason.QUEUE_FULL
        if isinstance(item, WriteRecord):
            self._sender.reporter.writes_failed(reason, detail, [item])
        else:
            self._sender.reporter.events_failed(reason, detail, [], count=1)

    def report_unreported(self) -> None:
        """Report the refused events not reported yet (an episode that ended, or,
        at flush and shutdown, the one under way): ``on_error``'s counts then add
        up to ``stats().dropped``."""
        with self._lock:
            pending = self._policy.unreported()
        for item in pending:
            what = "queue_full episode" if item.reason is DropReason.QUEUE_FULL else "refusals"
            state = "ended" if item.ended else "so far"
            detail = f"{item.total} event(s) dropped in this {what} ({state})"
            if item.count:
                self._sender.reporter.events_failed(item.reason, detail, [], count=item.count)

    def _attempt_flow(self, batch: Batch[Item]) -> AttemptFlow:
        """One attempt at ``batch``, without I/O: the driver runs its steps.

        It yields each new session to register (accepted: progress, the backoff
        starts again), holds back the events of sessions whose registration
        failed, yields the list of the other events to post, and returns what
        was given up. Two failed registrations in a row end the registering for
        this attempt (the server struggles): the sessions not tried yet wait too.
        """
        policy, lock = self._policy, self._lock
        write = batch_write(batch)
        if write is not None:  # a profile write: alone, no session to register
            answer = yield write
            if answer.outcome is Outcome.OK:
                self._sender.reporter.accepted()
            with lock:
                return policy.on_answer(batch, answer, time.monotonic())
        failed: dict[Session, Answer] = {}
        in_a_row = 0  # transient failures in a row
        last = ALREADY_DONE
        for session in unregistered_sessions(batch):
            if session in failed:
                continue
            if in_a_row >= 2:
                failed[session] = last  # not tried: waits for the next attempt
                continue
            answer = yield session
            if answer.outcome is Outcome.OK:
                in_a_row = 0
                self._sender.reporter.accepted()  # an unauthorized episode is over
                with lock:
                    policy.progress(time.monotonic())
                continue
            if answer.outcome is Outcome.UNAUTHORIZED:  # the site id: nothing can go
                with lock:
                    return policy.on_answer(batch, answer, time.monotonic())
            failed[session] = answer
            if answer.outcome is Outcome.RETRY:
                last = answer
                in_a_row += 1
        drops: list[Drop[Item]] = []
        empty_answer = ALREADY_DONE
        if failed:
            drops, empty_answer = self._hold_back(batch, failed)
        if batch.items:
            answer = yield cast(list[EventRecord], list(batch.items))
            if answer.outcome is Outcome.OK:
                self._sender.reporter.accepted()
        else:
            answer = empty_answer
            self._unposted += 1
        with lock:
            drops += policy.on_answer(batch, answer, time.monotonic())
        return drops

    def _hold_back(
        self, batch: Batch[Item], failed: dict[Session, Answer]
    ) -> tuple[list[Drop[Item]], Answer]:
        """Take the failed sessions' events out of ``batch``: refused ones are
        dropped, the others wait; also the answer to give if nothing is left."""
        drops: list[Drop[Item]] = []
        waiting = {s: a for s, a in failed.items() if a.outcome is Outcome.RETRY}
        now = time.monotonic()
        with self._lock:
            for session, answer in failed.items():
                if session not in waiting:
                    drops += self._policy.hold_back(batch, _of(session), answer, now)
            if not waiting:
                return drops, ALREADY_DONE
            answer = next(iter(waiting.values()))
            self._policy.hold_back(batch, lambda r: _session(r) in waiting, answer, now)
        return drops, answer

    def _report(self, drops: list[Drop[Item]]) -> None:
        reporter = self._sender.reporter
        for drop in drops:
            events = [i for i in drop.items if isinstance(i, EventRecord)]
            if events:
                reporter.events_failed(drop.reason, drop.detail, events)
            writes = [i for i in drop.items if isinstance(i, WriteRecord)]
            if writes:
                reporter.writes_failed(drop.reason, drop.detail, writes)

    def stats(self) -> Stats:
        """The policy's counters."""
        with self._lock:
            s = self._policy.stats()
        return Stats(
            sent=s.sent,
            queued=s.queued,
            in_flight=s.in_flight,
            retried=s.retries,
            requests=s.requests - self._unposted,
            dropped={str(reason): n for reason, n in s.dropped.items() if n},
        )


def _session(item: Item) -> Session | None:
    return item.session if isinstance(item, EventRecord) else None


def _of(session: Session) -> Callable[[Item], bool]:
    return lambda record: _session(record) is session


AttemptFlow = Generator[Session | list[EventRecord] | WriteRecord, Answer, list[Drop[Item]]]
"""`BatchDeliveryBase._attempt_flow`: yields a session to register, the events to
post or the write to send, is sent each answer, returns what was given up."""


def unregistered_sessions(batch: Batch[Item]) -> Iterator[Session]:
    """The sessions a batch of events needs registered first, each checked as its turn comes."""
    for record in batch.items:
        if isinstance(record, EventRecord) and not record.session.registered:
            yield record.session


def write_outcome(admission: Admission) -> WriteOutcome:
    """What the caller of a queued write is told: queued, or dropped and why."""
    if admission.accepted:
        return WriteStatus.QUEUED, None, None
    return WriteStatus.DROPPED, admission.reason, None


def batch_write(batch: Batch[Item]) -> WriteRecord | None:
    """The write a batch is (a write is always a batch of its own), else None."""
    first = batch.items[0] if batch.items else None
    return first if isinstance(first, WriteRecord) else None


def send_failed(exc: Exception) -> Answer:
    """A bug while sending must not kill the sender and strand the queue: log, reject."""
    logger.exception("trodo: unexpected error while sending a batch")
    return Answer(Outcome.REJECTED, detail=f"{type(exc).__name__}: {exc}")
