"""Retrying by progress, driven by hand with a fake clock (the style of test_policy.py).

Any request the server accepts (a session registration, a bulk post) is progress: it
restarts the backoff sequence, and the retry budget runs only while nothing gets
through. Events held back because their session's registration failed wait for a
later attempt without holding up, or charging, the events beside them.
"""

from __future__ import annotations

import itertools
import random

import pytest

from trodo._core.answers import Answer, DropReason, Outcome
from trodo._core.batches import PolicyConfig
from trodo._core.policy import DeliveryPolicy

from .test_policy import OK, REJECTED, RETRY, add_many, policy, send


def test_an_accepted_registration_restarts_the_backoff_sequence() -> None:
    p = policy(jitter=0.5, batch_size=1, backoff_base=1.0, backoff_cap=100.0)
    add_many(p, [0])
    now = 0.0
    for _ in range(3):  # waits 0.5, 1, 2
        send(p, now, RETRY)
        now += p.next_wakeup(now) or 0.0
    p.progress(now)  # e.g. another session's registration was accepted
    send(p, now, RETRY)
    assert p.next_wakeup(now) == pytest.approx(0.5)  # back to the first step


def test_the_retry_budget_runs_only_while_nothing_gets_through() -> None:
    p = policy(jitter=0.5, batch_size=1, backoff_base=1.0, backoff_cap=4.0, retry_budget=10.0)
    add_many(p, [0])
    now = 0.0
    # 40 failures over about a minute, something else accepted after every fourth:
    # never 10 s without progress.
    for k in range(40):
        _, drops = send(p, now, RETRY)
        assert drops == []
        now += p.next_wakeup(now) or 0.0
        if k % 4 == 3:
            p.progress(now)
    assert now > 30.0
    items, drops = send(p, now, OK)
    assert (items, drops) == ([0], [])


def test_the_budget_spent_without_any_progress_gives_the_batch_up() -> None:
    p = policy(jitter=0.5, batch_size=1, retry_budget=10.0)
    add_many(p, [0])
    now, drops = 0.0, []
    while not drops:
        _, drops = send(p, now, RETRY)
        now += p.next_wakeup(now) or 0.0
    assert [(d.reason, d.items) for d in drops] == [(DropReason.GAVE_UP, [0])]
    assert "nothing got through" in drops[0].detail


def test_after_a_give_up_the_next_batch_still_waits_its_backoff() -> None:
    # A server that stays down is not hammered by one request per queued batch.
    p = policy(jitter=0.5, batch_size=1, backoff_base=1.0, backoff_cap=8.0, retry_budget=5.0)
    add_many(p, [0, 1, 2])
    now = 0.0
    times: list[float] = []
    for _ in range(12):
        batch = p.next_batch(now)
        if batch is None:
            wait = p.next_wakeup(now)
            if wait is None:
                break
            now += wait
            continue
        times.append(now)
        p.on_answer(batch, RETRY, now)
    assert [d.reason for d in p.drain()] == []  # all three given up
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.5  # never back to back


def test_held_back_events_wait_while_the_others_are_posted_and_delivered() -> None:
    p = policy(batch_size=6)
    add_many(p, range(6))
    batch = p.next_batch(0.0)
    assert batch is not None
    # The registration of the session of events 1 and 4 failed: they wait.
    assert p.hold_back(batch, lambda e: e in (1, 4), RETRY, 0.0) == []
    assert list(batch.items) == [0, 2, 3, 5]
    assert p.on_answer(batch, OK, 0.1) == []
    assert p.stats().sent == 4
    items, drops = send(p, 0.1 + (p.next_wakeup(0.1) or 0.0))
    assert (items, drops) == ([1, 4], [])
    assert p.stats().sent == 6


def test_held_back_events_go_with_the_next_events_that_are_due_without_waiting() -> None:
    p = policy(jitter=1.0, batch_size=3, backoff_base=5.0)
    add_many(p, range(3))
    batch = p.next_batch(0.0)
    assert batch is not None
    p.hold_back(batch, lambda e: e == 1, RETRY, 0.0)
    p.on_answer(batch, OK, 0.0)
    add_many(p, [3, 4, 5], now=0.1)  # a full batch is due again
    items, _ = send(p, 0.1)  # not after the held-back event's backoff: now, together
    assert items == [1, 3, 4, 5]


def test_a_flush_covering_held_back_events_settles_when_they_are_delivered() -> None:
    p = policy(batch_size=100)
    add_many(p, range(4))
    ticket = p.request_flush()
    batch = p.next_batch(0.0)
    assert batch is not None
    p.hold_back(batch, lambda e: e == 2, RETRY, 0.0)
    p.on_answer(batch, OK, 0.0)
    assert not ticket.settled
    send(p, p.next_wakeup(0.0) or 0.0)
    assert ticket.settled
    assert ticket.delivered_all


def test_a_post_that_fails_retries_the_held_back_events_with_it_in_order() -> None:
    p = policy(batch_size=4)
    add_many(p, range(4))
    batch = p.next_batch(0.0)
    assert batch is not None
    p.hold_back(batch, lambda e: e == 1, RETRY, 0.0)
    p.on_answer(batch, RETRY, 0.0)
    items, _ = send(p, p.next_wakeup(0.0) or 0.0)
    assert items == [0, 1, 2, 3]


def test_events_whose_registration_was_refused_are_dropped_alone() -> None:
    p = policy(batch_size=4)
    add_many(p, range(4))
    ticket = p.request_flush()
    batch = p.next_batch(0.0)
    assert batch is not None
    drops = p.hold_back(batch, lambda e: e in (0, 3), REJECTED, 0.0)
    assert [(d.reason, d.items) for d in drops] == [(DropReason.REJECTED, [0, 3])]
    p.on_answer(batch, OK, 0.0)
    assert ticket.settled
    assert not ticket.delivered_all
    stats = p.stats()
    assert (stats.sent, stats.queued, stats.dropped[DropReason.REJECTED]) == (2, 0, 2)


@pytest.mark.parametrize("seed", range(20))
def test_thirty_percent_of_failures_loses_nothing_with_default_settings(seed: int) -> None:
    rng = random.Random(seed)
    p: DeliveryPolicy[int] = DeliveryPolicy(PolicyConfig(), rng.random)
    add_many(p, range(3000))
    p.request_flush()
    now, delivered, drops = 0.0, [], []
    for _ in range(100_000):
        batch = p.next_batch(now)
        if batch is None:
            wait = p.next_wakeup(now)
            if wait is None:
                break
            now += wait
            continue
        # Each of the batch's 20 sessions may need registering: 30% of those fail too.
        if rng.random() < 0.3:
            session = rng.randrange(20)
            drops += p.hold_back(batch, lambda e, s=session: e % 20 == s, RETRY, now)
        now += 0.01
        answer = RETRY if rng.random() < 0.3 else OK
        if answer.outcome is Outcome.OK:
            delivered += list(batch.items)
        drops += p.on_answer(batch, answer, now)
    assert drops == []
    assert sorted(delivered) == list(range(3000))


def test_answers_carry_their_retry_after_into_the_held_back_wait() -> None:
    p = policy(jitter=0.0, batch_size=2)
    add_many(p, range(2))
    batch = p.next_batch(0.0)
    assert batch is not None
    p.hold_back(batch, lambda e: e == 1, Answer(Outcome.RETRY, retry_after=3.0), 0.0)
    p.on_answer(batch, OK, 0.0)
    assert p.next_wakeup(0.0) == pytest.approx(3.0)
